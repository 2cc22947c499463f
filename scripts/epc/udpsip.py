#!/usr/bin/env python3
"""A plain IMS UE over UDP for tests and the demo: registers directly at the
test IMS core with SIP Digest, places and answers calls with a given SDP,
sends and receives MESSAGE, and keeps every request it received (received)
so tests can assert on what the IMS side saw.

Library use:
    ue = UdpUA('sip:bob@ims.test', ('127.0.0.1', 5060), impi='bob@ims.test',
               password='bob-pw')
    r1, r2 = ue.register_digest()
    call = ue.answer(sdp=...)          # or ue.call('sip:alice@ims.test', sdp)
Command line (prints what it receives):
    udpsip.py --core 127.0.0.1:5060 --user bob --password bob-pw listen
    udpsip.py ... --rtp listen     answers with real audio (epc.rtpstream: a tone
                                   out, received RTP counted and printed)
    udpsip.py --core ... --user bob --password bob-pw message sip:alice@ims.test hi
"""
import argparse
import os
import select
import socket
import sys
import time

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from epc import sip                      # noqa: E402
    from epc.ua import UAMixin               # noqa: E402
else:
    from . import sip
    from .ua import UAMixin


class UdpUA(UAMixin):
    def __init__(self, impu, proxy, impi=None, password=None, domain=None,
                 host='127.0.0.1', port=0):
        self.impu = impu
        self.proxy = proxy                 # (ip, port) of the IMS core
        self.impi = impi
        self.password = password
        self.domain = domain or impu.split('@', 1)[1]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.host, self.port = self.sock.getsockname()
        self.contact_user = sip.rand_hex(4)
        self.call_id = sip.rand_hex(12) + '@' + self.host
        self.from_tag = sip.rand_hex(6)
        self.cseq = 0
        self.pending = []
        self.received = []       # every request received, in order

    def close(self):
        self.sock.close()

    @property
    def contact(self):
        return '<sip:%s@%s:%d>' % (self.contact_user, self.host, self.port)

    def new_via(self):
        return 'SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s' % (
            self.host, self.port, sip.rand_hex(8))

    def send(self, msg, addr=None):
        if addr is None:
            if msg.is_response:
                addr = self._response_addr(msg)
            else:
                addr = self.proxy
        self.sock.sendto(msg.encode(), addr)

    @staticmethod
    def _response_addr(msg):
        via = msg.get('Via')
        host = sip.param(via, 'received')
        port = sip.param(via, 'rport')
        sent_by = via.split(None, 1)[1].split(';', 1)[0].strip()
        h, _, p = sent_by.partition(':')
        return (host or h, int(port) if port else int(p or 5060))

    def recv(self, timeout=5.0, match=None):
        for i, m in enumerate(self.pending):
            if match is None or match(m):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no matching SIP message')
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data, _ = self.sock.recvfrom(65535)
            if data.strip() == b'':
                continue            # keepalive
            m = sip.Message.parse(data)
            if not m.is_response:
                if m.method != 'ACK' and any(
                        x.get('Via') == m.get('Via') and
                        x.get('CSeq') == m.get('CSeq') for x in self.received):
                    continue        # retransmission of a request we have
                self.received.append(m)
            if match is None or match(m):
                return m
            self.pending.append(m)

    def request(self, method, ruri, headers=(), body=''):
        self.cseq += 1
        h = [('Via', self.new_via()), ('Max-Forwards', '70'),
             ('From', '<%s>;tag=%s' % (self.impu, self.from_tag)),
             ('To', '<%s>' % (self.impu if method == 'REGISTER' else ruri)),
             ('Call-ID', self.call_id), ('CSeq', '%d %s' % (self.cseq, method))]
        h += list(headers)
        return sip.Message('%s %s SIP/2.0' % (method, ruri), h, body)

    def transaction(self, req, timeout=5.0):
        """Send a request (retransmitted as RFC 3261 timer A would, bounded)
        and return its final response."""
        branch = sip.param(req.get('Via'), 'branch')
        deadline = time.monotonic() + timeout
        t1 = 0.5
        self.send(req)
        got_provisional = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no final response to %s' % req.method)
            try:
                r = self.recv(min(t1, left), lambda m: m.is_response and
                              sip.param(m.get('Via', ''), 'branch') == branch)
            except TimeoutError:
                if not got_provisional:
                    self.send(req)
                t1 = min(t1 * 2, 4.0)
                continue
            if r.status >= 200:
                return r
            got_provisional = True



def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--core', default='127.0.0.1:5060', help='IMS core ip:port')
    ap.add_argument('--user', required=True, help='user part, e.g. bob')
    ap.add_argument('--domain', default='ims.test')
    ap.add_argument('--password', required=True)
    ap.add_argument('--port', type=int, default=0, help='local UDP port')
    ap.add_argument('--sdp', help='file with the SDP to offer/answer')
    ap.add_argument('--rtp', action='store_true',
                    help='media with an RTP endpoint (PCMU tone) instead of --sdp')
    ap.add_argument('--seconds', type=float, default=30.0)
    ap.add_argument('action', choices=('register', 'listen', 'call', 'message'))
    ap.add_argument('target', nargs='?')
    ap.add_argument('text', nargs='?', default='hello')
    a = ap.parse_args()
    host, _, port = a.core.partition(':')
    ua = UdpUA('sip:%s@%s' % (a.user, a.domain), (host, int(port or 5060)),
               impi='%s@%s' % (a.user, a.domain), password=a.password,
               port=a.port)
    sdp = open(a.sdp).read() if a.sdp else ''
    r1, r2 = ua.register_digest()
    print('REGISTER: %s / %s' % (r1.status, r2.status if r2 else '-'))
    if a.action == 'call':
        c = ua.call(a.target, sdp)
        print('INVITE: %s' % c.final.start)
        if c.dialog:
            time.sleep(min(a.seconds, 5))
            print('BYE: %s' % ua.bye(c).start)
    elif a.action == 'message':
        print('MESSAGE: %s' % ua.message(a.target, a.text).start)
    elif a.action == 'listen':
        end = time.monotonic() + a.seconds
        peer = None
        while time.monotonic() < end:
            try:
                m = ua.next_request(timeout=end - time.monotonic())
            except TimeoutError:
                break
            print(m)
            if m.method == 'INVITE':
                ua.pending.insert(0, m)
                if a.rtp and not sip.param(m.get('To'), 'tag'):
                    from epc.rtpstream import RtpStream
                    if peer:
                        peer.stop()
                    peer = RtpStream()
                    ua.answer(peer.sdp(), wait_ack=False)
                    peer.set_remote(m.body)
                    peer.start()
                    print('RTP: sending a tone from :%d to %s:%d' % (
                        (peer.port,) + peer.remote))
                else:
                    ua.answer(sdp, wait_ack=False)
            elif m.method == 'BYE' and peer:
                ua.reply(m, 200, 'OK')
                peer.stop()
                print('RTP: %(rx)d packets received (%(rx_nonsilent)d with audio), '
                      '%(tx)d sent' % peer.stats())
                peer = None
            elif m.method != 'ACK':
                ua.reply(m, 200, 'OK', sip.rand_hex(6))
        if peer:
            peer.stop()
    ua.register_digest(expires=0)
    ua.close()


if __name__ == '__main__':
    main()
