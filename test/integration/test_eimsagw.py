"""eimsagw_ctl with real kamailio (eP-CSCF + test IMS core) and rtpengine:
every call leg's SDP goes through the eIMS-AGW with the profile of the side
it goes to (WebRTC toward the WIC, plain RTP/AVP toward IMS), and after
each scenario rtpengine holds exactly the calls it should (ng list/query).

W2 party: a WIC over WSS (scripts/epc/wssip.py) sending real browser SDP
from the shared corpus (test/sdp/chromium, test/sdp/firefox). Mw party: an
IMS UE over UDP registered at the test IMS core (scripts/epc/udpsip.py)
with plain RTP/AVP SDP and RTP (scripts/epc/rtp.py)."""
import glob
import os
import re
import time

from epc import ng, sip, testkit, ua
from epc.rtp import RtpPeer, ims_sdp, sdp_media

HERE = os.path.dirname(os.path.abspath(__file__))
SDP = os.path.join(HERE, '..', 'sdp')

STACK = {'epc_defines': {'EPC_AGW_PING': 2}}


def _sdp(name):
    with open(os.path.join(SDP, name), newline='') as f:
        return f.read()


CHROME_OFFER = _sdp('chromium/offer-balanced-a.sdp')
CHROME_OFFER_AV = _sdp('chromium/offer-balanced-av.sdp')
# Chromium 156 answering an rtpengine offer toward W2 (test/sdp/eimsagw/)
CHROME_ANSWER = _sdp('eimsagw/chromium156-answer-audio.sdp')
# more browser offers the AGW must turn into IMS SDP
# every browser offer of the corpus (Chromium 156, Firefox ESR 153; each
# bundle policy; audio, audio+video, two videos, with a data channel)
OFFERS = sorted(os.path.relpath(f, SDP) for d in ('chromium', 'firefox')
                for f in glob.glob(os.path.join(SDP, d, 'offer-*.sdp')))


# -- parties (scripts/epc/testkit.py) --

def wic(stack, user='alice'):
    return testkit.registered_wic(stack, user)


def ims_ue(stack, user='bob'):
    return testkit.ims_ue(stack, user)


def bye_bye(*parties):
    """De-register and close WICs/UEs (stale contacts at the IMS core would
    make later calls fork to dead flows) and RTP peers."""
    testkit.close_all(*[p for p in parties if not isinstance(p, RtpPeer)])
    for p in parties:
        if isinstance(p, RtpPeer):
            p.close()


def got(u, method, cid, timeout=5.0):
    """The next request `method` of call cid that u received."""
    return u.recv(timeout, lambda m: not m.is_response and
                  m.method == method and m.get('Call-ID') == cid)


def respond(u, req, code, tag=None, body=''):
    """u answers req: Contact on 1xx/2xx, Content-Type with a body."""
    hs = [('Contact', u.contact)] if code < 300 else []
    if body:
        hs.append(('Content-Type', 'application/sdp'))
    return u.reply(req, code, sip_reason(code), tag, hs, body)


def sip_reason(code):
    return {180: 'Ringing', 183: 'Session Progress', 200: 'OK',
            486: 'Busy Here', 487: 'Request Terminated'}.get(code, 'Other')


def final(u, req, timeout=5.0, provisional=None):
    """Final response to req (same branch and method)."""
    branch = sip.param(req.get('Via'), 'branch')
    while True:
        r = u.recv(timeout, lambda m: m.is_response and
                   sip.param(m.get('Via', ''), 'branch') == branch and
                   m.cseq_method == req.method)
        if r.status >= 200:
            return r
        if provisional is not None:
            provisional.append(r)


def in_dialog(u, dlg, method, body='', cseq=None):
    hs = [('Content-Type', 'application/sdp')] if body else []
    req = dlg.request(method, u.new_via(), u.contact, hs, body, cseq)
    u.send(req)
    return req


def agw_calls(stack):
    return ng.calls(stack.ports['ng'])


def agw_tags(stack, cid):
    """SIP tags of the call at the AGW (without rtpengine's placeholder for
    a callee that has not answered yet, '<untagged N>')."""
    q = ng.query(stack.ports['ng'], cid)
    if q is None:
        return None
    return {t for t in q['tags'] if not t.startswith('<untagged')}


def rtp_reaches_agw(stack, cid, rtp, port, count=20):
    """The UE's RTP sent to the AGW's port is counted there (ng query);
    returns that stream."""
    rtp.send(('127.0.0.1', port), count=count)
    time.sleep(0.3)
    st = [x for x in ng.streams(ng.query(stack.ports['ng'], cid))
          if x['local_port'] == port]
    assert len(st) == 1 and st[0]['packets'] >= count - 5, st
    return st[0]


def wait_gone(stack, cid, timeout=5.0):
    """The AGW no longer holds cid."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cid not in agw_calls(stack):
            return True
        time.sleep(0.05)
    return False


def counter(stack, name):
    out = stack.kamcmd('ep-cscf', 'stats.get_statistics', 'eimsagw_ctl:')
    m = re.search(r'eimsagw_ctl:%s = (-?\d+)' % name, out)
    assert m, out
    return int(m.group(1))


# -- SDP checks --

def assert_ims_sdp(sdp):
    """What crosses Mw (the AGW with sdp_unbundle before it, as the
    reference configuration chains them): plain RTP/AVP, separate RTCP,
    nothing of ICE, DTLS, mux, BUNDLE or other browser-only attributes."""
    addr, port, proto, lines = sdp_media(sdp)
    assert proto == 'RTP/AVP', sdp
    assert addr == '127.0.0.1' and port > 0, sdp
    for bad in ('a=ice-', 'a=candidate', 'a=fingerprint', 'a=setup',
                'a=rtcp-mux', 'a=extmap', 'a=group:BUNDLE', 'UDP/TLS',
                'a=mid:', 'a=msid', 'a=ssrc', 'a=rtcp-rsize',
                'a=rtcp-fb'):   # feedback is RTP/AVPF only (RFC 4585)
        assert bad not in sdp, '%s in IMS SDP:\n%s' % (bad, sdp)
    for ln in lines:
        if ln.startswith('c='):
            assert ln.split()[-1] != '0.0.0.0', sdp
    rtcp = [ln for ln in lines if ln.startswith('a=rtcp:')]
    assert not rtcp or rtcp[0].split(':')[1].split()[0] == str(port + 1), sdp
    return port


def mids(sdp):
    return re.findall(r'^a=mid:(\S+)', sdp, re.M)


def assert_webrtc_sdp(sdp, offer=None, setup=('active', 'passive')):
    """What a browser accepts (JSEP): ICE, DTLS fingerprint and role,
    rtcp-mux, a mid per m= line (the offer's mids in an answer)."""
    addr, port, proto, lines = sdp_media(sdp)
    assert proto == 'UDP/TLS/RTP/SAVPF', sdp
    for need in ('a=ice-ufrag:', 'a=ice-pwd:', 'a=candidate:',
                 'a=fingerprint:sha-256 ', 'a=rtcp-mux'):
        assert need in sdp, '%s missing in WebRTC SDP:\n%s' % (need, sdp)
    roles = re.findall(r'^a=setup:(\w+)', sdp, re.M)
    assert roles and all(r in setup for r in roles), sdp
    assert len(mids(sdp)) == len(re.findall(r'^m=', sdp, re.M)), sdp
    if offer is not None:
        assert mids(sdp) == mids(offer), (mids(sdp), mids(offer))
    return port


# -- call flows --

def invite_from_wic(alice, target='sip:bob@ims.test', offer=CHROME_OFFER):
    cid = sip.rand_hex(10) + '@' + alice.inst
    req = alice.request('INVITE', target,
                        [('Contact', alice.contact),
                         ('Content-Type', 'application/sdp')],
                        body=offer, call_id=cid, to=target,
                        from_tag=sip.rand_hex(6))
    alice.send(req)
    return req


def ack_2xx(u, dlg, invite):
    return in_dialog(u, dlg, 'ACK', cseq=int(invite.get('CSeq').split()[0]))


def setup_originating(stack, alice, bob, rtp, offer=CHROME_OFFER):
    """WIC -> IMS call up to the ACK; returns (invite, 200, WIC dialog,
    bob's INVITE, bob's tag, AGW port toward IMS)."""
    req = invite_from_wic(alice, offer=offer)
    cid = req.get('Call-ID')
    inv = got(bob, 'INVITE', cid)
    agw_port = assert_ims_sdp(inv.body)
    btag = sip.rand_hex(6)
    respond(bob, inv, 180, btag)
    respond(bob, inv, 200, btag, ims_sdp(rtp.port))
    ok = final(alice, req)
    assert ok.status == 200, ok
    assert_webrtc_sdp(ok.body, offer=req.body)
    dlg = ua.Dialog.from_uac(req, ok)
    ack_2xx(alice, dlg, req)
    got(bob, 'ACK', cid)
    return req, ok, dlg, inv, btag, agw_port


def bye_from_wic(alice, bob, dlg, cid):
    bye = in_dialog(alice, dlg, 'BYE')
    respond(bob, got(bob, 'BYE', cid), 200)
    r = final(alice, bye)
    assert r.status == 200, r


def bye_from_ims(alice, bob, bdlg, cid):
    bye = in_dialog(bob, bdlg, 'BYE')
    respond(alice, got(alice, 'BYE', cid), 200)
    r = final(bob, bye)
    assert r.status == 200, r


# -- tests --

def test_originating_call_media_and_bye_from_wic(stack):
    """WIC offer (Chromium) -> IMS gets RTP/AVP without ICE/DTLS/mux; the
    IMS answer reaches the WIC browser-acceptable; the IMS UE's RTP is
    received by the AGW (query counts it); BYE from the WIC deletes."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        req, ok, dlg, inv, btag, agw_port = setup_originating(
            stack, alice, bob, rtp)
        cid = req.get('Call-ID')
        assert cid in agw_calls(stack)
        assert agw_tags(stack, cid) == {sip.param(req.get('From'), 'tag'), btag}
        # toward the WIC the AGW is DTLS passive (the browser connects)
        assert 'a=setup:passive' in ok.body

        st = [rtp_reaches_agw(stack, cid, rtp, agw_port, count=25)]
        assert st[0]['endpoint_port'] == rtp.port, st  # latched on the UE
        assert st[0]['protocol'] == 'RTP/AVP'

        # RPC: the session with the AGW's packet counters
        out = stack.kamcmd('ep-cscf', 'eimsagw.sessions')
        assert cid in out and 'confirmed' in out, out
        detail = stack.kamcmd('ep-cscf', 'eimsagw.session', cid)
        m = re.search(r'rtp_packets: (\d+)', detail)
        assert m and int(m.group(1)) >= 20, detail
        assert 'local_port: %d' % agw_port in detail, detail
        assert 'caller_side: w2' in detail

        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid), agw_calls(stack)
        assert cid not in stack.kamcmd('ep-cscf', 'eimsagw.sessions')
    finally:
        bye_bye(alice, bob, rtp)


def _multipart(sdp, other_type, other):
    return ('--b-epc\r\nContent-Type: application/sdp\r\n\r\n' + sdp
            + '\r\n--b-epc\r\nContent-Type: ' + other_type + '\r\n\r\n'
            + other + '\r\n--b-epc--\r\n')


def _parts(body):
    """[(part headers, part body)] of a multipart body with boundary b-epc."""
    out = []
    for p in body.split('--b-epc')[1:-1]:
        head, _, content = p.partition('\r\n\r\n')
        out.append((head, content[:-2] if content.endswith('\r\n') else content))
    return out


def test_multipart_sdp_anchored_both_ways(stack):
    """SDP in a multipart/mixed body is anchored like SDP alone, never
    passed through: a WIC offer with a second part reaches IMS as plain
    RTP/AVP from the AGW (the other part untouched); an IMS offer with ISUP
    (as from an MGCF) reaches the WIC as WebRTC SDP from the AGW."""
    testkit.purge_bindings(stack, 'alice')
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        note = 'not SDP\r\nsecond line'
        cid = sip.rand_hex(10) + '@' + alice.inst
        target = 'sip:bob@ims.test'
        req = alice.request('INVITE', target, [
            ('Contact', alice.contact),
            ('Content-Type', 'multipart/mixed;boundary=b-epc')],
            body=_multipart(CHROME_OFFER, 'text/plain', note), call_id=cid,
            to=target, from_tag=sip.rand_hex(6))
        alice.send(req)
        inv = got(bob, 'INVITE', cid)
        parts = _parts(inv.body)
        assert [h.strip() for h, _ in parts] == [
            'Content-Type: application/sdp', 'Content-Type: text/plain'], inv.body
        assert_ims_sdp(parts[0][1])
        assert parts[1][1] == note, parts[1]
        assert cid in agw_calls(stack)
        btag = sip.rand_hex(6)
        respond(bob, inv, 200, btag, ims_sdp(rtp.port))
        ok = final(alice, req)
        assert ok.status == 200, ok
        assert_webrtc_sdp(ok.body, offer=CHROME_OFFER)
        dlg = ua.Dialog.from_uac(req, ok)
        ack_2xx(alice, dlg, req)
        got(bob, 'ACK', cid)
        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid), agw_calls(stack)

        # terminating: SDP + ISUP from the IMS side
        isup = 'isup-part'
        cid2 = sip.rand_hex(10) + '@ims-ue'
        req2 = sip.Message('INVITE sip:alice@ims.test SIP/2.0', [
            ('Via', bob.new_via()), ('Max-Forwards', '70'),
            ('From', '<sip:bob@ims.test>;tag=%s' % sip.rand_hex(6)),
            ('To', '<sip:alice@ims.test>'), ('Call-ID', cid2),
            ('CSeq', '1 INVITE'), ('Contact', bob.contact),
            ('Content-Type', 'multipart/mixed;boundary=b-epc')],
            _multipart(ims_sdp(rtp.port), 'application/isup', isup))
        bob.send(req2)
        winv = got(alice, 'INVITE', cid2)
        wparts = _parts(winv.body)
        assert len(wparts) == 2 and wparts[1][1] == isup, winv.body
        assert_webrtc_sdp(wparts[0][1], setup=('actpass',))
        assert cid2 in agw_calls(stack)
        respond(alice, winv, 486)
        r = final(bob, req2)
        assert r.status == 486, r
        assert wait_gone(stack, cid2), agw_calls(stack)
    finally:
        bye_bye(alice, bob, rtp)


def test_2xx_retransmissions_stay_anchored(stack):
    """The IMS UE retransmits its 200 before the ACK (RFC 3261 13.3.1.4):
    every 200 that reaches the WIC carries the AGW's WebRTC answer, never
    the UE's plain RTP SDP."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        req = invite_from_wic(alice)
        cid = req.get('Call-ID')
        inv = got(bob, 'INVITE', cid)
        assert_ims_sdp(inv.body)
        btag = sip.rand_hex(6)
        ok_ue = respond(bob, inv, 200, btag, ims_sdp(rtp.port))
        first = final(alice, req)
        assert first.status == 200, first
        assert_webrtc_sdp(first.body, offer=req.body)
        for _ in range(2):
            bob.send(ok_ue)                  # the same bytes again
            again = final(alice, req)
            assert again.status == 200, again
            assert 'RTP/AVP ' not in again.body, again.body
            assert ' %d ' % rtp.port not in again.body, again.body
            assert_webrtc_sdp(again.body, offer=req.body)
        dlg = ua.Dialog.from_uac(req, first)
        ack_2xx(alice, dlg, req)
        got(bob, 'ACK', cid)
        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid), agw_calls(stack)
    finally:
        bye_bye(alice, bob, rtp)


def test_browser_offers_reach_ims_clean(stack):
    """Offers of Chromium and Firefox with each bundle policy (corpus),
    through sdp_unbundle and the AGW: one RTP/AVP m= line per stream that
    can work toward IMS, each with its own port, no 0.0.0.0, nothing of
    WebRTC left."""
    alice, bob = wic(stack), ims_ue(stack)
    try:
        for name in OFFERS:
            offer = _sdp(name)
            req = invite_from_wic(alice, offer=offer)
            cid = req.get('Call-ID')
            inv = got(bob, 'INVITE', cid)
            assert_ims_sdp(inv.body)
            ms = re.findall(r'^m=(\w+) (\d+) (\S+)', inv.body, re.M)
            # sdp_unbundle takes out what cannot work toward IMS: streams
            # marked bundle-only (Firefox) and, under max-bundle, every
            # line after the first (Chromium gives them no transport)
            secs = re.split(r'\r\n(?=m=)', offer)[1:]
            want = [re.match(r'm=(\w+) ', sec).group(1) for i, sec in
                    enumerate(secs) if 'a=bundle-only' not in sec and
                    (i == 0 or 'max-bundle' not in name) and
                    not sec.startswith('m=application')]
            assert [m[0] for m in ms] == want, (name, inv.body)
            assert all(m[2] == 'RTP/AVP' for m in ms), (name, inv.body)
            assert len({m[1] for m in ms}) == len(ms), (name, inv.body)
            respond(bob, inv, 486, sip.rand_hex(6))
            r = final(alice, req)
            alice.send(ua.ack_non2xx(req, r))
            assert wait_gone(stack, cid), name
    finally:
        bye_bye(alice, bob)


def test_browser_offer_shape_restored_with_agw(stack):
    """sdp_unbundle and the AGW together: a Chromium audio + video + data
    channel offer reaches IMS as two RTP/AVP streams at the AGW; the IMS
    answer reaches the browser with all three m-lines of its offer (the
    data channel with port 0), its mids, rtcp-mux, and ICE/DTLS of the AGW
    on the two media lines."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        offer = _sdp('chromium/offer-balanced-avd.sdp')
        req = invite_from_wic(alice, offer=offer)
        cid = req.get('Call-ID')
        inv = got(bob, 'INVITE', cid)
        assert_ims_sdp(inv.body)
        assert re.findall(r'^m=(\w+)', inv.body, re.M) == ['audio', 'video']
        answer = ims_sdp(rtp.port) + ('m=video %d RTP/AVP 96\r\n'
                                      'a=rtpmap:96 VP8/90000\r\n'
                                      % (rtp.port + 2))
        btag = sip.rand_hex(6)
        respond(bob, inv, 200, btag, answer)
        ok = final(alice, req)
        assert ok.status == 200, ok
        ms = re.findall(r'^m=(\w+) (\d+) (\S+)', ok.body, re.M)
        assert [m[0] for m in ms] == ['audio', 'video', 'application'], ok.body
        assert ms[2][1] == '0' and ms[0][1] != '0' and ms[1][1] != '0', ok.body
        assert mids(ok.body) == mids(offer), ok.body
        for sec in re.split(r'\r\nm=', ok.body)[1:3]:
            assert 'a=rtcp-mux' in sec and 'a=ice-ufrag:' in sec, sec
            assert 'a=setup:passive' in sec, sec
        dlg = ua.Dialog.from_uac(req, ok)
        ack_2xx(alice, dlg, req)
        got(bob, 'ACK', cid)
        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid)
    finally:
        bye_bye(alice, bob, rtp)


def test_terminating_call_and_bye_from_wic(stack):
    """IMS offer -> the WIC gets a WebRTC offer (actpass, ICE, mux, mid);
    the WIC's Chromium answer reaches IMS as plain RTP/AVP. (Only this WIC
    is registered for alice: a binding an earlier test left would make the
    core fork the call - test_eimsagw_forks covers that.)"""
    testkit.purge_bindings(stack, 'alice')
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        cid = sip.rand_hex(10) + '@ims-ue'
        inv = sip.Message('INVITE sip:alice@ims.test SIP/2.0', [
            ('Via', bob.new_via()), ('Max-Forwards', '70'),
            ('From', '<sip:bob@ims.test>;tag=%s' % sip.rand_hex(6)),
            ('To', '<sip:alice@ims.test>'), ('Call-ID', cid),
            ('CSeq', '1 INVITE'), ('Contact', bob.contact),
            ('Content-Type', 'application/sdp')], ims_sdp(rtp.port))
        bob.send(inv)
        winv = got(alice, 'INVITE', cid)
        assert_webrtc_sdp(winv.body, setup=('actpass',))
        assert 'a=group:BUNDLE' not in winv.body
        atag = sip.rand_hex(6)
        respond(alice, winv, 180, atag)
        # the browser answers with the offer's mid
        answer = re.sub(r'a=mid:\S+', 'a=mid:%s' % mids(winv.body)[0],
                        CHROME_ANSWER)
        respond(alice, winv, 200, atag, answer)
        r = final(bob, inv)
        assert r.status == 200, r
        assert_ims_sdp(r.body)
        assert agw_tags(stack, cid) == {sip.param(inv.get('From'), 'tag'), atag}
        ack_2xx(bob, ua.Dialog.from_uac(inv, r), inv)
        got(alice, 'ACK', cid)
        out = stack.kamcmd('ep-cscf', 'eimsagw.session', cid)
        assert 'caller_side: mw' in out, out
        # BYE from the WIC (W2 -> Mw)
        bye = in_dialog(alice, ua.Dialog.from_uas(winv, atag), 'BYE')
        respond(bob, got(bob, 'BYE', cid), 200)
        assert final(alice, bye).status == 200
        assert wait_gone(stack, cid)
    finally:
        bye_bye(alice, bob, rtp)


def test_hold_resume_reinvite_and_bye_from_ims(stack):
    """re-INVITE hold (sendonly) and resume from the WIC keep one AGW call
    and its ports; BYE from the IMS side reaches the WIC and deletes."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        req, ok, dlg, inv, btag, agw_port = setup_originating(
            stack, alice, bob, rtp)
        cid = req.get('Call-ID')
        wic_port = sdp_media(ok.body)[1]
        bdlg = ua.Dialog.from_uas(inv, btag)
        for mine, theirs in (('sendonly', 'recvonly'), ('sendrecv', 'sendrecv')):
            offer = CHROME_OFFER.replace('a=sendrecv', 'a=' + mine)
            re_inv = in_dialog(alice, dlg, 'INVITE', offer)
            binv = got(bob, 'INVITE', cid)
            assert 'a=%s' % mine in binv.body, binv.body
            assert assert_ims_sdp(binv.body) == agw_port   # same AGW port
            respond(bob, binv, 200, btag, ims_sdp(rtp.port, theirs, version=2))
            r = final(alice, re_inv)
            assert r.status == 200, r
            assert 'a=%s' % theirs in r.body, r.body
            assert assert_webrtc_sdp(r.body, offer=offer) == wic_port
            ack_2xx(alice, dlg, re_inv)
            got(bob, 'ACK', cid)
            assert agw_calls(stack).count(cid) == 1
            assert len(agw_tags(stack, cid)) == 2
        bye_from_ims(alice, bob, bdlg, cid)
        assert wait_gone(stack, cid)
    finally:
        bye_bye(alice, bob, rtp)


def test_update_offers_both_ways(stack):
    """UPDATE with SDP (RFC 3311) in a confirmed call, as a re-INVITE: the
    WIC's UPDATE offer (hold) reaches IMS as plain RTP/AVP on the same AGW
    port and the IMS answer comes back browser-acceptable; an UPDATE offer
    from IMS (resume) reaches the WIC as WebRTC SDP on the same WIC-side
    port and the WIC's answer reaches IMS clean. One AGW call throughout."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        req, ok, dlg, inv, btag, agw_port = setup_originating(
            stack, alice, bob, rtp)
        cid = req.get('Call-ID')
        wic_port = sdp_media(ok.body)[1]
        bdlg = ua.Dialog.from_uas(inv, btag)
        offer = CHROME_OFFER.replace('a=sendrecv', 'a=sendonly')
        upd = in_dialog(alice, dlg, 'UPDATE', offer)
        bupd = got(bob, 'UPDATE', cid)
        assert 'a=sendonly' in bupd.body, bupd.body
        assert assert_ims_sdp(bupd.body) == agw_port
        respond(bob, bupd, 200, btag, ims_sdp(rtp.port, 'recvonly', version=2))
        r = final(alice, upd)
        assert r.status == 200, r
        assert 'a=recvonly' in r.body, r.body
        assert assert_webrtc_sdp(r.body, offer=offer) == wic_port
        # resume, offered by the IMS side
        bup = in_dialog(bob, bdlg, 'UPDATE', ims_sdp(rtp.port, version=3))
        wupd = got(alice, 'UPDATE', cid)
        assert assert_webrtc_sdp(wupd.body, setup=('actpass', 'active', 'passive')) == wic_port
        respond(alice, wupd, 200, body=CHROME_ANSWER)
        r = final(bob, bup)
        assert r.status == 200, r
        # rtpengine may give the re-offering side a new port in its answer
        # (RFC 3264 8.3.2 allows it): the IMS UE's RTP must reach the AGW
        # there
        new_port = assert_ims_sdp(r.body)
        rtp_reaches_agw(stack, cid, rtp, new_port)
        assert agw_calls(stack).count(cid) == 1
        assert len(agw_tags(stack, cid)) == 2
        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid)
    finally:
        bye_bye(alice, bob, rtp)


def test_late_offer_from_ims(stack):
    """An INVITE without SDP from IMS (late offer, as from some MGCFs): the
    WIC's offer in its 200 reaches IMS as plain RTP/AVP from the AGW, the
    IMS answer in the ACK reaches the WIC browser-acceptable; BYE deletes."""
    testkit.purge_bindings(stack, 'alice')
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        cid = sip.rand_hex(10) + '@ims-ue'
        inv = sip.Message('INVITE sip:alice@ims.test SIP/2.0', [
            ('Via', bob.new_via()), ('Max-Forwards', '70'),
            ('From', '<sip:bob@ims.test>;tag=%s' % sip.rand_hex(6)),
            ('To', '<sip:alice@ims.test>'), ('Call-ID', cid),
            ('CSeq', '1 INVITE'), ('Contact', bob.contact)], '')
        bob.send(inv)
        winv = got(alice, 'INVITE', cid)
        assert not winv.body, winv.body
        wtag = sip.rand_hex(6)
        respond(alice, winv, 200, wtag, CHROME_OFFER)
        ok = final(bob, inv)
        assert ok.status == 200, ok
        agw_port = assert_ims_sdp(ok.body)
        assert cid in agw_calls(stack), (ok.body, agw_calls(stack))
        bdlg = ua.Dialog.from_uac(inv, ok)
        ack = bdlg.request('ACK', bob.new_via(), bob.contact,
                           [('Content-Type', 'application/sdp')],
                           ims_sdp(rtp.port), 1)
        bob.send(ack)
        wack = got(alice, 'ACK', cid)
        assert_webrtc_sdp(wack.body, offer=CHROME_OFFER)
        rtp_reaches_agw(stack, cid, rtp, agw_port)
        # the ACK again (as the UE sends it for each 200 retransmission):
        # its answer was taken already, nothing anchors it a second time -
        # the WIC gets the ACK without the UE's plain SDP
        bob.send(ack)
        wack2 = got(alice, 'ACK', cid)
        assert 'RTP/AVP' not in wack2.body and str(rtp.port) not in \
            wack2.body, wack2.body
        assert 'no media session for this SDP' in stack.log('ep-cscf')
        assert cid in agw_calls(stack)          # the call's media goes on
        bye_from_ims(alice, bob, bdlg, cid)
        assert wait_gone(stack, cid)
    finally:
        bye_bye(alice, bob, rtp)


def test_reliable_183_prack_and_update_before_answer(stack):
    """The VoLTE early-media shape (RFC 3262/3311, as with preconditions):
    the IMS UE answers in a reliable 183, the WIC PRACKs, then re-offers
    in an UPDATE before the call is answered; 180 and 200 carry no SDP.
    Every SDP is anchored on its way: the 183's and the UPDATE 200's
    answers reach the WIC as WebRTC SDP, the UPDATE offer reaches IMS as
    plain RTP/AVP, and the UE's RTP is counted at the AGW."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        cid = sip.rand_hex(10) + '@' + alice.inst
        target = 'sip:bob@ims.test'
        req = alice.request('INVITE', target,
                            [('Contact', alice.contact),
                             ('Supported', '100rel, timer'),
                             ('Content-Type', 'application/sdp')],
                            body=CHROME_OFFER, call_id=cid, to=target,
                            from_tag=sip.rand_hex(6))
        alice.send(req)
        inv = got(bob, 'INVITE', cid)
        assert_ims_sdp(inv.body)
        btag = sip.rand_hex(6)
        bob.reply(inv, 183, 'Session Progress', btag,
                  [('Contact', bob.contact), ('Require', '100rel'),
                   ('RSeq', '1'), ('Content-Type', 'application/sdp')],
                  ims_sdp(rtp.port))
        branch = sip.param(req.get('Via'), 'branch')
        p183 = alice.recv(5.0, lambda m: m.is_response and m.status == 183
                          and sip.param(m.get('Via', ''), 'branch') == branch)
        assert p183.get('Require') == '100rel', p183
        assert_webrtc_sdp(p183.body, offer=CHROME_OFFER)
        dlg = ua.Dialog.from_uac(req, p183)

        prack = dlg.request('PRACK', alice.new_via(), alice.contact,
                            [('RAck', '1 %s INVITE' % req.get('CSeq').split()[0])])
        alice.send(prack)
        bprack = got(bob, 'PRACK', cid)
        assert not bprack.body
        respond(bob, bprack, 200)
        assert final(alice, prack).status == 200

        # a second offer before the answer, from the WIC, in an UPDATE
        upd = in_dialog(alice, dlg, 'UPDATE', CHROME_OFFER)
        bupd = got(bob, 'UPDATE', cid)
        agw_port = assert_ims_sdp(bupd.body)
        respond(bob, bupd, 200, body=ims_sdp(rtp.port, version=2))
        r = final(alice, upd)
        assert r.status == 200, r
        assert_webrtc_sdp(r.body, offer=CHROME_OFFER)

        respond(bob, inv, 180, btag)
        respond(bob, inv, 200, btag)
        ok = final(alice, req)
        assert ok.status == 200 and not ok.body, ok
        ack_2xx(alice, dlg, req)
        got(bob, 'ACK', cid)
        rtp_reaches_agw(stack, cid, rtp, agw_port)
        assert 'call %s: SDP in' % cid not in stack.log('ep-cscf')
        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid), agw_calls(stack)
    finally:
        bye_bye(alice, bob, rtp)


def test_cancel_before_answer(stack):
    alice, bob = wic(stack), ims_ue(stack)
    try:
        req = invite_from_wic(alice)
        cid = req.get('Call-ID')
        inv = got(bob, 'INVITE', cid)
        btag = sip.rand_hex(6)
        respond(bob, inv, 180, btag)
        alice.recv(5, lambda m: m.is_response and m.status == 180)
        assert cid in agw_calls(stack)
        alice.send(ua.cancel(req))
        respond(bob, got(bob, 'CANCEL', cid), 200)
        respond(bob, inv, 487, btag)
        r = final(alice, req)
        assert r.status == 487, r
        alice.send(ua.ack_non2xx(req, r))
        assert wait_gone(stack, cid), agw_calls(stack)
    finally:
        bye_bye(alice, bob)


def test_busy_486_deleted_at_final_reply(stack):
    """The script does not delete on a failure reply (failure_route could
    still fork): the final 486 sent to the WIC (tm/dialog callback) does,
    as a normal end (not counted as a cleanup)."""
    alice, bob = wic(stack), ims_ue(stack)
    try:
        before = counter(stack, 'cleanups')
        deletes = counter(stack, 'deletes')
        req = invite_from_wic(alice)
        cid = req.get('Call-ID')
        inv = got(bob, 'INVITE', cid)
        assert cid in agw_calls(stack)
        respond(bob, inv, 486, sip.rand_hex(6))
        r = final(alice, req)
        assert r.status == 486, r
        alice.send(ua.ack_non2xx(req, r))
        assert wait_gone(stack, cid), agw_calls(stack)
        assert counter(stack, 'deletes') == deletes + 1
        assert counter(stack, 'cleanups') == before
    finally:
        bye_bye(alice, bob)


def test_forking_two_183_one_200(stack):
    """Two early dialogs (183 with SDP from two to-tags) then 200 from the
    second: the AGW holds the caller and one callee branch at every step."""
    alice, bob, rtp = wic(stack), ims_ue(stack), RtpPeer()
    try:
        req = invite_from_wic(alice)
        cid = req.get('Call-ID')
        atag = sip.param(req.get('From'), 'tag')
        inv = got(bob, 'INVITE', cid)
        assert agw_tags(stack, cid) == {atag}
        x, y = sip.rand_hex(6), sip.rand_hex(6)
        early = []
        for tag in (x, y):
            respond(bob, inv, 183, tag, ims_sdp(rtp.port))
            r = alice.recv(5, lambda m: m.is_response and m.status == 183 and
                           sip.param(m.get('To'), 'tag') == tag)
            assert_webrtc_sdp(r.body, offer=req.body)
            early.append(r)
            assert agw_tags(stack, cid) == {atag, tag}, agw_tags(stack, cid)
        # both forks' early media reach the browser on the same AGW port
        assert sdp_media(early[0].body)[1] == sdp_media(early[1].body)[1]
        respond(bob, inv, 200, y, ims_sdp(rtp.port))
        ok = final(alice, req)
        assert ok.status == 200 and sip.param(ok.get('To'), 'tag') == y
        assert_webrtc_sdp(ok.body, offer=req.body)
        assert agw_tags(stack, cid) == {atag, y}
        dlg = ua.Dialog.from_uac(req, ok)
        ack_2xx(alice, dlg, req)
        got(bob, 'ACK', cid)
        bye_from_wic(alice, bob, dlg, cid)
        assert wait_gone(stack, cid)
    finally:
        bye_bye(alice, bob, rtp)


def test_no_agw_gives_503_with_warning(stack):
    alice = wic(stack)
    try:
        stack.kamcmd('ep-cscf', 'eimsagw.agw_enable', '0', '0')
        assert 'disabled' in stack.kamcmd('ep-cscf', 'eimsagw.agw_list')
        req = invite_from_wic(alice)
        r = final(alice, req)
        assert r.status == 503, r
        assert 'no eIMS-AGW available' in r.get('Warning', ''), r
        alice.send(ua.ack_non2xx(req, r))
        assert req.get('Call-ID') not in agw_calls(stack)
    finally:
        stack.kamcmd('ep-cscf', 'eimsagw.agw_enable', '0', '1')
        bye_bye(alice)
    assert 'state: up' in stack.kamcmd('ep-cscf', 'eimsagw.agw_list')


def test_sdp_refused_by_agw_gives_488_with_reason(stack):
    """An SDP sdp_unbundle lets through but the AGW cannot take (a
    connection address that is no IPv4 address): 488 with the AGW's reason
    in a Warning, nothing anchored."""
    alice = wic(stack)
    try:
        offer = CHROME_OFFER.replace('c=IN IP4 127.0.0.1',
                                     'c=IN IP4 999.888.777.666')
        req = invite_from_wic(alice, offer=offer)
        r = final(alice, req)
        assert r.status == 488, r
        assert 'eIMS-AGW rejected the SDP: Failed to parse SDP' in \
            r.get('Warning', ''), r
        alice.send(ua.ack_non2xx(req, r))
        assert req.get('Call-ID') not in agw_calls(stack)
    finally:
        bye_bye(alice)


def test_wic_to_wic_spiral(stack):
    """WIC -> IMS core -> WIC on the same eP-CSCF: the call passes twice
    with one Call-ID; each pass is its own AGW call (the terminating one
    '<Call-ID>~mt'), the callee WIC gets a WebRTC offer, the caller WIC a
    WebRTC answer, and one BYE deletes both."""
    alice, carol = wic(stack, 'alice'), wic(stack, 'carol')
    try:
        req = invite_from_wic(alice, target='sip:carol@ims.test')
        cid = req.get('Call-ID')
        cinv = got(carol, 'INVITE', cid)
        assert_webrtc_sdp(cinv.body, setup=('actpass',))
        assert set(agw_calls(stack)) >= {cid, cid + '~mt'}
        ctag = sip.rand_hex(6)
        answer = re.sub(r'a=mid:\S+', 'a=mid:%s' % mids(cinv.body)[0],
                        CHROME_ANSWER)
        respond(carol, cinv, 200, ctag, answer)
        ok = final(alice, req)
        assert ok.status == 200, ok
        assert_webrtc_sdp(ok.body, offer=req.body)
        dlg = ua.Dialog.from_uac(req, ok)
        ack_2xx(alice, dlg, req)
        got(carol, 'ACK', cid)
        out = stack.kamcmd('ep-cscf', 'eimsagw.session', cid)
        assert 'caller_side: w2' in out and 'caller_side: mw' in out, out
        bye = in_dialog(alice, dlg, 'BYE')
        respond(carol, got(carol, 'BYE', cid), 200)
        assert final(alice, bye).status == 200
        assert wait_gone(stack, cid) and wait_gone(stack, cid + '~mt')
    finally:
        bye_bye(alice)
        bye_bye(carol)


def test_zz_nothing_left_behind(stack):
    """After all scenarios the AGW and the session table are empty."""
    assert agw_calls(stack) == [], agw_calls(stack)
    out = stack.kamcmd('ep-cscf', 'eimsagw.sessions')
    assert re.search(r'total: 0', out), out
    assert counter(stack, 'sessions_active') == 0
    assert counter(stack, 'offers') >= 8
    assert 'state: up' in stack.kamcmd('ep-cscf', 'eimsagw.agw_list')
