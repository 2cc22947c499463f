"""Minimal SIP message building, parsing and Digest (RFC 3261, RFC 2617)
for tests: enough to act as a WIC or an IMS UE, strict about what it reads."""
import hashlib
import os
import re

COMPACT = {'i': 'call-id', 'm': 'contact', 'e': 'content-encoding',
           'l': 'content-length', 'c': 'content-type', 'f': 'from',
           's': 'subject', 'k': 'supported', 't': 'to', 'v': 'via',
           'o': 'event', 'u': 'allow-events', 'r': 'refer-to',
           'b': 'referred-by', 'x': 'session-expires'}


def rand_hex(n=8):
    return os.urandom(n).hex()


class Message:
    def __init__(self, start, headers, body=''):
        self.start = start
        self.headers = headers      # list of (name, value) in order
        self.body = body

    # -- reading --
    @classmethod
    def parse(cls, data):
        if isinstance(data, bytes):
            data = data.decode('utf-8', errors='replace')
        head, sep, body = data.partition('\r\n\r\n')
        if not sep:
            raise ValueError('no end of headers')
        lines = head.split('\r\n')
        headers = []
        for line in lines[1:]:
            if line[:1] in (' ', '\t') and headers:
                n, v = headers[-1]
                headers[-1] = (n, v + ' ' + line.strip())
                continue
            name, colon, value = line.partition(':')
            if not colon:
                raise ValueError('bad header line %r' % line)
            headers.append((name.strip(), value.strip()))
        return cls(lines[0], headers, body)

    @property
    def is_response(self):
        return self.start.startswith('SIP/2.0 ')

    @property
    def status(self):
        return int(self.start.split(' ', 2)[1]) if self.is_response else None

    @property
    def reason(self):
        return self.start.split(' ', 2)[2] if self.is_response else None

    @property
    def method(self):
        if self.is_response:
            return self.cseq_method
        return self.start.split(' ', 1)[0]

    @property
    def ruri(self):
        return None if self.is_response else self.start.split(' ')[1]

    @property
    def cseq_method(self):
        return self.get('CSeq').split()[1]

    def get_all(self, name):
        name = name.lower()
        out = []
        for n, v in self.headers:
            n = n.lower()
            n = COMPACT.get(n, n)
            if n == name:
                out.append(v)
        return out

    def get(self, name, default=None):
        v = self.get_all(name)
        return v[0] if v else default

    # -- writing --
    def set(self, name, value):
        self.remove(name)
        self.headers.append((name, value))

    def remove(self, name):
        name = name.lower()
        self.headers = [(n, v) for n, v in self.headers
                        if COMPACT.get(n.lower(), n.lower()) != name]

    def encode(self):
        hs = [(n, v) for n, v in self.headers if n.lower() not in
              ('content-length', 'l')]
        body = self.body.encode() if isinstance(self.body, str) else self.body
        hs.append(('Content-Length', str(len(body))))
        head = self.start + '\r\n' + ''.join('%s: %s\r\n' % h for h in hs)
        return head.encode() + b'\r\n' + body

    def __str__(self):
        return self.encode().decode(errors='replace')


def param(value, name):
    """A ;param=value (or name="value") from a header value, or None."""
    m = re.search(r'[;,\s]%s\s*=\s*("([^"]*)"|[^;,\s>]*)' % re.escape(name),
                  ';' + value, re.I)
    if not m:
        return None
    return m.group(2) if m.group(2) is not None else m.group(1)


def uri_of(value):
    """The URI of a name-addr or addr-spec header value."""
    m = re.search(r'<([^>]*)>', value)
    return m.group(1) if m else value.split(';')[0].strip()


def parse_challenge(value):
    """Digest challenge header value -> dict of its parameters."""
    scheme, _, rest = value.strip().partition(' ')
    if scheme.lower() != 'digest':
        raise ValueError('not a Digest challenge: %r' % value)
    out = {}
    for m in re.finditer(r'([\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)', rest):
        v = m.group(2)
        out[m.group(1).lower()] = v[1:-1] if v.startswith('"') else v
    return out


def digest_authorization(challenge, method, uri, username, password,
                         nc=1, cnonce=None):
    """Authorization header value answering a Digest MD5 challenge."""
    ch = parse_challenge(challenge)
    realm, nonce = ch['realm'], ch['nonce']
    algo = ch.get('algorithm', 'MD5')
    if algo.upper() != 'MD5':
        raise ValueError('unsupported algorithm %s' % algo)

    def h(s):
        return hashlib.md5(s.encode()).hexdigest()

    ha1 = h('%s:%s:%s' % (username, realm, password))
    ha2 = h('%s:%s' % (method, uri))
    qops = [q.strip() for q in ch.get('qop', '').split(',') if q.strip()]
    parts = ['username="%s"' % username, 'realm="%s"' % realm,
             'nonce="%s"' % nonce, 'uri="%s"' % uri, 'algorithm=MD5']
    if 'auth' in qops:
        cnonce = cnonce or rand_hex(8)
        ncs = '%08x' % nc
        resp = h('%s:%s:%s:%s:auth:%s' % (ha1, nonce, ncs, cnonce, ha2))
        parts += ['qop=auth', 'nc=%s' % ncs, 'cnonce="%s"' % cnonce]
    else:
        resp = h('%s:%s:%s' % (ha1, nonce, ha2))
    parts.append('response="%s"' % resp)
    if 'opaque' in ch:
        parts.append('opaque="%s"' % ch['opaque'])
    return 'Digest ' + ', '.join(parts)
