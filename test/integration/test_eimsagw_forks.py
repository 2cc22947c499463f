"""eimsagw_ctl with parallel forks toward the eP-CSCF: the IMS core forks a
call to every contact of a user, and several are WICs behind this eP-CSCF
(two browser tabs of one IMPU, or a live WIC and a stale binding whose
WebSocket is gone). The eP-CSCF then gets two INVITEs with one Call-ID and
From tag but two Via branches, usually in two workers at the same time.

Each fork must get WebRTC SDP from the one offer at the eIMS-AGW; a fork
that fails (486, a gone flow's 430) must not end the media of the others;
the call's media ends when every fork failed, when it is cancelled, or
with the answered dialog - and rtpengine holds exactly what it should
after each scenario (ng list/query)."""
import re
import time

from epc import sip, testkit, ua
from epc.rtp import RtpPeer, ims_sdp

import test_eimsagw as t

STACK = {'epc_defines': {'EPC_AGW_PING': 2}}


# -- helpers --

def two_wics(stack, user='alice'):
    """Two live WICs of one user, and nothing else registered for it."""
    testkit.purge_bindings(stack, user)
    return t.wic(stack, user), t.wic(stack, user)


def stale_wic(stack, user='alice'):
    """A WIC that registered and then closed its WebSocket without
    de-registering: the core keeps its binding, the flow is gone."""
    dead = t.wic(stack, user)
    port = dead.ws.sock.getsockname()[1]
    dead.ws.close()
    end = time.monotonic() + 5
    mark = 'flow 127.0.0.1:%d closed' % port
    while mark not in stack.log('ep-cscf'):
        assert time.monotonic() < end, 'eP-CSCF did not see the flow close'
        time.sleep(0.05)
    return dead


def call_from_ims(bob, rtp, user='alice'):
    """The IMS UE bob calls `user` with plain RTP/AVP SDP."""
    cid = sip.rand_hex(10) + '@ims-ue'
    inv = sip.Message('INVITE sip:%s@ims.test SIP/2.0' % user, [
        ('Via', bob.new_via()), ('Max-Forwards', '70'),
        ('From', '<sip:bob@ims.test>;tag=%s' % sip.rand_hex(6)),
        ('To', '<sip:%s@ims.test>' % user), ('Call-ID', cid),
        ('CSeq', '1 INVITE'), ('Contact', bob.contact),
        ('Content-Type', 'application/sdp')], ims_sdp(rtp.port))
    bob.send(inv)
    return inv, cid


def agw_side(sdp):
    """What the AGW offers the browser: port, ICE credentials, fingerprint."""
    return (t.sdp_media(sdp)[1],
            re.search(r'a=ice-ufrag:(\S+)', sdp).group(1),
            re.search(r'a=ice-pwd:(\S+)', sdp).group(1),
            re.search(r'a=fingerprint:(.+)', sdp).group(1).strip())


def forks_offered(wics, cid):
    """The INVITE each WIC got: every fork a WebRTC offer, all the same
    offer of the AGW (one port, one set of ICE credentials)."""
    invs = [t.got(w, 'INVITE', cid) for w in wics]
    for w in invs:
        t.assert_webrtc_sdp(w.body, setup=('actpass',))
    assert len({agw_side(w.body) for w in invs}) == 1, [w.body for w in invs]
    return invs


def browser_answer(winv):
    return re.sub(r'a=mid:\S+', 'a=mid:%s' % t.mids(winv.body)[0],
                  t.CHROME_ANSWER)


def session(stack, cid):
    return stack.kamcmd('ep-cscf', 'eimsagw.session', cid)


def wait_session(stack, cid, text, timeout=5.0):
    """eimsagw.session of cid shows `text` (a fork outcome arrives with the
    reply in another worker)."""
    end = time.monotonic() + timeout
    while text not in session(stack, cid):
        assert time.monotonic() < end, session(stack, cid)
        time.sleep(0.05)


def dialogs_of(stack, cid):
    return stack.kamcmd('ep-cscf', 'dlg.list').count(cid)


def ack_and_bye_from_ims(bob, wic, inv, ok, cid):
    """bob ACKs the 2xx, then hangs up; the WIC answers the BYE."""
    bdlg = ua.Dialog.from_uac(inv, ok)
    t.ack_2xx(bob, bdlg, inv)
    t.got(wic, 'ACK', cid)
    bye = t.in_dialog(bob, bdlg, 'BYE')
    t.respond(wic, t.got(wic, 'BYE', cid), 200)
    assert t.final(bob, bye).status == 200


def assert_clean(stack, cid):
    assert t.wait_gone(stack, cid), t.agw_calls(stack)
    out = stack.kamcmd('ep-cscf', 'eimsagw.sessions')
    assert 'total: 0' in out, out


# -- tests --

def test_fork_one_busy_other_answers(stack):
    """Two WICs of alice: one answers 486 while the other rings, then the
    other answers 200 - the media session stays at the AGW through the
    486 (both forks' transactions counted, one pending), the IMS caller
    gets a clean RTP/AVP answer, the AGW holds the caller and the answering
    WIC, the BYE cleans up."""
    (a1, a2), bob, rtp = two_wics(stack), t.ims_ue(stack), RtpPeer()
    try:
        inv, cid = call_from_ims(bob, rtp)
        w1, w2 = forks_offered((a1, a2), cid)
        wait_session(stack, cid, 'forks: 2')
        t2 = sip.rand_hex(6)
        t.respond(a2, w2, 180, t2)
        t.respond(a1, w1, 486, sip.rand_hex(6))
        wait_session(stack, cid, 'forks_pending: 1')
        assert cid in t.agw_calls(stack)
        t.respond(a2, w2, 200, t2, browser_answer(w2))
        r = t.final(bob, inv)
        assert r.status == 200 and sip.param(r.get('To'), 'tag') == t2, r
        t.assert_ims_sdp(r.body)
        assert t.agw_tags(stack, cid) == {sip.param(inv.get('From'), 'tag'), t2}
        assert 'state: confirmed' in session(stack, cid)
        ack_and_bye_from_ims(bob, a2, inv, r, cid)
        assert_clean(stack, cid)
    finally:
        t.bye_bye(a1, a2, bob, rtp)


def test_fork_stale_flow_and_live_wic(stack):
    """A stale binding (WebSocket gone, never de-registered) and a live
    WIC: the stale fork gets 430 before anything is anchored or a dialog is
    created; the live fork gets WebRTC SDP and the call works; nothing is
    left behind."""
    testkit.purge_bindings(stack, 'alice')
    stale_wic(stack)
    live, bob, rtp = t.wic(stack), t.ims_ue(stack), RtpPeer()
    try:
        offers = t.counter(stack, 'offers')
        inv, cid = call_from_ims(bob, rtp)
        (w,) = forks_offered((live,), cid)
        assert re.search(r'INVITE toward \S+: flow gone', stack.log('ep-cscf'))
        # one fork anchored, one offer, one dialog: the stale one touched
        # neither the AGW nor the dialog module
        assert 'forks: 1' in session(stack, cid)
        assert t.counter(stack, 'offers') == offers + 1
        assert dialogs_of(stack, cid) == 1, stack.kamcmd('ep-cscf', 'dlg.list')
        tag = sip.rand_hex(6)
        t.respond(live, w, 180, tag)
        t.respond(live, w, 200, tag, browser_answer(w))
        r = t.final(bob, inv)
        assert r.status == 200, r
        t.assert_ims_sdp(r.body)
        assert t.agw_tags(stack, cid) == {sip.param(inv.get('From'), 'tag'), tag}
        ack_and_bye_from_ims(bob, live, inv, r, cid)
        assert_clean(stack, cid)
    finally:
        t.bye_bye(live, bob, rtp)
        testkit.purge_bindings(stack, 'alice')   # the stale binding


def test_fork_only_stale_flow(stack):
    """The only binding is stale: 430 from the eP-CSCF, the core answers
    the caller 480 (and drops the binding), nothing anchored."""
    testkit.purge_bindings(stack, 'alice')
    stale_wic(stack)
    bob, rtp = t.ims_ue(stack), RtpPeer()
    try:
        offers = t.counter(stack, 'offers')
        inv, cid = call_from_ims(bob, rtp)
        r = t.final(bob, inv)
        assert r.status == 480, r
        bob.send(ua.ack_non2xx(inv, r))
        assert t.counter(stack, 'offers') == offers
        assert cid not in t.agw_calls(stack)
        assert dialogs_of(stack, cid) == 0
    finally:
        t.bye_bye(bob, rtp)
        testkit.purge_bindings(stack, 'alice')


def test_fork_both_fail(stack):
    """Both forks fail (486 and 480): the media session ends with the
    second failure, at the AGW too; normal ends, not cleanups."""
    (a1, a2), bob, rtp = two_wics(stack), t.ims_ue(stack), RtpPeer()
    try:
        cleanups = t.counter(stack, 'cleanups')
        inv, cid = call_from_ims(bob, rtp)
        w1, w2 = forks_offered((a1, a2), cid)
        t.respond(a1, w1, 486, sip.rand_hex(6))
        wait_session(stack, cid, 'forks_pending: 1')
        assert cid in t.agw_calls(stack)
        t.respond(a2, w2, 480, sip.rand_hex(6))
        r = t.final(bob, inv)
        assert r.status in (480, 486), r
        bob.send(ua.ack_non2xx(inv, r))
        assert_clean(stack, cid)
        assert t.counter(stack, 'cleanups') == cleanups
    finally:
        t.bye_bye(a1, a2, bob, rtp)


def test_fork_decline_603(stack):
    """One WIC declines with 603, a global failure (RFC 3261 16.7): the
    core cancels the other fork - which may be ringing at the other WIC,
    or still being anchored at the eP-CSCF - and the caller gets the 603;
    the media session is deleted once both forks are over."""
    (a1, a2), bob, rtp = two_wics(stack), t.ims_ue(stack), RtpPeer()
    try:
        inv, cid = call_from_ims(bob, rtp)
        w1 = t.got(a1, 'INVITE', cid)
        t.respond(a1, w1, 603, sip.rand_hex(6))
        try:
            w2 = t.got(a2, 'INVITE', cid, timeout=1.0)
        except TimeoutError:
            w2 = None       # cancelled before it was relayed to a2
        if w2 is not None:
            # it rings (a CANCEL waits for a provisional, RFC 3261 9.1)
            tag2 = sip.rand_hex(6)
            t.respond(a2, w2, 180, tag2)
            t.respond(a2, t.got(a2, 'CANCEL', cid), 200)
            t.respond(a2, w2, 487, tag2)
        r = t.final(bob, inv)
        assert r.status == 603, r
        bob.send(ua.ack_non2xx(inv, r))
        assert_clean(stack, cid)
    finally:
        t.bye_bye(a1, a2, bob, rtp)


def test_fork_cancel_two_ringing(stack):
    """Both forks ring, the caller cancels: both WICs get the CANCEL, the
    call's media is deleted once both forks are over."""
    (a1, a2), bob, rtp = two_wics(stack), t.ims_ue(stack), RtpPeer()
    try:
        inv, cid = call_from_ims(bob, rtp)
        w1, w2 = forks_offered((a1, a2), cid)
        tags = {a1: sip.rand_hex(6), a2: sip.rand_hex(6)}
        t.respond(a1, w1, 180, tags[a1])
        t.respond(a2, w2, 180, tags[a2])
        bob.recv(5, lambda m: m.is_response and m.status == 180)
        assert cid in t.agw_calls(stack)
        bob.send(ua.cancel(inv))
        for a, w in ((a1, w1), (a2, w2)):
            t.respond(a, t.got(a, 'CANCEL', cid), 200)
            t.respond(a, w, 487, tags[a])
        r = t.final(bob, inv)
        assert r.status == 487, r
        bob.send(ua.ack_non2xx(inv, r))
        assert_clean(stack, cid)
    finally:
        t.bye_bye(a1, a2, bob, rtp)


def test_fork_both_answer(stack):
    """Both WICs answer 200: the first 2xx is the call; the second reaches
    the caller without SDP (its answer is not anchored: it would take the
    call's media at the AGW, and browser SDP must not reach IMS). The
    caller ends the second dialog (BYE): the call's media stays; then the
    call itself ends."""
    (a1, a2), bob, rtp = two_wics(stack), t.ims_ue(stack), RtpPeer()
    try:
        inv, cid = call_from_ims(bob, rtp)
        w1, w2 = forks_offered((a1, a2), cid)
        t1, t2 = sip.rand_hex(6), sip.rand_hex(6)
        t.respond(a1, w1, 200, t1, browser_answer(w1))
        ok1 = t.final(bob, inv)
        assert ok1.status == 200 and sip.param(ok1.get('To'), 'tag') == t1
        t.assert_ims_sdp(ok1.body)
        t.respond(a2, w2, 200, t2, browser_answer(w2))
        ok2 = bob.recv(5, lambda m: m.is_response and m.status == 200 and
                       sip.param(m.get('To'), 'tag') == t2)
        assert 'm=' not in ok2.body and not ok2.get('Content-Type'), ok2
        assert t.agw_tags(stack, cid) == {sip.param(inv.get('From'), 'tag'), t1}
        # the caller acknowledges the second 2xx and ends that dialog
        d2 = ua.Dialog.from_uac(inv, ok2)
        t.ack_2xx(bob, d2, inv)
        bye = t.in_dialog(bob, d2, 'BYE')
        t.respond(a2, t.got(a2, 'BYE', cid), 200)
        assert t.final(bob, bye).status == 200
        time.sleep(0.3)
        assert t.agw_tags(stack, cid) == {sip.param(inv.get('From'), 'tag'), t1}
        assert 'state: confirmed' in session(stack, cid)
        ack_and_bye_from_ims(bob, a1, inv, ok1, cid)
        assert_clean(stack, cid)
    finally:
        t.bye_bye(a1, a2, bob, rtp)


def test_fork_races_repeated(stack):
    """The race the forks run in two workers, again and again: one fork
    fails as soon as it arrives (often before the other fork is anchored),
    the other answers - every time the answer reaches IMS as RTP/AVP from
    the AGW, the call is at the AGW until its BYE, nothing is left."""
    (a1, a2), bob, rtp = two_wics(stack), t.ims_ue(stack), RtpPeer()
    try:
        for i in range(10):
            loser, winner = (a1, a2) if i % 2 else (a2, a1)
            inv, cid = call_from_ims(bob, rtp)
            wl = t.got(loser, 'INVITE', cid)
            # (a 4xx: a 6xx is a global decline - the core cancels the
            # other forks, RFC 3261 16.7)
            t.respond(loser, wl, 486 if i % 3 else 480, sip.rand_hex(6))
            ww = t.got(winner, 'INVITE', cid)
            t.assert_webrtc_sdp(ww.body, setup=('actpass',))
            t.assert_webrtc_sdp(wl.body, setup=('actpass',))
            tag = sip.rand_hex(6)
            t.respond(winner, ww, 200, tag, browser_answer(ww))
            r = t.final(bob, inv)
            assert r.status == 200, (i, r)
            t.assert_ims_sdp(r.body)
            assert t.agw_tags(stack, cid) == {
                sip.param(inv.get('From'), 'tag'), tag}, i
            ack_and_bye_from_ims(bob, winner, inv, r, cid)
            assert_clean(stack, cid)
    finally:
        t.bye_bye(a1, a2, bob, rtp)


def test_fork_wic_to_wic(stack):
    """A WIC calls carol, who has two WICs behind the same eP-CSCF: the
    terminating pass gets two forks; one declines, the other answers; the
    caller gets a WebRTC answer, both passes are at the AGW, one BYE
    deletes both."""
    alice = t.wic(stack, 'alice')
    c1, c2 = two_wics(stack, 'carol')
    try:
        req = t.invite_from_wic(alice, target='sip:carol@ims.test')
        cid = req.get('Call-ID')
        w1, w2 = forks_offered((c1, c2), cid)
        t.respond(c1, w1, 486, sip.rand_hex(6))
        tag = sip.rand_hex(6)
        t.respond(c2, w2, 200, tag, browser_answer(w2))
        ok = t.final(alice, req)
        assert ok.status == 200, ok
        t.assert_webrtc_sdp(ok.body, offer=req.body)
        assert set(t.agw_calls(stack)) >= {cid, cid + '~mt'}
        dlg = ua.Dialog.from_uac(req, ok)
        t.ack_2xx(alice, dlg, req)
        t.got(c2, 'ACK', cid)
        bye = t.in_dialog(alice, dlg, 'BYE')
        t.respond(c2, t.got(c2, 'BYE', cid), 200)
        assert t.final(alice, bye).status == 200
        assert t.wait_gone(stack, cid) and t.wait_gone(stack, cid + '~mt')
    finally:
        t.bye_bye(alice)
        t.bye_bye(c1, c2)


def test_zz_nothing_left_behind(stack):
    assert t.agw_calls(stack) == [], t.agw_calls(stack)
    assert 'total: 0' in stack.kamcmd('ep-cscf', 'eimsagw.sessions')
    assert t.counter(stack, 'sessions_active') == 0
