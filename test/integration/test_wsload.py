"""The load generator (test/bench/wsload) through the real stack, briefly,
and what load showed about the reference configuration (doc/benchmarks.md).

A smoke run of each thing 'make bench' measures: browsers registering with
IMS Digest (answering the core's 401) and with WWSF tokens (ES256, signed
by wsload per connection), calls with a Chromium offer through the eP-CSCF
and the eIMS-AGW to an IMS UE (sipp), connections held idle with
keepalives - each asserting every connection and operation succeeded.

And two regressions found under load:
 - registration refreshes must not leak pkg memory in the UDP workers that
   relay the core's replies (cmp_uri() in Kamailio 5.6 leaked ~100 bytes a
   call: the workers failed after ~60 000 registrations);
 - the registration state of a connection must survive the delayed close
   event of an earlier connection from the same address and port
   (websocket:closed runs ~5 s after the close).
"""
import os
import re
import time

from epc import ng, registry, wsload
from epc.stack import TOP
from epc.udpsip import UdpUA
from epc.wssip import WicUA, WsClient

BUILD = os.environ.get('BUILD', os.path.join(TOP, 'build'))
CALLEE = 'wsload-uas'
os.makedirs(os.path.join(BUILD, 'test-logs'), exist_ok=True)
# the test IMS core's subscribers plus wsload0..99 and the callee
_SUBS = wsload.subscribers(os.path.join(BUILD, 'test-logs',
                                        'wsload-subscribers.txt'),
                           100, extra=[CALLEE])

# every client is 127.0.0.1: pike off; the demo registry (a token WWSF and
# an IMS-authentication WWSF)
STACK = {'tcp_children': 2, 'epc_shm_mb': 256, 'wwsf_tokens': True,
         'subscribers': _SUBS, 'epc_defines': {'EPC_PIKE_REQS': 65535}}


def _run(stack, **opts):
    wsload.build()
    o = dict(origin=stack.wwsf_origin, progress_timeout=20, timeout=90)
    o.update(opts)
    rc, res, err = wsload.run(stack.ports['epc_wss'], **o)
    assert res, (rc, err)
    return rc, res[-1], err


def _tokens(stack):
    key = stack.wwsf_signing_key()
    return dict(auth='token', token_key=key.path,
                token_iss=stack.wwsf_origin,
                token_aud=registry.DEMO_AUDIENCE, token_kid=key.kid,
                token_ttl=900)


def _clean(r):
    return (wsload.unclean(r) == 0 and wsload.refused(r) == 0
            and r['ops_fail'] == 0 and r['auth_fail'] == 0)


def test_wsload_digest_registrations(stack):
    """5 browsers of the IMS-authentication WWSF, 3 registrations each:
    the first answers the core's 401, the refreshes reuse the nonce."""
    rc, r, err = _run(stack, conns=5, requests=3, auth='digest',
                      origin=stack.wwsf_ims_origin, user_base=0)
    assert rc == 0 and _clean(r), (r, err)
    assert r['ok'] == 5 and r['regs_ok'] == 15 and r['s2xx'] == 15, r
    assert r['s401'] == 5 and r['sent'] == 20 == r['answered'], r


def test_wsload_token_registrations(stack):
    """5 browsers of the token WWSF, each with its own ES256 token: no
    challenge, 3 registrations each (refreshes with the same token on the
    same connection)."""
    rc, r, err = _run(stack, conns=5, requests=3, user_base=10,
                      **_tokens(stack))
    assert rc == 0 and _clean(r), (r, err)
    assert r['regs_ok'] == 15 and r['s2xx'] == 15 and r['s401'] == 0, r


def test_wsload_calls(stack):
    """3 registered browsers place 2 calls each (INVITE with a Chromium
    offer, 200 from a sipp IMS UE, ACK, BYE): every call set up and torn
    down, and the eIMS-AGW got an offer, an answer and a delete per call
    and holds none of them afterwards."""
    ue = UdpUA('sip:%s@ims.test' % CALLEE, ('127.0.0.1', stack.ports['core']),
               impi='%s@ims.test' % CALLEE, password=CALLEE + '-pw')
    _, r2 = ue.register_digest(expires=300)
    assert r2 is not None and r2.status == 200, r2
    port = ue.port
    ue.close()
    work = os.path.join(stack.rundir, 'wsload-uas')
    os.makedirs(work, exist_ok=True)
    uas = stack.group.start('wsload-uas', [
        'sipp', '-sf', os.path.join(TOP, 'test', 'bench', 'agw', 'uas.xml'),
        '-i', '127.0.0.1', '-p', str(port), '-nostdin', '-timeout', '60s'],
        cwd=work)
    try:
        time.sleep(0.3)
        ngport = stack.ports['ng']

        def counts():
            c = ng.command(ngport, {'command': 'statistics'})['statistics'][
                'controlstatistics']
            return (c['totaloffercount'], c['totalanswercount'],
                    c['totaldeletecount'])
        before, calls0 = counts(), set(ng.calls(ngport))
        rc, r, err = _run(stack, conns=3, requests=2, user_base=20,
                          method='INVITE', callee='sip:%s@ims.test' % CALLEE,
                          sdp=os.path.join(TOP, 'test', 'sdp', 'chromium',
                                           'offer-balanced-a.sdp'),
                          **_tokens(stack))
        assert rc == 0 and _clean(r), (r, err)
        assert r['calls_ok'] == 6 and r['calls_fail'] == 0, r
        assert r['regs_ok'] == 3, r
        end = time.monotonic() + 5
        while time.monotonic() < end:
            delta = [b - a for a, b in zip(before, counts())]
            if delta == [6, 6, 6]:
                break
            time.sleep(0.2)
        assert delta == [6, 6, 6], delta
        assert not set(ng.calls(ngport)) - calls0
    finally:
        stack.group.stop(uas)


def test_wsload_hold_with_keepalives(stack):
    """10 registered browsers held idle 3 s with a WebSocket ping from each
    every 0.5 s: none dropped, every ping answered by the eP-CSCF."""
    wsload.build()
    h = wsload.Held(stack.ports['epc_wss'], conns=10, hold=3, keepalive=0.5,
                    origin=stack.wwsf_origin, user_base=30, timeout=20,
                    **_tokens(stack))
    try:
        r = h.wait_round(timeout=30)
        assert r and r['ok'] == 10 and r['regs_ok'] == 10, r
        time.sleep(3)
        rc, lines, err = h.end(timeout=30)
    finally:
        h.kill()
    hold = [x for x in lines if x['kind'] == 'hold'][0]
    assert rc == 0, (rc, err)
    assert hold['ok'] == 10 and hold['dropped'] == 0, hold
    assert hold['ka_sent'] >= 40 and hold['pongs'] >= hold['ka_sent'] - 10, hold


def _udp_pkg(stack):
    out = stack.kamcmd('ep-cscf', 'pkg.stats')
    used = {}
    for blk in out.split('}'):
        m = re.search(r'used:\s*(\d+).*desc: udp receiver', blk, re.S)
        if m:
            pid = re.search(r'pid:\s*(\d+)', blk).group(1)
            used[pid] = int(m.group(1))
    assert used, out
    return used


def test_register_refreshes_do_not_leak_pkg(stack):
    """3000 token registration refreshes (the core's 200 OK go through the
    UDP workers' REGISTER_REPLY route): the workers' pkg memory stays put.
    With cmp_uri() (Kamailio 5.6 never frees the URI parameters it parses)
    it grew by ~110 bytes per reply, ~320 KB here."""
    _run(stack, conns=10, requests=5, user_base=40, **_tokens(stack))
    time.sleep(0.5)
    before = _udp_pkg(stack)
    rc, r, err = _run(stack, conns=20, requests=150, user_base=40,
                      **_tokens(stack))
    assert rc == 0 and _clean(r) and r['regs_ok'] == 3000, (r, err)
    time.sleep(0.5)
    after = _udp_pkg(stack)
    growth = sum(after[p] - before.get(p, after[p]) for p in after)
    assert growth < 64 * 1024, (before, after)


def test_flow_state_survives_earlier_close_from_same_port(stack):
    """alice registers over a connection from port P and closes it (reset:
    a clean close would leave this client's side of the 4-tuple in
    TIME_WAIT and the reconnect from P fails with EADDRNOTAVAIL at times);
    right away bob connects from the same address and port P and
    registers. The websocket:closed event of alice's connection comes ~5 s
    later: it must not take bob's registration state with it (bob's MESSAGE
    afterwards reaches the core instead of 403 'not registered on this
    connection')."""
    def wic(user, source):
        ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                      origin=stack.wwsf_ims_origin, source=source)
        ws.connect()
        return WicUA(ws, 'sip:%s@ims.test' % user, impi='%s@ims.test' % user,
                     password=user + '-pw')
    a = wic('alice', ('127.0.0.1', 0))
    _, r2 = a.register_digest(expires=120)
    assert r2 is not None and r2.status == 200, r2
    port = a.ws.local[1]
    a.ws.abort()
    b = wic('bob', ('127.0.0.1', port))
    try:
        assert b.ws.local[1] == port
        _, r2 = b.register_digest(expires=120)
        assert r2 is not None and r2.status == 200, r2
        time.sleep(8)     # rm_delay_interval (5 s) and the websocket timer
        req = b.request('MESSAGE', 'sip:carol@ims.test',
                        [('Content-Type', 'text/plain')], 'hello')
        r = b.transaction(req)
        assert r.status != 403, (r.status, r.reason)
        b.register_digest(expires=0)
    finally:
        b.ws.close()
