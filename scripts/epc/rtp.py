"""Media of a plain IMS UE for tests: its SDP (RTP/AVP, PCMU/PCMA,
telephone-event, RTCP on port + 1, no ICE/DTLS/mux) and an RTP/RTCP socket
pair that sends PCMU packets and counts what arrives. Also a small reader
for the first m= section of an SDP."""
import os
import select
import socket
import struct
import time


def ims_sdp(rtp_port, direction='sendrecv', host='127.0.0.1', version=1):
    """Offer or answer of a plain IMS UE on rtp_port."""
    return ('v=0\r\no=ims-ue 4242 %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n'
            't=0 0\r\nm=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n'
            'a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n'
            'a=fmtp:101 0-15\r\na=ptime:20\r\na=%s\r\n'
            % (version, host, host, rtp_port, direction))


def sdp_media(sdp):
    """(connection address, port, protocol, lines) of the first m= section
    (the address: the first c= line, session or media level)."""
    addr = port = proto = None
    lines = sdp.replace('\r\n', '\n').split('\n')
    for ln in lines:
        if ln.startswith('c=') and addr is None:
            addr = ln.split()[-1]
        if ln.startswith('m=') and port is None:
            parts = ln.split()
            port, proto = int(parts[1]), parts[2]
    return addr, port, proto, lines


class RtpPeer:
    """RTP and RTCP sockets on an even port and port + 1."""

    def __init__(self, host='127.0.0.1'):
        for _ in range(50):
            self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.rtp.bind((host, 0))
            self.port = self.rtp.getsockname()[1]
            if self.port % 2:
                self.rtp.close()
                continue
            self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.rtcp.bind((host, self.port + 1))
            except OSError:
                self.rtp.close()
                self.rtcp.close()
                continue
            break
        else:
            raise RuntimeError('no free RTP port pair')
        self.ssrc = struct.unpack('!I', os.urandom(4))[0]
        self.seq = 0
        self.received = 0

    def close(self):
        self.rtp.close()
        self.rtcp.close()

    def send(self, addr, count=25, interval=0.02, pt=0):
        """count PCMU packets (20 ms of silence each) to addr (host, port)."""
        for _ in range(count):
            self.seq += 1
            hdr = struct.pack('!BBHII', 0x80, pt, self.seq & 0xffff,
                              (self.seq * 160) & 0xffffffff, self.ssrc)
            self.rtp.sendto(hdr + b'\xff' * 160, addr)
            if interval:
                time.sleep(interval)

    def drain(self, timeout=0.2):
        """Count the RTP packets that arrived so far (relayed to us)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return self.received
            r, _, _ = select.select([self.rtp], [], [], left)
            if r:
                self.rtp.recvfrom(65535)
                self.received += 1
