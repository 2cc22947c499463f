"""Drive test/bench/wsload (the C SIP-over-WSS load generator) from Python:
build it on demand, run it, parse its key=value result lines."""
import os
import signal
import subprocess
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('BUILD', os.path.join(TOP, 'build'))
WSLOAD = os.path.join(BUILD, 'bench', 'wsload')


def build():
    """Build (or bring up to date) the load generator; returns its path."""
    subprocess.run(['make', '-s', '--no-print-directory', '-C',
                    os.path.join(TOP, 'test', 'bench'), 'BUILD=' + BUILD,
                    'wsload'], check=True)
    return WSLOAD


# The test IMS core's subscribers for load tests: <prefix><n>@ims.test with
# one password (wsload --password), each with its own IMPU.
PASSWORD = 'wsload-pw'
PREFIX = 'wsload'


def subscribers(path, n, prefix=PREFIX, password=PASSWORD, domain='ims.test',
                extra=()):
    """Write a subscriber list for the test IMS core (Stack(subscribers=))
    with the core's own demo subscribers, n load users <prefix>0..n-1 and
    the users in extra (names, password <name>-pw; e.g. a callee)."""
    src = os.path.join(TOP, 'kamailio-cfg', 'ims-core', 'subscribers.txt')
    with open(src) as f:
        base = f.read()
    with open(path, 'w') as f:
        f.write(base)
        f.write('# load users (scripts/epc/wsload.py)\n')
        for i in range(n):
            u = '%s%d@%s' % (prefix, i, domain)
            f.write('%s %s sip:%s\n' % (u, password, u))
        for name in extra:
            u = '%s@%s' % (name, domain)
            f.write('%s %s-pw sip:%s\n' % (u, name, u))
    return path


def parse_line(line):
    """One 'round=1 conns=400 ok=400 ...' line -> dict (ints/floats) with
    'kind' ('round', 'hold' or 'total'), or None for other lines."""
    kind = line.split('=', 1)[0]
    if kind not in ('round', 'hold', 'total'):
        return None
    d = {}
    for kv in line.split():
        k, _, v = kv.partition('=')
        try:
            d[k] = int(v)
        except ValueError:
            d[k] = float(v)
    d['kind'] = kind
    return d


def parse(text):
    """wsload's output -> list of dicts (ints/floats), one per round, hold
    phase (with --hold) and the total (the last element)."""
    return [d for d in (parse_line(l) for l in text.splitlines()) if d]


def unclean(r):
    """Connections that hung, broke the protocol or were lost mid-request."""
    return r['timeout'] + r['proto'] + r['lost']


def refused(r):
    """Connections refused cleanly (TCP, TLS alert, HTTP non-101)."""
    return r['refused'] + r['tls_fail'] + r['ws_rejected']


def argv(port, **opts):
    """wsload's command line: keyword options map to its options
    (conns=300 -> --conns 300, close='abrupt' ...; True for flags)."""
    out = [WSLOAD, '--port', str(port)]
    for k, v in opts.items():
        if v is None or v is False:
            continue
        out.append('--' + k.replace('_', '-'))
        if v is not True:
            out.append(str(v))
    return out


def run(port, timeout=120, progress_timeout=None, **opts):
    """Run wsload against 127.0.0.1:port (options: argv()); timeout bounds
    the whole run, progress_timeout is wsload's own --timeout. Returns (exit
    status, list of result dicts, stderr text)."""
    if progress_timeout is not None:
        opts['timeout'] = progress_timeout
    r = subprocess.run(argv(port, **opts), capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, parse(r.stdout), r.stderr


class Held:
    """wsload running with --hold: start(), wait_round() for the line of the
    connect phase (connections now held open), then end() (SIGUSR1 ends the
    hold, the connections are closed) for the hold line and the total."""

    def __init__(self, port, **opts):
        self.argv = argv(port, **opts)
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []

    def wait_round(self, timeout=600):
        """The dict of the round line (None if wsload ended first)."""
        import select
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if not r:
                continue
            line = self.proc.stdout.readline()
            if not line:
                return None
            d = parse_line(line)
            if d:
                self.lines.append(d)
                if d['kind'] == 'round':
                    return d
        raise TimeoutError('wsload: no round line within %d s' % timeout)

    def end(self, timeout=300):
        """End the hold; returns (exit status, every result dict, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
        out, err = self.proc.communicate(timeout=timeout)
        self.lines += parse(out)
        return self.proc.returncode, self.lines, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
