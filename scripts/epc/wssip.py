"""A SIP-over-WebSocket client (RFC 6455 + RFC 7118) acting as a WIC in
tests: opens ws:// or wss:// with an Origin, speaks the 'sip' subprotocol,
sends and receives SIP messages, answers pings."""
import base64
import hashlib
import os
import select
import socket
import ssl
import struct
import time

from . import sip
from .ua import UAMixin

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


class HandshakeRejected(Exception):
    def __init__(self, status, reason, headers, body):
        super().__init__('WebSocket handshake rejected: %s %s' % (status, reason))
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


class Closed(Exception):
    def __init__(self, code=None, reason=''):
        super().__init__('WebSocket closed (%s) %s' % (code, reason))
        self.code = code
        self.reason = reason


class WsClient:
    """origin: the Origin header value, None for no Origin header, or a
    list/tuple of values for several Origin headers (tests). extra_headers:
    (name, value) pairs added as they are. source: (address, port) to
    connect from (e.g. the port of an earlier connection; SO_REUSEADDR)."""

    def __init__(self, host, port, tls=True, cafile=None, origin=None,
                 path='/', subprotocol='sip', timeout=5.0, extra_headers=(),
                 source=None):
        self.host, self.port, self.tls = host, port, tls
        self.source = source
        self.cafile, self.origin, self.path = cafile, origin, path
        self.subprotocol, self.timeout = subprotocol, timeout
        self.extra_headers = list(extra_headers)
        self.sock = None
        self.buf = b''
        self.local = None

    def connect(self):
        if self.source:
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            raw.settimeout(self.timeout)
            raw.bind(self.source)
            raw.connect((self.host, self.port))
        else:
            raw = socket.create_connection((self.host, self.port),
                                           self.timeout)
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cafile)
            ctx.check_hostname = False if self.cafile is None else True
            if self.cafile is None:
                ctx.verify_mode = ssl.CERT_NONE
            raw = ctx.wrap_socket(raw, server_hostname=self.host)
        self.sock = raw
        self.local = raw.getsockname()
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ['GET %s HTTP/1.1' % self.path,
                 'Host: %s:%d' % (self.host, self.port),
                 'Upgrade: websocket', 'Connection: Upgrade',
                 'Sec-WebSocket-Key: ' + key, 'Sec-WebSocket-Version: 13']
        if self.subprotocol:
            lines.append('Sec-WebSocket-Protocol: ' + self.subprotocol)
        if isinstance(self.origin, (list, tuple)):
            lines += ['Origin: ' + o for o in self.origin]
        elif self.origin is not None:
            lines.append('Origin: ' + self.origin)
        lines += ['%s: %s' % h for h in self.extra_headers]
        self.sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8', 'surrogateescape'))
        head = self._read_until(b'\r\n\r\n')
        text = head.decode('latin-1')
        status_line, *hlines = text.split('\r\n')
        parts = status_line.split(' ', 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ''
        headers = {}
        for line in hlines:
            if ':' in line:
                n, v = line.split(':', 1)
                headers[n.strip().lower()] = v.strip()
        if status != 101:
            body = b''
            n = int(headers.get('content-length', '0') or 0)
            if n:
                body = self._read_exact(n)
            self.close(send_close=False)
            raise HandshakeRejected(status, reason, headers, body)
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode())
                                .digest()).decode()
        if headers.get('sec-websocket-accept') != want:
            raise ValueError('bad Sec-WebSocket-Accept')
        if self.subprotocol and \
                headers.get('sec-websocket-protocol') != self.subprotocol:
            raise ValueError('server did not select subprotocol %s'
                             % self.subprotocol)
        return headers

    # -- low level --
    def _recv_some(self, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('WebSocket read timed out')
            if not (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    continue
            data = self.sock.recv(65536)
            if not data:
                raise Closed(None, 'connection closed by peer')
            self.buf += data
            return

    def _read_until(self, marker, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while marker not in self.buf:
            self._recv_some(deadline)
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n, deadline=None):
        deadline = deadline or time.monotonic() + self.timeout
        while len(self.buf) < n:
            self._recv_some(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload):
        hdr = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack('!H', n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack('!Q', n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + masked)

    def recv_frame(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        b0, b1 = self._read_exact(2, deadline)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack('!H', self._read_exact(2, deadline))[0]
        elif n == 127:
            n = struct.unpack('!Q', self._read_exact(8, deadline))[0]
        mask = self._read_exact(4, deadline) if b1 & 0x80 else None
        payload = self._read_exact(n, deadline)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bool(b0 & 0x80), b0 & 0x0f, payload

    def recv_message(self, timeout=None):
        """Next text/binary message (pings answered, close raises Closed)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        parts = []
        while True:
            fin, op, payload = self.recv_frame(max(deadline - time.monotonic(),
                                                   0.001))
            if op == 0x9:
                self.send_frame(0xA, payload)
                continue
            if op == 0xA:
                continue
            if op == 0x8:
                code = struct.unpack('!H', payload[:2])[0] if len(payload) >= 2 else None
                try:
                    self.send_frame(0x8, payload[:2])
                except OSError:
                    pass
                raise Closed(code, payload[2:].decode(errors='replace'))
            parts.append(payload)
            if fin:
                return b''.join(parts)

    def send_text(self, data):
        self.send_frame(0x1, data if isinstance(data, bytes) else data.encode())

    def abort(self):
        """Drop the connection without a close frame, with a TCP reset."""
        if self.sock is None:
            return
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack('ii', 1, 0))
        except OSError:
            pass
        try:
            self.sock.close()
        finally:
            self.sock = None

    def close(self, send_close=True):
        if self.sock is None:
            return
        if send_close:
            try:
                self.send_frame(0x8, struct.pack('!H', 1000))
            except OSError:
                pass
        try:
            self.sock.close()
        finally:
            self.sock = None


class WicUA(UAMixin):
    """A WebRTC IMS Client over WebSocket, as far as SIP goes (calls,
    dialogs, MESSAGE and registration come from UAMixin)."""

    REGISTER_HEADERS = (('Supported', 'path, outbound, gruu'),)
    INITIAL_AUTHORIZATION = True

    def __init__(self, ws, impu, impi=None, password=None, domain=None):
        self.ws = ws
        self.impu = impu                      # e.g. sip:alice@ims.test
        self.impi = impi
        self.password = password
        self.domain = domain or impu.split('@', 1)[1]
        self.inst = sip.rand_hex(6) + '.invalid'   # RFC 7118 Via/Contact host
        self.contact_user = sip.rand_hex(4)
        self.call_id = sip.rand_hex(12) + '@' + self.inst
        self.from_tag = sip.rand_hex(6)
        self.cseq = 0
        self.pending = []      # messages received while waiting for others

    @property
    def contact(self):
        return '<sip:%s@%s;transport=ws>' % (self.contact_user, self.inst)

    def new_via(self):
        return 'SIP/2.0/WSS %s;branch=z9hG4bK%s' % (self.inst, sip.rand_hex(8))

    def request(self, method, ruri, headers=(), body='', call_id=None,
                to=None, from_tag=None, to_tag=None):
        self.cseq += 1
        h = [('Via', 'SIP/2.0/WSS %s;branch=z9hG4bK%s' % (self.inst, sip.rand_hex(8))),
             ('Max-Forwards', '70'),
             ('From', '<%s>;tag=%s' % (self.impu, from_tag or self.from_tag)),
             ('To', '<%s>%s' % (to or self.impu, ';tag=' + to_tag if to_tag else '')),
             ('Call-ID', call_id or self.call_id),
             ('CSeq', '%d %s' % (self.cseq, method))]
        h += list(headers)
        return sip.Message('%s %s SIP/2.0' % (method, ruri), h, body)

    def send(self, msg):
        self.ws.send_text(msg.encode())

    def recv(self, timeout=5.0, match=None):
        """Next SIP message (optionally the next one for which match(m))."""
        for i, m in enumerate(self.pending):
            if match is None or match(m):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no matching SIP message')
            m = sip.Message.parse(self.ws.recv_message(left))
            if match is None or match(m):
                return m
            self.pending.append(m)

    def transaction(self, req, timeout=5.0):
        """Send a request and return its final response (1xx skipped)."""
        self.send(req)
        branch = sip.param(req.get('Via'), 'branch')
        while True:
            r = self.recv(timeout, lambda m: m.is_response and
                          sip.param(m.get('Via', ''), 'branch') == branch)
            if r.status >= 200:
                return r
