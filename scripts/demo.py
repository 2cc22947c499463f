#!/usr/bin/env python3
"""'make run': start the demo stack on 127.0.0.1 (test IMS core, rtpengine as
the eIMS-AGW, the eP-CSCF with our modules, the WWSF demo web server), print
what runs where, and stop everything on Ctrl-C (or when a process dies).

Preferred ports (a busy one is replaced by a free one):
WWSF 8443, eP-CSCF WSS 7443, eP-CSCF Mw 5070, IMS core 5060, rtpengine ng 2223.
"""
import os
import signal
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc.stack import Stack, StackError  # noqa: E402


def spki_hash(cert):
    pub = subprocess.run(['openssl', 'x509', '-in', cert, '-pubkey', '-noout'],
                         capture_output=True, check=True).stdout
    der = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'der'],
                         input=pub, capture_output=True, check=True).stdout
    dig = subprocess.run(['openssl', 'dgst', '-sha256', '-binary'], input=der,
                         capture_output=True, check=True).stdout
    return subprocess.run(['base64'], input=dig, capture_output=True,
                          check=True).stdout.decode().strip()


def main():
    build = os.environ.get('BUILD', os.path.join(TOP, 'build'))
    stack = Stack(os.path.join(build, 'demo'),
                  ports={'wwsf': 8443, 'epc_wss': 7443, 'epc_mw': 5070,
                         'core': 5060, 'ng': 2223}, wwsf=True)
    stop = {'now': False}

    def on_signal(signum, frame):
        stop['now'] = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        stack.start()
    except StackError as e:
        print('demo: could not start the stack: %s' % e, file=sys.stderr)
        return 1
    p = stack.ports
    print('\nDemo stack running on 127.0.0.1 (logs in %s):' % stack.logdir)
    for name, what in (('ims-core', 'test IMS core (I/S-CSCF), SIP udp+tcp :%d' % p['core']),
                       ('rtpengine', 'eIMS-AGW (rtpengine), ng udp :%d' % p['ng']),
                       ('ep-cscf', 'eP-CSCF, W2 wss :%d, Mw udp+tcp :%d' % (p['epc_wss'], p['epc_mw'])),
                       ('wwsf', 'WWSF demo, https :%d' % p['wwsf'])):
        print('  pid %-7d %s' % (stack.procs[name].pid, what))
    cert = os.path.join(stack.certs, 'server.crt')
    print('\nPoint a browser at:  https://127.0.0.1:%d/' % p['wwsf'])
    print('The certificates come from a throw-away test CA (%s);' % stack.cafile)
    print('trust it, or start Chromium with:')
    print('  chromium --ignore-certificate-errors-spki-list=%s https://127.0.0.1:%d/'
          % (spki_hash(cert), p['wwsf']))
    print('Demo subscribers: kamailio-cfg/ims-core/subscribers.txt')
    print('An IMS UE on Mw (answers calls, prints what it receives):')
    print('  python3 scripts/epc/udpsip.py --core 127.0.0.1:%d --user dave '
          '--password dave-pw --seconds 300 listen' % p['core'])
    print('Inspect: kamcmd -s %s ws.dump' % stack.ctl('ep-cscf'))
    print('         kamcmd -s %s htable.dump epcreg   (registrations per flow)'
          % stack.ctl('ep-cscf'))
    print('         kamcmd -s %s webrtc_origin.connections   (WWSF of each '
          'connection; registry: %s)' % (stack.ctl('ep-cscf'), stack.registry_path))
    print('\nCtrl-C stops everything.', flush=True)
    rc = 0
    try:
        while not stop['now']:
            dead = [n for n, alive in stack.alive().items() if not alive]
            if dead:
                print('demo: %s exited; see %s' % (', '.join(dead), stack.logdir),
                      file=sys.stderr)
                rc = 1
                break
            time.sleep(0.5)
    finally:
        stack.stop()
        print('demo: stopped all processes', flush=True)
    return rc


if __name__ == '__main__':
    sys.exit(main())
