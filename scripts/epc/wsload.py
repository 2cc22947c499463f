"""Drive test/bench/wsload (the C SIP-over-WSS load generator) from Python:
build it on demand, run it, parse its key=value result lines."""
import os
import subprocess

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('BUILD', os.path.join(TOP, 'build'))
WSLOAD = os.path.join(BUILD, 'bench', 'wsload')


def build():
    """Build (or bring up to date) the load generator; returns its path."""
    subprocess.run(['make', '-s', '--no-print-directory', '-C',
                    os.path.join(TOP, 'test', 'bench'), 'BUILD=' + BUILD,
                    'wsload'], check=True)
    return WSLOAD


def parse(text):
    """'round=1 conns=400 ok=400 ...' lines -> list of dicts (ints/floats);
    the 'total' line is the last element."""
    out = []
    for line in text.splitlines():
        if not (line.startswith('round=') or line.startswith('total=')):
            continue
        d = {}
        for kv in line.split():
            k, _, v = kv.partition('=')
            try:
                d[k] = int(v)
            except ValueError:
                d[k] = float(v)
        d['kind'] = 'total' if line.startswith('total=') else 'round'
        out.append(d)
    return out


def unclean(r):
    """Connections that hung, broke the protocol or were lost mid-request."""
    return r['timeout'] + r['proto'] + r['lost']


def refused(r):
    """Connections refused cleanly (TCP, TLS alert, HTTP non-101)."""
    return r['refused'] + r['tls_fail'] + r['ws_rejected']


def run(port, timeout=120, **opts):
    """Run wsload against 127.0.0.1:port. Keyword options map to its
    command line (conns=300 -> --conns 300, close='abrupt' ...; True for
    flags). Returns (exit status, list of result dicts, stderr text)."""
    argv = [WSLOAD, '--port', str(port)]
    for k, v in opts.items():
        if v is None or v is False:
            continue
        argv.append('--' + k.replace('_', '-'))
        if v is not True:
            argv.append(str(v))
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r.returncode, parse(r.stdout), r.stderr
