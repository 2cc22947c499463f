"""A continuous RTP/AVP audio stream for tests, the media side of an IMS UE
(udpsip.UdpUA) in a call that lasts: PCMU/8000 (PCMA and telephone-event
offered too), RTP on an even port of 127.0.0.1 and RTCP on the next one, a
400 Hz tone sent every 20 ms to the address and port the peer's SDP names,
and every packet received counted (RTP and RTCP, by source address, payload
type, and whether the audio is more than silence). epc.rtp is the simpler
synchronous peer of the eimsagw_ctl tests.

    peer = RtpStream()
    sdp = peer.sdp()                 # offer or answer with this endpoint
    peer.set_remote(their_sdp)       # where to send (c=, m=audio port)
    peer.start()                     # send and receive in a thread
    ... peer.stats()['rx'] ...
    peer.stop()

Standard library only; bounded: stop() ends the thread within 0.1 s.
"""
import math
import os
import random
import select
import socket
import struct
import threading
import time

PCMU, PCMA, TEL_EVENT = 0, 8, 101
FRAME = 160                        # 20 ms at 8 kHz


def ulaw(sample):
    """16-bit linear -> G.711 mu-law byte (biased segment encoding)."""
    sign = 0x80 if sample < 0 else 0
    mag = min(abs(sample), 32635) + 0x84
    exp = 7
    mask = 0x4000
    while exp > 0 and not mag & mask:
        exp -= 1
        mask >>= 1
    mant = (mag >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def alaw(sample):
    """16-bit linear -> G.711 A-law byte."""
    sign = 0x00 if sample < 0 else 0x80
    mag = min(abs(sample), 32767) >> 3
    if mag < 32:
        code = mag >> 1
    else:
        exp = mag.bit_length() - 5
        code = (exp << 4) | ((mag >> exp) & 0x0F)
    return (sign | code) ^ 0x55


def tone_frame(law, hz=400, level=0.3):
    """One 20 ms frame of a sine; 400 Hz fits 160 samples exactly (8
    periods), so every frame is the same."""
    pcm = [int(level * 32767 * math.sin(2 * math.pi * hz * i / 8000))
           for i in range(FRAME)]
    enc = ulaw if law == PCMU else alaw
    return bytes(enc(s) for s in pcm)


SILENCE = {PCMU: 0xFF, PCMA: 0xD5}


def _bind_pair(host):
    """RTP socket on an even port and RTCP on port + 1."""
    for _ in range(200):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        port = random.randrange(30000, 39998, 2)
        try:
            rtp.bind((host, port))
        except OSError:
            rtp.close()
            continue
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            rtcp.bind((host, port + 1))
        except OSError:
            rtp.close()
            rtcp.close()
            continue
        return rtp, rtcp
    raise RuntimeError('no free RTP/RTCP port pair')


def parse_audio(sdp):
    """(address, port, [payload types], rtcp port) of the first audio
    m-line of an SDP (media-level c= over session-level)."""
    addr, port, pts, rtcp = None, None, [], None
    in_audio = False
    seen_audio = False
    for line in sdp.replace('\r\n', '\n').split('\n'):
        if line.startswith('m='):
            if seen_audio:
                break
            f = line[2:].split()
            in_audio = f[0] == 'audio'
            if in_audio:
                seen_audio = True
                port = int(f[1])
                pts = [int(x) for x in f[3:] if x.isdigit()]
        elif line.startswith('c=') and (in_audio or not seen_audio):
            addr = line.split()[-1].split('/')[0]
        elif in_audio and line.startswith('a=rtcp:'):
            rtcp = int(line[7:].split()[0])
    if port is None:
        raise ValueError('no audio m-line')
    return addr, port, pts, rtcp if rtcp is not None else port + 1


class RtpStream:
    def __init__(self, host='127.0.0.1', hz=400):
        self.host = host
        self.hz = hz
        self.rtp, self.rtcp = _bind_pair(host)
        self.port = self.rtp.getsockname()[1]
        self.ssrc = random.getrandbits(32)
        self.remote = None           # (addr, port)
        self.remote_rtcp = None
        self.pt = PCMU
        self.lock = threading.Lock()
        self.counts = {'rx': 0, 'tx': 0, 'rtcp_rx': 0, 'rx_nonsilent': 0,
                       'rx_bytes': 0}
        self.rx_from = {}
        self.rx_pts = {}
        self.first_rx = None
        self.last_rx = None
        self._stop = threading.Event()
        self._thread = None

    def sdp(self, pts=(PCMU, PCMA, TEL_EVENT)):
        sid = str(int(time.time()))
        names = {PCMU: 'PCMU/8000', PCMA: 'PCMA/8000',
                 TEL_EVENT: 'telephone-event/8000'}
        lines = ['v=0', 'o=- %s %s IN IP4 %s' % (sid, sid, self.host), 's=-',
                 'c=IN IP4 %s' % self.host, 't=0 0',
                 'm=audio %d RTP/AVP %s' % (self.port, ' '.join(map(str, pts)))]
        lines += ['a=rtpmap:%d %s' % (p, names[p]) for p in pts]
        if TEL_EVENT in pts:
            lines.append('a=fmtp:%d 0-15' % TEL_EVENT)
        lines += ['a=ptime:20', 'a=sendrecv']
        return '\r\n'.join(lines) + '\r\n'

    def set_remote(self, sdp):
        """Send to what the peer's SDP names, with the first of its payload
        types that is PCMU or PCMA."""
        addr, port, pts, rtcp = parse_audio(sdp)
        self.remote = (addr, port)
        self.remote_rtcp = (addr, rtcp)
        for p in pts:
            if p in (PCMU, PCMA):
                self.pt = p
                break
        return self.remote

    def start(self):
        if self._thread:
            return
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        frame = tone_frame(self.pt, self.hz)
        seq = random.getrandbits(16)
        ts = random.getrandbits(32)
        nxt = time.monotonic()
        silence = SILENCE.get(self.pt, 0xFF)
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= nxt:
                if self.remote and self.remote[1]:
                    hdr = struct.pack('!BBHII', 0x80, self.pt, seq, ts, self.ssrc)
                    try:
                        self.rtp.sendto(hdr + frame, self.remote)
                        with self.lock:
                            self.counts['tx'] += 1
                    except OSError:
                        pass
                seq = (seq + 1) & 0xFFFF
                ts = (ts + FRAME) & 0xFFFFFFFF
                nxt += 0.02
                if nxt < now - 0.2:          # fell far behind: resync
                    nxt = now + 0.02
            r, _, _ = select.select([self.rtp, self.rtcp], [], [],
                                    max(0.0, min(0.02, nxt - time.monotonic())))
            for s in r:
                try:
                    data, src = s.recvfrom(2048)
                except OSError:
                    continue
                self._count(s is self.rtcp, data, src, silence)

    def _count(self, is_rtcp, data, src, silence):
        with self.lock:
            if is_rtcp:
                self.counts['rtcp_rx'] += 1
                return
            if len(data) < 12 or data[0] >> 6 != 2:
                return
            pt = data[1] & 0x7F
            cc = data[0] & 0x0F
            payload = data[12 + 4 * cc:]
            self.counts['rx'] += 1
            self.counts['rx_bytes'] += len(payload)
            key = '%s:%d' % src
            self.rx_from[key] = self.rx_from.get(key, 0) + 1
            self.rx_pts[pt] = self.rx_pts.get(pt, 0) + 1
            if pt in (PCMU, PCMA) and any(abs(b - silence) > 2 for b in payload):
                self.counts['rx_nonsilent'] += 1
            now = time.monotonic()
            self.first_rx = self.first_rx or now
            self.last_rx = now

    def stats(self):
        with self.lock:
            d = dict(self.counts)
            d['rx_from'] = dict(self.rx_from)
            d['rx_pts'] = {str(k): v for k, v in self.rx_pts.items()}
            d['port'] = self.port
            d['remote'] = '%s:%d' % self.remote if self.remote else None
            d['pt'] = self.pt
            d['last_rx_age'] = (time.monotonic() - self.last_rx
                                if self.last_rx else None)
            return d

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(1.0)
        for s in (self.rtp, self.rtcp):
            try:
                s.close()
            except OSError:
                pass


if __name__ == '__main__':
    # self-check: two peers on loopback exchange a second of audio
    a, b = RtpStream(), RtpStream()
    a.set_remote(b.sdp())
    b.set_remote(a.sdp())
    a.start()
    b.start()
    time.sleep(1.0)
    a.stop()
    b.stop()
    print(os.path.basename(__file__), a.stats(), b.stats())
