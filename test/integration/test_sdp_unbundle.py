"""sdp_unbundle through the real eP-CSCF (kamailio-cfg/ep-cscf/kamailio.cfg,
routes SDP_TO_IMS / SDP_TO_W2) between a WIC on WSS and a UDP UE registered
at the test IMS core, no media gateway in the path:

- originating: a real Chromium offer (audio + video + data channel) reaches
  the IMS side as two RTP/AVP m-lines without any WebRTC-only attribute; the
  IMS answer reaches the WIC with all three m-lines of its offer (the data
  channel with port 0), the offer's mids and rtcp-mux; ACK and BYE follow
  the record-routed path;
- an offer whose only stream cannot go to IMS is answered 488 by the
  eP-CSCF;
- terminating: an AMR-WB offer from the IMS side reaches the WIC with mids
  and rtcp-mux added; the WIC's answer reaches the IMS side clean.
The SDP seen at each end is checked by structure."""
import os
import re

from epc.testkit import Bg, close_all, ims_ue
from epc.testkit import registered_wic as wic

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CORPUS = os.path.join(TOP, 'test', 'sdp')
WEBRTC_ONLY = ('group', 'bundle-only', 'mid', 'rtcp-mux', 'rtcp-mux-only',
               'rtcp-rsize', 'ice-ufrag', 'ice-pwd', 'ice-options',
               'candidate', 'end-of-candidates', 'fingerprint', 'setup',
               'tls-id', 'extmap', 'extmap-allow-mixed', 'msid',
               'msid-semantic', 'ssrc', 'ssrc-group', 'sctp-port',
               'max-message-size')
# What a plain IMS UE answers to the audio+video offer that reaches it.
SDP_UE_AV = '\r\n'.join([
    'v=0', 'o=ue 7 7 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
    'm=video 40002 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', 'a=sendrecv', '']) + '\r\n'


# sdp_unbundle alone: the reference configuration without the eIMS-AGW
STACK = {'epc_defines': {'EPC_NO_AGW': 1}}


def corpus(rel):
    with open(os.path.join(CORPUS, rel), 'rb') as f:
        return f.read().decode()


def sections(sdp):
    """(session lines, [media section lines]) of an SDP text."""
    sess, media = [], []
    for ln in re.split(r'\r?\n', sdp):
        if not ln:
            continue
        if ln.startswith('m='):
            media.append([ln])
        elif media:
            media[-1].append(ln)
        else:
            sess.append(ln)
    return sess, media


def attrs(lines, name):
    return [ln.split(':', 1)[1] if ':' in ln else ''
            for ln in lines if ln == 'a=' + name or ln.startswith('a=%s:' % name)]


def mline(sec):
    media, port, proto, *fmts = sec[0][2:].split(' ')
    return media, int(port), proto, fmts


def counter(stack, name):
    out = stack.kamcmd('ep-cscf', 'stats.get_statistics', 'sdp_unbundle:')
    m = re.search(r'sdp_unbundle:%s = (\d+)' % name, out)
    assert m, out
    return int(m.group(1))


def test_originating_call_sdp_both_ways(stack):
    ua = wic(stack, 'alice')
    ue = ims_ue(stack, 'bob')
    try:
        offer = corpus('chromium/offer-balanced-avd.sdp')
        before = counter(stack, 'datachannel_rejected')
        answer = Bg(ue.answer, SDP_UE_AV)
        c = ua.call('sip:bob@ims.test', offer)
        ue_call = answer.result()
        # --- the IMS side saw an SDP it can take ---
        sess, media = sections(ue_call.invite.body)
        assert [mline(s)[0] for s in media] == ['audio', 'video'], ue_call.invite.body
        for s in media:
            assert mline(s)[2] == 'RTP/AVP'
            assert mline(s)[1] not in (0, 9)
        assert len({mline(s)[1] for s in media}) == 2, 'each stream its own port'
        lines = sess + [ln for s in media for ln in s]
        for a in WEBRTC_ONLY:
            assert not attrs(lines, a), 'a=%s reached IMS' % a
        assert not attrs(lines, 'rtcp-fb')
        assert 'opus/48000/2' in ' '.join(attrs(media[0], 'rtpmap'))
        assert not any('rtx/' in v or 'red/' in v for v in attrs(lines, 'rtpmap'))
        # --- the answer at the WIC has the shape of its offer ---
        assert c.final.status == 200, c.final
        _, amedia = sections(c.final.body)
        _, omedia = sections(offer)
        assert [mline(s)[0] for s in amedia] == ['audio', 'video', 'application']
        for i, s in enumerate(amedia):
            assert attrs(s, 'mid') == attrs(omedia[i], 'mid'), c.final.body
            assert mline(s)[2] == mline(omedia[i])[2], 'answer proto = offer proto'
        assert mline(amedia[2])[1] == 0, 'data channel rejected with port 0'
        assert attrs(amedia[0], 'rtcp-mux') == [''] and attrs(amedia[1], 'rtcp-mux') == ['']
        assert counter(stack, 'datachannel_rejected') == before + 1
        assert 'entries' in stack.kamcmd('ep-cscf', 'sdp_unbundle.state')
        # ACK reached the UE (ue.answer waited for it); BYE from the WIC
        assert ue_call.ack is not None
        bye = Bg(ue.expect_bye)
        assert ua.bye(c).status == 200
        bye.result()
    finally:
        close_all(ua, ue)


def test_multipart_offer_sdp_part_rewritten(stack):
    """An INVITE whose body is multipart/mixed (the SDP and another part,
    as an IMS client may send with e.g. a location or resource list): only
    the application/sdp part is rewritten for IMS, the other part and the
    multipart framing arrive unchanged."""
    ua = wic(stack, 'alice')
    ue = ims_ue(stack, 'bob')
    try:
        offer = corpus('chromium/offer-balanced-a.sdp')
        other = 'a part that is not SDP\r\nline two\r\n'
        body = ('--epc-b1\r\nContent-Type: application/sdp\r\n\r\n' + offer
                + '\r\n--epc-b1\r\nContent-Type: text/plain\r\n\r\n'
                + other + '\r\n--epc-b1--\r\n')
        answer = Bg(ue.answer, SDP_UE_AV.split('m=video')[0])
        c = ua.call('sip:bob@ims.test', body,
                    content_type='multipart/mixed;boundary=epc-b1')
        ue_call = answer.result()
        got = ue_call.invite.body
        assert ue_call.invite.get('Content-Type').startswith('multipart/mixed'), \
            ue_call.invite
        parts = got.split('--epc-b1')
        assert len(parts) == 4 and parts[3].startswith('--'), got
        assert parts[2] == '\r\nContent-Type: text/plain\r\n\r\n' + other + '\r\n', \
            parts[2]
        head, sdp = parts[1].split('\r\n\r\n', 1)
        assert 'application/sdp' in head, parts[1]
        sess, media = sections(sdp)
        assert [mline(m)[:1] + mline(m)[2:3] for m in media] == [('audio', 'RTP/AVP')], sdp
        lines = sess + [ln for m in media for ln in m]
        for a in WEBRTC_ONLY:
            assert not attrs(lines, a), 'a=%s reached IMS in the SDP part' % a
        assert c.final.status == 200, c.final
        _, amedia = sections(c.final.body)
        assert attrs(amedia[0], 'rtcp-mux') == [''], c.final.body
        bye = Bg(ue.expect_bye)
        assert ua.bye(c).status == 200
        bye.result()
    finally:
        close_all(ua, ue)


def test_offer_without_usable_stream_gets_488(stack):
    ua = wic(stack, 'alice')
    try:
        offer = ('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'
                 'a=group:BUNDLE 0\r\n'
                 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'
                 'c=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n'
                 'a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\n'
                 'a=sctp-port:5000\r\n')
        before = counter(stack, 'nothing_usable')
        c = ua.call('sip:bob@ims.test', offer)
        assert c.final.status == 488, c.final
        assert counter(stack, 'nothing_usable') == before + 1
        # malformed SDP: 488 as well, counted as malformed
        before = counter(stack, 'sdp_malformed')
        c = ua.call('sip:bob@ims.test', 'v=0\r\nm=audio x RTP/AVP 0\r\n')
        assert c.final.status == 488, c.final
        assert counter(stack, 'sdp_malformed') == before + 1
    finally:
        close_all(ua)


def test_terminating_call_sdp_both_ways(stack):
    ua = wic(stack, 'carol')
    ue = ims_ue(stack, 'bob')
    try:
        offer = corpus('ims/volte-amrwb-offer.sdp')
        call = Bg(ue.call, 'sip:carol@ims.test', offer)
        w = ua.answer(corpus('chromium/answer-balanced-a.sdp'))
        c = call.result()
        # toward the WIC: nothing removed, mid and rtcp-mux added
        _, media = sections(w.invite.body)
        assert len(media) == 1
        assert attrs(media[0], 'mid') == ['0'] and attrs(media[0], 'rtcp-mux') == ['']
        assert attrs(media[0], 'rtcp') == ['31001']
        assert 'AMR-WB/16000/1' in ' '.join(attrs(media[0], 'rtpmap'))
        # the browser's answer went to IMS clean
        assert c.final.status == 200, c.final
        sess, amedia = sections(c.final.body)
        assert len(amedia) == 1 and mline(amedia[0])[2] == 'RTP/AVP'
        lines = sess + amedia[0]
        for a in WEBRTC_ONLY:
            assert not attrs(lines, a), 'a=%s reached IMS' % a
        bye = Bg(ua.expect_bye)
        assert ue.bye(c).status == 200
        bye.result()
    finally:
        close_all(ua, ue)
