#!/usr/bin/env python3
"""Package test: build the Debian package (make deb: dpkg-buildpackage +
lintian), install it with dpkg -i, start Debian's kamailio with a config
that loads our modules by bare name from the standard module directory,
check through kamcmd that they run and their RPC commands answer, then
remove the package (dpkg --purge) and check nothing of it is left.

If the package is already installed on this machine (an operator's own
install), it is left alone: the test unpacks the new .deb into a
throw-away root instead of installing it.

Ends with 'package: N passed, N failed'.
"""
import fcntl
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))
from epc.procs import ProcessGroup, free_port  # noqa: E402

PKG = 'kamailio-webrtc-ims-modules'
BUILD = os.environ.get('BUILD', os.path.join(TOP, 'build'))
MULTIARCH = subprocess.run(['dpkg-architecture', '-qDEB_HOST_MULTIARCH'],
                           capture_output=True, text=True).stdout.strip()
MODDIR = '/usr/lib/%s/kamailio/modules' % MULTIARCH
MODULES = subprocess.run(['make', '-s', '--no-print-directory', '-C', TOP,
                          'print-modules'], capture_output=True,
                         text=True).stdout.split()
# One read-only RPC command per module that has RPC commands; each must
# answer without a fault once the package is installed.
RPC_PROBES = {'webrtc_origin': 'webrtc_origin.list',
              'eimsagw_ctl': 'eimsagw.agw_list',
              'tls_guard': 'tls_guard.status'}

results = []


def check(name, ok, detail=''):
    results.append(ok)
    print('%s %s%s' % ('PASS' if ok else 'FAIL', name,
                       '' if ok or not detail else ': ' + detail))
    sys.stdout.flush()
    return ok


def installed():
    r = subprocess.run(['dpkg-query', '-W', '-f=${db:Status-Status}', PKG],
                       capture_output=True, text=True)
    return r.stdout.strip() == 'installed'


def run_kamailio(workdir, mpath):
    port = free_port()
    ctl = os.path.join(workdir, 'ctl')
    mpath_line = 'mpath="%s"\n' % mpath if mpath else ''
    cfg = os.path.join(workdir, 'kamailio.cfg')
    with open(cfg, 'w') as f:
        f.write('#!KAMAILIO\ndebug=2\nchildren=1\nlisten=udp:127.0.0.1:%d\n'
                % port + mpath_line +
                ''.join('loadmodule "%s.so"\n' % m for m in ['ctl', 'kex', 'sl', 'tm'] + MODULES)
                + 'modparam("ctl", "binrpc", "unix:%s")\n' % ctl
                + 'request_route { sl_send_reply("404", "Not here"); }\n')
    group = ProcessGroup(os.path.join(workdir, 'logs'))
    p = group.start('kamailio', ['/usr/sbin/kamailio', '-DD', '-E', '-f', cfg,
                                 '-w', workdir, '-Y', workdir])
    try:
        up = False
        end = time.monotonic() + 15
        while time.monotonic() < end and p.alive():
            r = subprocess.run(['kamcmd', '-s', 'unix:' + ctl, 'core.uptime'],
                               capture_output=True, text=True)
            if r.returncode == 0:
                up = True
                break
            time.sleep(0.1)
        check('kamailio starts with the modules loaded by bare name', up,
              p.log()[-1500:])
        log = p.log()
        for m in MODULES:
            check('%s initialised from the package' % m,
                  re.search(r'INFO: %s .*initialised' % m, log) is not None)
        if up:
            methods = subprocess.run(['kamcmd', '-s', 'unix:' + ctl,
                                      'system.listMethods'],
                                     capture_output=True, text=True).stdout
            for m, cmd in sorted(RPC_PROBES.items()):
                check('rpc %s listed' % cmd, cmd in methods.split())
                r = subprocess.run(['kamcmd', '-s', 'unix:' + ctl] + cmd.split(),
                                   capture_output=True, text=True)
                check('rpc %s answers' % cmd, r.returncode == 0 and
                      'error' not in r.stdout.lower()[:200], r.stdout + r.stderr)
    finally:
        group.stop_all()


def main():
    # dpkg -i/--purge of one package: serialise runs from several checkouts.
    lock = open('/tmp/epc-package-test.lock', 'w')
    fcntl.flock(lock, fcntl.LOCK_EX)
    r = subprocess.run(['make', '-s', '--no-print-directory', '-C', TOP, 'deb'],
                       capture_output=True, text=True)
    print(r.stdout[-3000:] + r.stderr[-2000:])
    if not check('make deb builds the package and lintian is clean', r.returncode == 0):
        return summary()
    debs = [d for d in glob.glob(os.path.join(BUILD, 'deb', PKG + '_*.deb'))]
    check('one binary package built', len(debs) == 1, str(debs))
    deb = debs[0]
    info = subprocess.run(['dpkg-deb', '-f', deb, 'Depends'], capture_output=True,
                          text=True).stdout
    kver = subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'kamailio'],
                          capture_output=True, text=True).stdout
    check('depends on the exact kamailio it was built against',
          'kamailio (= %s)' % kver in info, info)
    files = subprocess.run(['dpkg-deb', '-c', deb], capture_output=True,
                           text=True).stdout
    for m in MODULES:
        check('ships %s.so in %s' % (m, MODDIR), '.%s/%s.so' % (MODDIR, m) in files)
        check('ships README.%s' % m, '/usr/share/doc/%s/README.%s' % (PKG, m) in files)
    check('ships the reference configuration as examples',
          '/usr/share/doc/%s/examples/ep-cscf/kamailio.cfg' % PKG in files)

    work = tempfile.mkdtemp(prefix='epc-pkg-')
    try:
        if installed():
            print('note: %s is installed on this machine; testing an unpacked copy' % PKG)
            root = os.path.join(work, 'root')
            subprocess.run(['dpkg-deb', '-x', deb, root], check=True)
            run_kamailio(work, root + MODDIR + ':' + MODDIR)
        else:
            r = subprocess.run(['dpkg', '-i', deb], capture_output=True, text=True)
            if check('dpkg -i installs the package', r.returncode == 0, r.stderr):
                try:
                    run_kamailio(work, None)
                finally:
                    r = subprocess.run(['dpkg', '--purge', PKG], capture_output=True,
                                       text=True)
                    check('dpkg --purge removes it', r.returncode == 0 and not installed(),
                          r.stderr)
                    left = [m for m in MODULES
                            if os.path.exists('%s/%s.so' % (MODDIR, m))]
                    left += glob.glob('/usr/share/doc/%s' % PKG)
                    check('nothing of the package is left on the machine', not left,
                          str(left))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary()


def summary():
    p = sum(1 for r in results if r)
    f = len(results) - p
    print('package: %d passed, %d failed' % (p, f))
    return 1 if f or not p else 0


if __name__ == '__main__':
    sys.exit(main())
