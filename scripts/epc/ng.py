"""rtpengine ng control protocol client (bencode over UDP), for tests:
readiness ping and inspecting what the eIMS-AGW holds."""
import os
import socket


def bencode(v):
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return b'i%de' % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b'%d:%s' % (len(v), v)
    if isinstance(v, (list, tuple)):
        return b'l' + b''.join(bencode(x) for x in v) + b'e'
    if isinstance(v, dict):
        return b'd' + b''.join(bencode(k) + bencode(v[k])
                               for k in sorted(v)) + b'e'
    raise TypeError(type(v))


def bdecode(data):
    def dec(i):
        c = data[i:i + 1]
        if c == b'i':
            j = data.index(b'e', i)
            return int(data[i + 1:j]), j + 1
        if c == b'l':
            out, i = [], i + 1
            while data[i:i + 1] != b'e':
                v, i = dec(i)
                out.append(v)
            return out, i + 1
        if c == b'd':
            out, i = {}, i + 1
            while data[i:i + 1] != b'e':
                k, i = dec(i)
                v, i = dec(i)
                out[k.decode() if isinstance(k, bytes) else k] = v
            return out, i + 1
        j = data.index(b':', i)
        n = int(data[i:j])
        s = data[j + 1:j + 1 + n]
        if len(s) != n:
            raise ValueError('truncated string')
        try:
            return s.decode(), j + 1 + n
        except UnicodeDecodeError:
            return s, j + 1 + n
    v, i = dec(0)
    if i != len(data):
        raise ValueError('trailing data')
    return v


def command(port, cmd, host='127.0.0.1', timeout=2.0):
    cookie = os.urandom(6).hex()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(cookie.encode() + b' ' + bencode(cmd), (host, port))
        data, _ = s.recvfrom(65536)
    finally:
        s.close()
    c, _, payload = data.partition(b' ')
    if c.decode() != cookie:
        raise ValueError('cookie mismatch')
    return bdecode(payload)


def ping(port, host='127.0.0.1', timeout=1.0):
    try:
        return command(port, {'command': 'ping'}, host, timeout).get('result') == 'pong'
    except (OSError, ValueError):
        return False


def calls(port, host='127.0.0.1'):
    """Call-IDs rtpengine holds (ng 'list'; its default limit is 32)."""
    r = command(port, {'command': 'list', 'limit': 1000000}, host)
    if r.get('result') != 'ok':
        raise ValueError('ng list failed: %r' % r)
    return list(r.get('calls', []))


def query(port, call_id, host='127.0.0.1'):
    """ng 'query' reply of a call, or None if rtpengine does not know it."""
    r = command(port, {'command': 'query', 'call-id': call_id}, host)
    return r if r.get('result') == 'ok' else None


def streams(q):
    """Flat list of the streams of a query reply: dicts with tag, media,
    protocol, local_port, endpoint_port, rtcp, packets, bytes."""
    out = []
    for tag, t in (q or {}).get('tags', {}).items():
        for m in t.get('medias', []):
            for s in m.get('streams', []):
                out.append({'tag': tag, 'media': m.get('index'),
                            'protocol': m.get('protocol'),
                            'local_port': s.get('local port', 0),
                            'endpoint_port': s.get('endpoint', {}).get('port'),
                            'rtcp': 'RTCP' in s.get('flags', []),
                            'packets': s.get('stats', {}).get('packets', 0),
                            'bytes': s.get('stats', {}).get('bytes', 0)})
    return out
