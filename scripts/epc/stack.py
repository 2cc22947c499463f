"""The eP-CSCF stack on 127.0.0.1: the test IMS core (kamailio), rtpengine
as the eIMS-AGW, the eP-CSCF (kamailio with our modules) and optionally the
WWSF demo web server. Used by the integration tests and 'make run'."""
import base64
import hashlib
import os
import random
import signal
import subprocess
import sys
import time

from . import ng, registry, rpcout
from .procs import ProcessGroup, free_port, port_is_free, wait_tcp

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
KAM_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/'
KAMAILIO = '/usr/sbin/kamailio'
KAMCMD = '/usr/sbin/kamcmd'
RTPENGINE = '/usr/bin/rtpengine'


class StackError(Exception):
    pass


def _pick(fixed, used):
    """fixed port if given and free, else a free one; never one in used."""
    if fixed and fixed not in used and port_is_free(fixed):
        used.add(fixed)
        return fixed
    while True:
        p = free_port()
        if p not in used:
            used.add(p)
            return p


class Stack:
    def __init__(self, rundir, ports=None, debug=2, wwsf=False,
                 epc_defines=None, core_defines=None, tcp_children=None,
                 sipdump=False, wwsf_registry=None, wwsf_tokens=False,
                 wwsf_token_ttl=None, agws=1, epc_shm_mb=None,
                 subscribers=None, core_shm_mb=None):
        """wwsf_registry: the WWSF trust registry the eP-CSCF starts with, a
        list of epc.registry.Wwsf or a function(stack) returning one
        (default: epc.registry.default - the demo page's origin).
        wwsf_tokens: the setup of 'make run' - the WWSF demo server signs
        in its web users and issues ES256 tokens with
        wwsf_signing_key(), and the registry defaults to
        epc.registry.demo (a web-authentication WWSF and an
        IMS-authentication one, see there); wwsf_token_ttl: the lifetime of
        its tokens in seconds (default: the server's, 600).
        agws: eIMS-AGWs (rtpengine processes), 1 or 2.
        epc_shm_mb: shared memory of the eP-CSCF (kamailio -m), None for
        the reference configuration's EPC_SHM_MB; core_shm_mb: the same for
        the IMS core (None: kamailio's default).
        subscribers: the IMS core's subscriber list (the format of
        kamailio-cfg/ims-core/subscribers.txt, e.g. written by
        epc.wsload.subscribers() for load tests); None for that file."""
        self.rundir = os.path.abspath(rundir)
        self.wwsf_tokens = wwsf_tokens
        self.wwsf_token_ttl = wwsf_token_ttl
        self.wwsf_registry = wwsf_registry or (
            registry.demo if wwsf_tokens else registry.default)
        self._wwsf_key = None
        self.debug = debug
        self.wwsf = wwsf
        self.epc_defines = dict(epc_defines or {})
        self.core_defines = dict(core_defines or {})
        self.tcp_children = tcp_children
        # sipdump: both kamailios write every SIP message they receive and
        # send to text files in <rundir>/sipdump (see sip_messages()).
        self.sipdump = sipdump
        # eIMS-AGWs (rtpengine instances): 'rtpengine' on ports['ng'], a
        # second one 'rtpengine2' on ports['ng2'] (EPC_NG_URI2) if agws=2
        self.agws = agws
        self.epc_shm_mb = epc_shm_mb
        self.core_shm_mb = core_shm_mb
        self.subscribers = subscribers or os.path.join(
            TOP, 'kamailio-cfg', 'ims-core', 'subscribers.txt')
        want = dict(ports or {})
        used = set()
        self.ports = {k: _pick(want.get(k), used) for k in
                      ('core', 'epc_wss', 'epc_mw', 'ng', 'wwsf',
                       'wwsf_ims')}
        if agws > 1:
            self.ports['ng2'] = _pick(want.get('ng2'), used)
        base = random.randrange(20000, 58000, 2)
        self.rtp_range = (base, base + 999)
        self.rtp_range2 = (base + 1000, base + 1999)
        self.certs = os.path.join(self.rundir, 'certs')
        self.logdir = os.path.join(self.rundir, 'logs')
        self.group = ProcessGroup(self.logdir)
        self.procs = {}

    # -- paths --
    @property
    def cafile(self):
        return os.path.join(self.certs, 'ca.crt')

    def ctl(self, name):
        return os.path.join(self.rundir, name + '_ctl')

    @property
    def sipdump_dir(self):
        return os.path.join(self.rundir, 'sipdump')

    @property
    def registry_path(self):
        """The WWSF registry file the eP-CSCF loads (rewrite it, then
        kamcmd webrtc_origin.reload)."""
        return os.path.join(self.rundir, 'wwsf-registry.xml')

    @property
    def wwsf_origin(self):
        """The Origin of the WWSF demo page (in the default registry)."""
        return 'https://127.0.0.1:%d' % self.ports['wwsf']

    @property
    def wwsf_ims_origin(self):
        """The WWSF demo's second origin (its IMS-authentication page)."""
        return 'https://127.0.0.1:%d' % self.ports['wwsf_ims']

    def wwsf_signing_key(self):
        """The WWSF demo's ES256 token signing key (epc.wwsf_issuer.Key),
        made once per stack in <rundir>/wwsf-demo/."""
        if self._wwsf_key is None:
            from . import wwsf_issuer
            d = os.path.join(self.rundir, 'wwsf-demo')
            os.makedirs(d, exist_ok=True)
            self._wwsf_key = wwsf_issuer.Key.generate(
                'ES256', os.path.join(d, registry.DEMO_KID + '.key'),
                kid=registry.DEMO_KID)
        return self._wwsf_key

    def spki_hash(self):
        """base64 SHA-256 of the server certificate's public key: what
        Chromium's --ignore-certificate-errors-spki-list takes to trust the
        throw-away test CA's certificate and nothing else."""
        def run(argv, data=None):
            return subprocess.run(argv, input=data, capture_output=True,
                                  check=True).stdout
        pub = run(['openssl', 'x509', '-in', os.path.join(self.certs, 'server.crt'),
                   '-pubkey', '-noout'])
        der = run(['openssl', 'pkey', '-pubin', '-outform', 'der'], pub)
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    def write_registry(self, wwsfs):
        registry.write(self.registry_path, wwsfs)

    # -- lifecycle --
    def start(self):
        os.makedirs(self.rundir, exist_ok=True)
        if self.sipdump:
            os.makedirs(self.sipdump_dir, exist_ok=True)
        subprocess.run([os.path.join(TOP, 'scripts', 'mkcerts.sh'),
                        self.certs], check=True)
        db = os.path.join(self.rundir, 'ims-core-db')
        subprocess.run([sys.executable,
                        os.path.join(TOP, 'kamailio-cfg', 'ims-core', 'mkdb.py'),
                        self.subscribers, db], check=True)
        wwsfs = self.wwsf_registry
        self.write_registry(wwsfs(self) if callable(wwsfs) else wwsfs)
        try:
            self._start_rtpengine()
            if self.agws > 1:
                self._start_rtpengine('rtpengine2')
            self._start_core(db)
            self._start_epc()
            if self.wwsf:
                self._start_wwsf()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        self.group.stop_all()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- processes --
    def start_kamailio(self, name, cfg, defines, extra_args=(), ctl=None):
        """Start one more kamailio with this stack (e.g. a benchmark's
        stock relay): cfg with -A defines, stopped with the stack. ctl: the
        name of the define holding its control socket ("unix:PATH")."""
        return self._kamailio(name, cfg, defines, extra_args, ctl)

    def _kamailio(self, name, cfg, defines, extra_args=(), ctl=None):
        workdir = os.path.join(self.rundir, name)
        os.makedirs(workdir, exist_ok=True)
        argv = [KAMAILIO, '-DD', '-E', '-f', cfg, '-w', workdir,
                '-Y', workdir, '--debug=%d' % self.debug] + list(extra_args)
        for k, v in defines.items():
            argv += ['-A', '%s=%s' % (k, v)]
        p = self.group.start(name, argv, cwd=workdir)
        self.procs[name] = p
        sock = (defines.get(ctl) if ctl else
                defines.get('EPC_CTL') or defines.get('CORE_CTL'))
        sock = sock.strip('"')
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if not p.alive():
                raise StackError('%s exited at start (log: %s)\n%s' %
                                 (name, p.log_path, p.log()[-3000:]))
            r = subprocess.run([KAMCMD, '-s', sock, 'core.uptime'],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return p
            time.sleep(0.1)
        raise StackError('%s not ready after 15 s (log: %s)' % (name, p.log_path))

    def _start_rtpengine(self, name='rtpengine'):
        port = self.ports['ng2' if name == 'rtpengine2' else 'ng']
        rng = self.rtp_range2 if name == 'rtpengine2' else self.rtp_range
        argv = [RTPENGINE, '--config-file=none', '--foreground',
                '--log-stderr', '--interface=127.0.0.1', '--table=-1',
                '--listen-ng=127.0.0.1:%d' % port,
                '--port-min=%d' % rng[0], '--port-max=%d' % rng[1],
                '--log-level=%d' % (7 if self.debug >= 3 else 6)]
        p = self.group.start(name, argv)
        self.procs[name] = p
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if not p.alive():
                raise StackError('%s exited at start:\n%s' % (name, p.log()[-2000:]))
            if ng.ping(port, timeout=0.3):
                return p
            time.sleep(0.1)
        raise StackError('%s did not answer ng ping' % name)

    def kill(self, name):
        """Kill one stack process by its pid with SIGKILL (no clean
        shutdown) and reap it; it then counts as stopped, not as died."""
        p = self.procs.pop(name)
        os.kill(p.pid, signal.SIGKILL)
        p.popen.wait(10)
        self.group.stop(p)
        return p

    def restart_rtpengine(self, name='rtpengine'):
        """Start an eIMS-AGW again on its ng port (after kill())."""
        return self._start_rtpengine(name)

    def _start_core(self, db):
        d = {'CORE_PORT': self.ports['core'],
             'CORE_DB': '"text://%s"' % db,
             'CORE_CTL': '"unix:%s"' % self.ctl('ims-core'),
             'CORE_MPATH': '"%s"' % KAM_MODULES,
             'CORE_DEBUG': self.debug,
             # the eP-CSCF's Mw side: trusted for TNA and P-Asserted-Identity
             'CORE_EPC_IP': '"127.0.0.1"',
             'CORE_EPC_PORT': self.ports['epc_mw']}
        if self.sipdump:
            d['CORE_SIPDUMP'] = '"%s"' % self.sipdump_dir
        d.update(self.core_defines)
        extra = ['-m', str(self.core_shm_mb)] if self.core_shm_mb else []
        return self._kamailio('ims-core',
                              os.path.join(TOP, 'kamailio-cfg', 'ims-core',
                                           'kamailio.cfg'), d, extra)

    def _start_epc(self):
        mods = os.path.join(TOP, 'modules')
        d = {'EPC_WSS_PORT': self.ports['epc_wss'],
             'EPC_MW_PORT': self.ports['epc_mw'],
             'EPC_CORE_URI': '"sip:127.0.0.1:%d"' % self.ports['core'],
             'EPC_MPATH': '"%s:%s"' % (mods, KAM_MODULES),
             'EPC_TLS_CERT': '"%s"' % os.path.join(self.certs, 'server.crt'),
             'EPC_TLS_KEY': '"%s"' % os.path.join(self.certs, 'server.key'),
             'EPC_CTL': '"unix:%s"' % self.ctl('ep-cscf'),
             'EPC_NG_URI': '"udp:127.0.0.1:%d"' % self.ports['ng'],
             'EPC_WWSF_REGISTRY': '"%s"' % self.registry_path,
             'EPC_DEBUG': self.debug}
        if self.tcp_children:
            d['EPC_TCP_CHILDREN'] = self.tcp_children
        if self.sipdump:
            d['EPC_SIPDUMP'] = '"%s"' % self.sipdump_dir
        if self.agws > 1:
            d['EPC_NG_URI2'] = '"udp:127.0.0.1:%d"' % self.ports['ng2']
        d.update(self.epc_defines)
        extra = ['-m', str(self.epc_shm_mb)] if self.epc_shm_mb else []
        p = self._kamailio('ep-cscf', os.path.join(TOP, 'kamailio-cfg',
                                                   'ep-cscf', 'kamailio.cfg'), d,
                           extra)
        if not wait_tcp(self.ports['epc_wss']):
            raise StackError('eP-CSCF WSS port not accepting connections')
        return p

    def _start_wwsf(self):
        argv = [sys.executable,
                os.path.join(TOP, 'kamailio-cfg', 'wwsf-demo', 'server.py'),
                '--port', str(self.ports['wwsf']),
                '--cert', os.path.join(self.certs, 'server.crt'),
                '--key', os.path.join(self.certs, 'server.key'),
                '--wss', 'wss://127.0.0.1:%d' % self.ports['epc_wss'],
                '--domain', 'ims.test',
                '--ims-port', str(self.ports['wwsf_ims']),
                '--vendor', os.path.join(os.environ.get(
                    'BUILD', os.path.join(TOP, 'build')), 'wwsf-demo', 'vendor')]
        if self.wwsf_tokens:
            key = self.wwsf_signing_key()
            argv += ['--token-key', key.path, '--token-kid', key.kid,
                     '--issuer', self.wwsf_origin,
                     '--audience', registry.DEMO_AUDIENCE]
            if self.wwsf_token_ttl:
                argv += ['--token-ttl', str(self.wwsf_token_ttl)]
        p = self.group.start('wwsf', argv)
        self.procs['wwsf'] = p
        if not (wait_tcp(self.ports['wwsf']) and wait_tcp(self.ports['wwsf_ims'])):
            raise StackError('WWSF demo server did not start:\n' + p.log()[-2000:])
        return p

    # -- inspection --
    def kamcmd(self, name, *args, check=True):
        r = subprocess.run([KAMCMD, '-s', self.ctl(name)] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=10)
        if check and r.returncode != 0:
            raise StackError('kamcmd %s %s failed: %s%s' %
                             (name, ' '.join(map(str, args)), r.stdout, r.stderr))
        return r.stdout

    def rpc(self, name, *args, check=True):
        """kamcmd with its output parsed (epc.rpcout): dicts, lists, ints."""
        return rpcout.parse(self.kamcmd(name, *args, check=check))

    def log(self, name):
        return self.procs[name].log()

    def sip_messages(self, name, tag=None, since=0.0):
        """The SIP messages kamailio `name` ('ims-core' or 'ep-cscf') wrote
        with sipdump (stack started with sipdump=True), oldest first: dicts
        with tag ('rcv'/'snd'), time, proto, src/dst (ip, port), msg
        (sip.Message). tag and since (a time.time() value) filter."""
        from . import sip
        out = []
        if not os.path.isdir(self.sipdump_dir):
            return out
        for fn in sorted(os.listdir(self.sipdump_dir)):
            if not fn.startswith(name + '-'):
                continue
            with open(os.path.join(self.sipdump_dir, fn), 'rb') as f:
                data = f.read().decode('utf-8', errors='replace')
            for rec in data.split('====================\n')[1:]:
                head, sep, rest = rec.partition('~~~~~~~~~~~~~~~~~~~~\n')
                body, sep2, _ = rest.partition('||||||||||||||||||||\n')
                if not sep or not sep2:
                    continue      # record still being written
                meta = dict(line.split(': ', 1) for line in head.splitlines()
                            if ': ' in line)
                try:
                    msg = sip.Message.parse(body)
                except ValueError:
                    continue
                d = {'tag': meta.get('tag'), 'time': float(meta.get('time', 0)),
                     'proto': meta.get('proto', '').split(' ')[0],
                     'src': (meta.get('srcip'), int(meta.get('srcport', 0))),
                     'dst': (meta.get('dstip'), int(meta.get('dstport', 0))),
                     'msg': msg}
                if (tag is None or d['tag'] == tag) and d['time'] >= since:
                    out.append(d)
        out.sort(key=lambda d: d['time'])
        return out

    def alive(self):
        return {n: p.alive() for n, p in self.procs.items()}
