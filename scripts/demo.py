#!/usr/bin/env python3
"""'make run': start the demo stack on 127.0.0.1 (test IMS core, rtpengine as
the eIMS-AGW, the eP-CSCF with our modules, the WWSF demo web server with
the WebRTC IMS Client), print what runs where, and stop everything on Ctrl-C
(or when a process dies).

The WWSF demo is two WWSFs of the registry (scripts/epc/registry.py demo):
https://127.0.0.1:8443/ signs web users in and issues ES256 tokens (web
authentication, U.2.1.3); https://127.0.0.1:8444/ lets the WIC register with
IMS Digest credentials (U.2.1.2).

Preferred ports (a busy one is replaced by a free one): WWSF 8443 and 8444,
eP-CSCF WSS 7443, eP-CSCF Mw 5070, IMS core 5060, rtpengine ng 2223.
"""
import os
import signal
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc.stack import Stack, StackError  # noqa: E402


def demo_users():
    """(web user, web password, IMPI) of the WWSF demo's users.txt."""
    out = []
    with open(os.path.join(TOP, 'kamailio-cfg', 'wwsf-demo', 'users.txt')) as f:
        for line in f:
            p = line.split('#', 1)[0].split()
            if len(p) == 4:
                out.append((p[0], p[1], p[2]))
    return out


def subscribers():
    """(IMPI, password) of the test IMS core's subscribers.txt."""
    out = []
    with open(os.path.join(TOP, 'kamailio-cfg', 'ims-core', 'subscribers.txt')) as f:
        for line in f:
            p = line.split('#', 1)[0].split()
            if len(p) == 3:
                out.append((p[0], p[1]))
    return out


def main():
    build = os.environ.get('BUILD', os.path.join(TOP, 'build'))
    stack = Stack(os.path.join(build, 'demo'),
                  ports={'wwsf': 8443, 'wwsf_ims': 8444, 'epc_wss': 7443,
                         'epc_mw': 5070, 'core': 5060, 'ng': 2223},
                  wwsf=True, wwsf_tokens=True)
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
                       ('wwsf', 'WWSF demo, https :%d (web login) and :%d '
                        '(IMS credentials)' % (p['wwsf'], p['wwsf_ims']))):
        print('  pid %-7d %s' % (stack.procs[name].pid, what))
    print('\nThe WebRTC IMS Client (point a browser at either):')
    print('  https://127.0.0.1:%d/   web login: the WWSF issues a token (U.2.1.3)'
          % p['wwsf'])
    print('      web users: %s' % ', '.join('%s / %s' % (u, pw)
                                            for u, pw, _ in demo_users()))
    print('  https://127.0.0.1:%d/   IMS credentials: SIP Digest (U.2.1.2)'
          % p['wwsf_ims'])
    print('      subscribers: %s' % ', '.join('%s / %s' % s for s in subscribers()))
    print('The certificates come from a throw-away test CA (%s);' % stack.cafile)
    print('trust it, or start Chromium with:')
    print('  chromium --ignore-certificate-errors-spki-list=%s https://127.0.0.1:%d/'
          % (stack.spki_hash(), p['wwsf']))
    print('WWSF registry of this run: %s' % stack.registry_path)
    print('An IMS UE on Mw (answers calls, prints what it receives; call it from\n'
          'the WIC as sip:dave@ims.test):')
    print('  python3 scripts/epc/udpsip.py --core 127.0.0.1:%d --user dave '
          '--password dave-pw --rtp --seconds 300 listen' % p['core'])
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
