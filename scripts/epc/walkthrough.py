#!/usr/bin/env python3
"""Run the reference flows once on a private stack and print every SIP
message the eP-CSCF received and sent (its sipdump), labelled by side:
U.2.1.2 registration of a WIC, a WIC -> IMS UE call, an IMS UE -> WIC
MESSAGE, a de-registration. doc/ep-cscf-walkthrough.txt is its output.

Usage: walkthrough.py [RUNDIR]   (default build/walkthrough)
"""
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from epc.stack import Stack, TOP          # noqa: E402
from epc.udpsip import UdpUA               # noqa: E402
from epc.wssip import WsClient, WicUA      # noqa: E402

SDP_WIC = ('v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'
           'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n'
           'a=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n')
SDP_UE = ('v=0\r\no=ue 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n'
          't=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'
          'a=sendrecv\r\n')


def side(stack, addr, proto):
    if proto in ('ws', 'wss', 'tls'):
        return 'WIC'
    return 'IMS core' if addr[1] == stack.ports['core'] else 'UE'


def run(rundir):
    stack = Stack(rundir, sipdump=True)
    steps = []
    with stack:
        ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                      origin=stack.wwsf_origin)
        ws.connect()
        wic = WicUA(ws, 'sip:alice@ims.test', impi='alice@ims.test',
                    password='alice-pw')
        ue = UdpUA('sip:dave@ims.test', ('127.0.0.1', stack.ports['core']),
                   impi='dave@ims.test', password='dave-pw')
        ue.register_digest(expires=300)
        marks = []

        def mark(title):
            marks.append((title, len(stack.sip_messages('ep-cscf'))))

        mark('1. U.2.1.2 registration: REGISTER, 401 challenge, REGISTER '
             'with Digest credentials, 200 OK')
        wic.register_digest(expires=300)
        import time
        time.sleep(0.3)
        mark('2. Call WIC -> IMS UE: INVITE, 180, 200, ACK, BYE, 200')
        res = {}
        th = threading.Thread(target=lambda: res.setdefault('c', ue.answer(SDP_UE)))
        th.start()
        c = wic.call('sip:dave@ims.test', SDP_WIC)
        th.join(10)
        th = threading.Thread(target=ue.expect_bye)
        th.start()
        wic.bye(c)
        th.join(10)
        time.sleep(0.3)
        mark('3. MESSAGE IMS UE -> WIC (routed by the flow token of the Path)')
        th = threading.Thread(target=wic.expect_message)
        th.start()
        ue.message('sip:alice@ims.test', 'hello from IMS')
        th.join(10)
        time.sleep(0.3)
        mark('4. De-registration (challenged like any REGISTER)')
        wic.register_digest(expires=0)
        ue.register_digest(expires=0)
        time.sleep(0.5)
        msgs = stack.sip_messages('ep-cscf')
        ws.close()
        ue.close()
    marks.append(('end', len(msgs)))
    out = []
    for (title, start), (_, end) in zip(marks, marks[1:]):
        out.append('=' * 72 + '\n' + title + '\n' + '=' * 72 + '\n')
        for d in msgs[start:end]:
            m = d['msg']
            if d['tag'] == 'rcv':
                arrow = '%s -> eP-CSCF' % side(stack, d['src'], d['proto'])
            else:
                arrow = 'eP-CSCF -> %s' % side(stack, d['dst'], d['proto'])
            text = str(m).replace('\r\n', '\n')
            out.append('--- %s (%s) ---\n%s\n' % (arrow, d['proto'], text.rstrip() + '\n'))
    # ports and random values vary per run: name them
    s = ''.join(out)
    s = s.replace(':%d' % stack.ports['core'], ':<core>')
    s = s.replace(':%d' % stack.ports['epc_mw'], ':<epc-mw>')
    s = s.replace(':%d' % stack.ports['epc_wss'], ':<epc-wss>')
    s = re.sub(r'(rport=|127\.0\.0\.1:)(\d{4,5})', r'\1<port>', s)
    return s


def main():
    rundir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, 'build', 'walkthrough')
    sys.stdout.write(run(rundir))


if __name__ == '__main__':
    main()
