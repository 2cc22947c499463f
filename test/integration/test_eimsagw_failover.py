"""eimsagw_ctl with two eIMS-AGWs (two rtpengine processes): calls spread
over both, one is killed (SIGKILL by pid): a new call that would go to it
fails over to the other one, its existing calls are reported lost, a
re-INVITE re-anchors such a call on the live AGW, and after a restart the
AGW is pinged up again and takes new calls."""
import math
import re
import time

from epc import ng, sip, ua
from epc.rtp import RtpPeer, ims_sdp

import test_eimsagw as t

STACK = {'agws': 2, 'epc_defines': {'EPC_AGW_PING': 3}}


def _fnv(data, h=14695981039346656037):
    for c in data:
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return h


def hash64(a, b=b''):
    """eimsagw_hash64(): FNV-1a of a, a 0xff separator, then b."""
    return _fnv(b, _fnv(b'\xff', _fnv(a)))


def _mix(z):
    m = 0xffffffffffffffff
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & m
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & m
    return z ^ (z >> 31)


def preferred_agw(stack, call_id, from_tag):
    """Which AGW the module's weighted rendezvous hash picks for a call
    when both are up (weights 1), computed as eimsagw_set.c does."""
    key = hash64((call_id + from_tag).encode())
    best, besti = -1.0, -1
    for i, port in enumerate((stack.ports['ng'], stack.ports['ng2'])):
        seed = hash64(('udp:127.0.0.1:%d' % port).encode())
        u = ((_mix(key ^ seed) >> 11) + 0.5) / 9007199254740992.0
        score = 1.0 / -math.log(u)
        if score > best:
            best, besti = score, i
    return besti


def agw_list(stack):
    """[(index, state, pinged_seconds_ago, sessions)] from eimsagw.agw_list."""
    out = stack.kamcmd('ep-cscf', 'eimsagw.agw_list')
    return [(int(i), st, int(p), int(n)) for i, st, p, n in re.findall(
        r'index: (\d+).*?state: (\w+).*?pinged: (-?\d+).*?sessions: (\d+)',
        out, re.S)]


def ids_for(stack, want):
    """A Call-ID and from-tag whose preferred AGW is want."""
    for _ in range(200):
        cid, tag = sip.rand_hex(10) + '@x.invalid', sip.rand_hex(6)
        if preferred_agw(stack, cid, tag) == want:
            return cid, tag
    raise AssertionError('no call id for AGW %d' % want)


def call(stack, alice, bob, rtp, want):
    """Established WIC -> IMS call that the hash puts on AGW want."""
    cid, tag = ids_for(stack, want)
    req = alice.request('INVITE', 'sip:bob@ims.test',
                        [('Contact', alice.contact),
                         ('Content-Type', 'application/sdp')],
                        body=t.CHROME_OFFER, call_id=cid, to='sip:bob@ims.test',
                        from_tag=tag)
    alice.send(req)
    inv = t.got(bob, 'INVITE', cid)
    btag = sip.rand_hex(6)
    t.respond(bob, inv, 200, btag, ims_sdp(rtp.port))
    ok = t.final(alice, req)
    assert ok.status == 200, ok
    dlg = ua.Dialog.from_uac(req, ok)
    t.ack_2xx(alice, dlg, req)
    t.got(bob, 'ACK', cid)
    return cid, req, inv, dlg, btag


def wait_state(stack, idx, state, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if agw_list(stack)[idx][1] == state:
            return True
        time.sleep(0.2)
    return False


def test_failover_and_recovery(stack):
    alice, bob, rtp = t.wic(stack), t.ims_ue(stack), RtpPeer()
    calls = []
    try:
        assert [a[1] for a in agw_list(stack)] == ['up', 'up']
        # the module spreads calls as the hash says, over both AGWs
        c0 = call(stack, alice, bob, rtp, 0)
        c1 = call(stack, alice, bob, rtp, 1)
        calls += [c0, c1]
        assert c0[0] in ng.calls(stack.ports['ng'])
        assert c1[0] in ng.calls(stack.ports['ng2'])
        assert [a[3] for a in agw_list(stack)] == [1, 1]

        # kill AGW 1 right after its ping, so the next call finds it
        # "up" and must fail over by itself
        end = time.monotonic() + 5
        while agw_list(stack)[1][2] != 0 and time.monotonic() < end:
            time.sleep(0.05)
        before = t.counter(stack, 'failovers')
        stack.kill('rtpengine2')
        c2 = call(stack, alice, bob, rtp, 1)        # prefers the dead one
        calls.append(c2)
        assert c2[0] in ng.calls(stack.ports['ng'])
        assert t.counter(stack, 'failovers') == before + 1
        assert agw_list(stack)[1][1] == 'down'
        # more new calls: all on AGW 0, no further failovers needed
        c3 = call(stack, alice, bob, rtp, 1)
        calls.append(c3)
        assert c3[0] in ng.calls(stack.ports['ng'])
        assert t.counter(stack, 'failovers') == before + 1

        # the call on the dead AGW is reported
        out = stack.kamcmd('ep-cscf', 'eimsagw.session', c1[0])
        assert 'udp:127.0.0.1:%d' % stack.ports['ng2'] in out, out
        assert 'agw_query: failed' in out, out
        assert 'media sessions anchored there are lost' in stack.log('ep-cscf')

        # a re-INVITE of that call re-anchors it on the live AGW
        cid, req, inv, dlg, btag = c1
        re_inv = t.in_dialog(alice, dlg, 'INVITE', t.CHROME_OFFER)
        binv = t.got(bob, 'INVITE', cid)
        t.assert_ims_sdp(binv.body)
        t.respond(bob, binv, 200, btag, ims_sdp(rtp.port, version=2))
        r = t.final(alice, re_inv)
        assert r.status == 200, r
        t.assert_webrtc_sdp(r.body, offer=re_inv.body)
        t.ack_2xx(alice, dlg, re_inv)
        t.got(bob, 'ACK', cid)
        assert cid in ng.calls(stack.ports['ng'])

        # restarted, it is pinged up again and takes the calls it prefers
        stack.restart_rtpengine('rtpengine2')
        assert wait_state(stack, 1, 'up', 3 + 3), agw_list(stack)
        c4 = call(stack, alice, bob, rtp, 1)
        calls.append(c4)
        assert c4[0] in ng.calls(stack.ports['ng2'])
    finally:
        for cid, req, inv, dlg, btag in calls:
            try:
                t.bye_from_wic(alice, bob, dlg, cid)
            except Exception:
                pass
        t.bye_bye(alice, bob, rtp)
    assert ng.calls(stack.ports['ng']) == []
    assert ng.calls(stack.ports['ng2']) == []
    assert t.counter(stack, 'sessions_active') == 0
