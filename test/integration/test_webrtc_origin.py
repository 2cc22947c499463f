"""webrtc_origin (Annex U U.1.3.3): only WICs from an authorized WWSF may open
a WebSocket to the eP-CSCF. Real kamailio, real TLS WebSocket handshakes
with chosen Origin headers; only allowed ones reach the 101 upgrade, the
others get 403 with the reason; SIP over an accepted connection carries the
WWSF id; bindings go when connections close; the per-WWSF connection cap.
"""
import time

from epc import sip
from epc.registry import Wwsf, default
from epc.wssip import HandshakeRejected, WicUA, WsClient


def registry(stack):
    return default(stack) + [
        Wwsf('operator', ['https://webrtc.operator.example',
                          'https://*.portal.operator.example'],
             identities=[('impu-domain', 'ims.test')]),
        Wwsf('partner', ['https://wic.partner.example:8443']),
        Wwsf('suspended', ['https://suspended.example'], enabled=False),
        Wwsf('limited', ['https://limited.example'], max_connections=1),
    ]


STACK = {'epc_defines': {'EPC_TEST_WWSF_HEADER': 1}, 'wwsf_registry': registry}

OVERLONG = 'https://' + 'a' * 63 + ('.' + 'b' * 63) * 4 + '.example'


LAST_PORT = {}


def handshake(stack, origin, **kw):
    """(status, reason, body, client): client is open after a 101. The
    client's local port stays in LAST_PORT['port']."""
    ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                  origin=origin, **kw)
    try:
        ws.connect()
        return 101, 'Switching Protocols', b'', ws
    except HandshakeRejected as e:
        return e.status, e.reason, e.body, None
    finally:
        LAST_PORT['port'] = ws.local[1] if ws.local else None


def counters(stack):
    out = {}
    for line in stack.kamcmd('ep-cscf', 'stats.get_statistics',
                             'webrtc_origin:').splitlines():
        name, _, value = line.partition(' = ')
        out[name.split(':', 1)[1]] = int(value)
    return out


def bindings(stack, *args):
    return stack.rpc('ep-cscf', 'webrtc_origin.connections', *args)


def binding_of(stack, ws):
    """The listing entry of a client's connection (by its local port)."""
    remote = '127.0.0.1:%d' % ws.local[1]
    for c in bindings(stack, 'all', 1000)['connections']:
        if c['remote'] == remote:
            return c
    return None


def wait_unbound(stack, conid, timeout=25.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if bindings(stack, 'conid=%d' % conid)['total'] == 0:
            return True
        time.sleep(0.5)
    return False


def options(ws, stack):
    ua = WicUA(ws, 'sip:alice@ims.test')
    uri = 'sip:127.0.0.1:%d;transport=ws' % stack.ports['epc_wss']
    return ua.transaction(ua.request('OPTIONS', uri, to=uri))


# every Origin case and what it gets (status, result text, WWSF bound)
CASES = [
    # allowed: exact, wildcard subdomain (any depth), normalised forms
    ('https://webrtc.operator.example', 101, None, 'operator'),
    ('https://a.portal.operator.example', 101, None, 'operator'),
    ('https://x.y.portal.operator.example', 101, None, 'operator'),
    ('HTTPS://WEBRTC.OPERATOR.EXAMPLE', 101, None, 'operator'),
    ('https://webrtc.operator.example:443', 101, None, 'operator'),
    ('https://wic.partner.example:8443', 101, None, 'partner'),
    # wrong scheme, wrong port, apex of a wildcard
    ('http://webrtc.operator.example', 403, 'not allowed', None),
    ('https://webrtc.operator.example:8443', 403, 'not allowed', None),
    ('https://wic.partner.example', 403, 'not allowed', None),
    ('https://portal.operator.example', 403, 'not allowed', None),
    # look-alike hosts
    ('https://evil-operator.example', 403, 'not allowed', None),
    ('https://operator.example.evil.com', 403, 'not allowed', None),
    ('https://webrtc.operator.example.evil.com', 403, 'not allowed', None),
    ('https://evilportal.operator.example', 403, 'not allowed', None),
    ('https://a.portal.operator.example.evil.com', 403, 'not allowed', None),
    # opaque origin, missing, several, malformed
    ('null', 403, 'not allowed', None),
    (None, 403, 'missing', None),
    (['https://webrtc.operator.example', 'https://webrtc.operator.example'],
     403, 'malformed', None),
    (['https://evil.example', 'https://webrtc.operator.example'],
     403, 'malformed', None),
    ('https://webrtc.operator.example, https://evil.example', 403,
     'malformed', None),
    (OVERLONG, 403, 'malformed', None),
    ('https://' + 'a' * 8000 + '.example', 403, 'malformed', None),
    # an obs-folded header line
    ('https://webrtc.operator.example\r\n .evil.example', 403, 'malformed',
     None),
    ('https://webrtc.operator.example/', 403, 'malformed', None),
    ('https://webrtc.operator.example/wic/index.html', 403, 'malformed', None),
    ('https://user@webrtc.operator.example', 403, 'malformed', None),
    ('https://webrtc.operator.example@evil.example', 403, 'malformed', None),
    ('https://webrtc .operator.example', 403, 'malformed', None),
    ('https://webrtc.operator.example\x00.evil.example', 403, 'malformed',
     None),
    ('https://webrtc.operator.example.', 403, 'malformed', None),
    ('webrtc.operator.example', 403, 'malformed', None),
    # the WWSF is in the registry but suspended
    ('https://suspended.example', 403, 'disabled', None),
]

REASON_COUNTER = {'missing': 'rejected_missing', 'malformed': 'rejected_malformed',
                  'not allowed': 'rejected_not_allowed',
                  'disabled': 'rejected_disabled'}


def test_handshake_origins(stack):
    before = counters(stack)
    want = {}
    opened, refused_ports = [], []
    try:
        for origin, status, result, wwsf in CASES:
            got, reason, body, ws = handshake(stack, origin)
            assert got == status, (origin, got, reason)
            if status != 101:
                refused_ports.append(LAST_PORT['port'])
            if status == 101:
                opened.append(ws)
                b = binding_of(stack, ws)
                assert b and b['wwsf'] == wwsf, (origin, b)
                want['handshakes_accepted'] = want.get('handshakes_accepted', 0) + 1
            else:
                assert reason == 'Forbidden - Origin %s' % result, (origin, reason)
                assert body == ('Origin %s\n' % result).encode(), (origin, body)
                c = REASON_COUNTER[result]
                want[c] = want.get(c, 0) + 1
        # only the allowed handshakes became WebSocket connections
        dump = stack.kamcmd('ep-cscf', 'ws.dump')
        for ws in opened:
            assert '127.0.0.1:%d ->' % ws.local[1] in dump, dump
        for port in refused_ports:
            assert '127.0.0.1:%d ->' % port not in dump, dump
        assert not [c for c in bindings(stack, 'all', 1000)['connections']
                    if int(c['remote'].rsplit(':', 1)[1]) in refused_ports]
        after = counters(stack)
        for name in ('handshakes_accepted', 'rejected_missing',
                     'rejected_malformed', 'rejected_not_allowed',
                     'rejected_disabled', 'rejected_limit'):
            assert after[name] - before[name] == want.get(name, 0), \
                (name, before, after)
        # the refusals are logged with their reason (at most
        # reject_log_rate lines a second: wait for a fresh second)
        log = stack.log('ep-cscf')
        assert 'refused: Origin not allowed (Origin: https://evil-operator.example)' in log
        time.sleep(1.1)
        handshake(stack, ['https://webrtc.operator.example', 'https://evil.example'])
        time.sleep(0.2)
        assert 'refused: Origin malformed - several Origin headers (Origin: ' \
            'https://webrtc.operator.example)' in stack.log('ep-cscf')
        # per-WWSF counters
        lst = {w['id']: w for w in stack.rpc('ep-cscf', 'webrtc_origin.list')['wwsf']}
        assert lst['operator']['accepted'] >= 5
        assert lst['operator']['connections'] == 5
        assert lst['suspended']['rejected_disabled'] >= 1
        assert lst['suspended']['enabled'] == 0
    finally:
        for ws in opened:
            ws.close()


def test_origin_header_name_any_case(stack):
    # header names are case-insensitive: 'ORIGIN' is an Origin header
    status, reason, _, ws = handshake(
        stack, None, extra_headers=[('ORIGIN', 'https://webrtc.operator.example')])
    assert status == 101, reason
    assert binding_of(stack, ws)['wwsf'] == 'operator'
    ws.close()
    status, reason, _, _ = handshake(
        stack, 'https://webrtc.operator.example',
        extra_headers=[('origin', 'https://evil.example')])
    assert (status, reason) == (403, 'Forbidden - Origin malformed')


def test_sip_carries_wwsf_id(stack):
    status, _, _, ws = handshake(stack, 'https://a.portal.operator.example')
    assert status == 101
    try:
        r = options(ws, stack)
        assert r.status == 200, r
        assert r.get('X-EPC-WWSF') == 'operator', r
        b = binding_of(stack, ws)
        assert b['origin'] == 'https://a.portal.operator.example'
        assert b['identities'] == []
        assert 0 <= b['age'] < 60
        # the registry's demo WWSF: what the foundation tests and the
        # demo page use
        status, _, _, ws2 = handshake(stack, stack.wwsf_origin)
        assert status == 101
        assert options(ws2, stack).get('X-EPC-WWSF') == 'demo'
        ws2.close()
        # REGISTER over the bound connection reaches the IMS core
        ua = WicUA(ws, 'sip:alice@ims.test', impi='alice@ims.test',
                   password='alice-pw')
        r1, r2 = ua.register_digest(expires=60)
        assert r1.status == 401 and r2.status == 200, (r1, r2)
        r3, r4 = ua.register_digest(expires=0)
        assert r4.status == 200
    finally:
        ws.close()


def test_binding_gone_after_close(stack):
    # close frame, TCP reset, and a handshake that the websocket module
    # refuses after the Origin check passed (no 'sip' subprotocol)
    _, _, _, clean = handshake(stack, 'https://webrtc.operator.example')
    _, _, _, reset = handshake(stack, 'https://webrtc.operator.example')
    c1, c2 = binding_of(stack, clean)['conid'], binding_of(stack, reset)['conid']
    before = bindings(stack, 'wwsf=operator')['total']
    status, reason, _, _ = handshake(stack, 'https://webrtc.operator.example',
                                     subprotocol=None)
    assert status == 400, (status, reason)
    clean.close()
    reset.abort()
    assert wait_unbound(stack, c1), bindings(stack)
    assert wait_unbound(stack, c2), bindings(stack)
    end = time.monotonic() + 25
    while time.monotonic() < end and \
            bindings(stack, 'wwsf=operator')['total'] > before - 2:
        time.sleep(0.5)
    assert bindings(stack, 'wwsf=operator')['total'] == before - 2, \
        bindings(stack)
    lst = stack.rpc('ep-cscf', 'webrtc_origin.list', 'operator')['wwsf'][0]
    assert lst['connections'] == before - 2


def test_connection_limit(stack):
    s1, _, _, ws1 = handshake(stack, 'https://limited.example')
    assert s1 == 101
    s2, reason, _, _ = handshake(stack, 'https://limited.example')
    assert s2 == 403 and reason == 'Forbidden - Origin connection limit'
    conid = binding_of(stack, ws1)['conid']
    ws1.close()
    assert wait_unbound(stack, conid)
    s3, _, _, ws3 = handshake(stack, 'https://limited.example')
    assert s3 == 101
    ws3.close()
    lst = stack.rpc('ep-cscf', 'webrtc_origin.list', 'limited')['wwsf'][0]
    assert lst['rejected_limit'] == 1 and lst['accepted'] == 2


def test_listing_filters_and_pages(stack):
    clients = []
    try:
        for i in range(5):
            s, _, _, ws = handshake(stack, 'https://p%d.portal.operator.example' % i)
            assert s == 101
            clients.append(ws)
        s, _, _, ws = handshake(stack, 'https://wic.partner.example:8443')
        clients.append(ws)
        mine = sorted(binding_of(stack, w)['conid'] for w in clients)
        # pages of two, by ascending conid, until 'more' is 0
        seen, after = [], 0
        for _ in range(20):
            page = bindings(stack, 'all', 2, after)
            assert page['count'] <= 2
            seen += [c['conid'] for c in page['connections']]
            if not page['more']:
                break
            after = page['next']
        assert seen == sorted(seen)
        assert set(mine) <= set(seen)
        partner = bindings(stack, 'wwsf=partner')['connections']
        assert binding_of(stack, clients[-1])['conid'] in \
            [c['conid'] for c in partner]
        assert all(c['wwsf'] == 'partner' for c in partner)
        o = bindings(stack, 'origin=HTTPS://p3.portal.operator.example:443')
        assert o['total'] == 1 and o['connections'][0]['conid'] == mine[3]
        c = bindings(stack, 'conid=%d' % mine[0])
        assert c['total'] == 1 and c['connections'][0]['conid'] == mine[0]
        assert bindings(stack, 'impu=sip:nobody@ims.test')['total'] == 0
        # bad arguments are refused
        r = stack.kamcmd('ep-cscf', 'webrtc_origin.connections', 'colour=red',
                         check=False)
        assert 'Bad filter' in r, r
        r = stack.kamcmd('ep-cscf', 'webrtc_origin.connections', 'all', 5000,
                         check=False)
        assert 'limit must be' in r, r
    finally:
        for ws in clients:
            ws.close()


def test_script_match_function(stack):
    status, _, _, ws = handshake(stack, 'https://webrtc.operator.example')
    assert status == 101
    try:
        ua = WicUA(ws, 'sip:alice@ims.test')
        uri = 'sip:127.0.0.1:%d;transport=ws' % stack.ports['epc_wss']
        for origin, want in (
                ('https://z.portal.operator.example', '1 allowed operator'),
                ('https://suspended.example', '-4 disabled suspended'),
                ('https://evil.example', '-3 not allowed <null>'),
                ('null', '-3 not allowed <null>'),
                ('https://evil.example/x', '-2 malformed <null>')):
            r = ua.transaction(ua.request('OPTIONS', uri, to=uri,
                                          headers=[('X-Test-Origin', origin)]))
            assert r.get('X-EPC-Match') == want, (origin, r)
            # the connection's own binding is not touched
            assert r.get('X-EPC-WWSF') == 'operator'
    finally:
        ws.close()


def test_rpc_match_and_list(stack):
    m = stack.rpc('ep-cscf', 'webrtc_origin.match', 'https://Q.Portal.Operator.Example:443')
    assert m == {'origin': 'https://q.portal.operator.example', 'result': 'allowed',
                 'wwsf': 'operator', 'entry': 'https://*.portal.operator.example'}
    m = stack.rpc('ep-cscf', 'webrtc_origin.match', 'https://suspended.example')
    assert m['result'] == 'disabled' and m['wwsf'] == 'suspended'
    m = stack.rpc('ep-cscf', 'webrtc_origin.match', 'https://evil.example')
    assert m['result'] == 'not allowed' and m['wwsf'] == ''
    r = stack.kamcmd('ep-cscf', 'webrtc_origin.match', 'null', check=False)
    assert 'Not a serialized origin' in r
    lst = stack.rpc('ep-cscf', 'webrtc_origin.list')
    assert lst['generation'] == 1 and lst['last_reload']['result'] == 'ok'
    ids = [w['id'] for w in lst['wwsf']]
    assert ids == ['demo', 'operator', 'partner', 'suspended', 'limited']
    assert lst['origins'] == 7
    op = stack.rpc('ep-cscf', 'webrtc_origin.list', 'operator')['wwsf']
    assert len(op) == 1 and op[0]['origins'] == [
        'https://webrtc.operator.example', 'https://*.portal.operator.example']
    assert op[0]['identities'] == ['impu-domain ims.test']
    r = stack.kamcmd('ep-cscf', 'webrtc_origin.list', 'nope', check=False)
    assert 'No WWSF nope' in r
    assert not [l for l in stack.log('ep-cscf').splitlines()
                if 'ERROR' in l and 'webrtc_origin' in l]
