"""The eP-CSCF as a P-CSCF between W2 and Mw (TS 24.229 5.2, Annex U
U.2.1.2): IMS-authenticated registration relayed untouched, what a WIC may
not send removed before Mw, requests only over the registered flow, calls
and MESSAGE both ways, flows that are gone. W2 side: the WebSocket WIC of
scripts/epc/wssip.py; Mw side: the test IMS core, plain UEs registered
directly over UDP (scripts/epc/udpsip.py) and sipp. Assertions on the IMS
side use what the core itself received (sipdump)."""
import os
import re
import subprocess
import time

from epc import sip
from epc.udpsip import UdpUA
from epc.testkit import Bg, deregister, ims_ue, registered_wic, wic

# every test here comes from 127.0.0.1: pike's per-IP threshold is raised
# (test_pcscf_flood.py checks the flood protection itself)
STACK = {'sipdump': True, 'epc_defines': {'EPC_PIKE_REQS': 2000}}
HERE = os.path.dirname(os.path.abspath(__file__))

SDP_WIC = '\r\n'.join([
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0',
    'a=rtpmap:111 opus/48000/2', 'a=sendrecv', '']) + '\r\n'
SDP_UE = '\r\n'.join([
    'v=0', 'o=ue 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '']) + '\r\n'


def core_rcv(stack, method, since, match=None, timeout=3.0, count=1):
    """Requests of `method` the IMS core received since `since`: as soon as
    there are `count` of them (sipdump writes asynchronously), or what there
    is after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        got = [d['msg'] for d in stack.sip_messages('ims-core', 'rcv', since)
               if not d['msg'].is_response and d['msg'].method == method and
               (match is None or match(d['msg']))]
        if len(got) >= count or time.monotonic() > end:
            return got
        time.sleep(0.1)


# -- registration (U.2.1.2) --------------------------------------------------

def test_register_relayed_untouched(stack):
    t0 = time.time()
    ua = wic(stack)
    try:
        r1, r2 = ua.register_digest(expires=300)
        # the S-CSCF's challenge reaches the WIC as the S-CSCF sent it
        assert r1.status == 401, r1
        ch = sip.parse_challenge(r1.get('WWW-Authenticate'))
        assert ch['realm'] == 'ims.test' and ch['nonce']
        assert r2.status == 200, r2
        assert r2.get('Service-Route') == '<sip:orig@127.0.0.1:%d;lr>' % stack.ports['core']
        assert r2.get('P-Associated-URI') == '<sip:alice@ims.test>, <tel:+15550100>'
        regs = core_rcv(stack, 'REGISTER', t0,
                        lambda m: 'alice' in m.get('To', ''))
        assert len(regs) >= 2, regs
        first, second = regs[0], regs[-1]
        # what the core got: Path + Require: path + PVNI + charging vector
        for m in (first, second):
            assert ';ob' in m.get('Path') and ';lr' in m.get('Path'), m
            assert m.get('Require') == 'path', m
            assert m.get('P-Visited-Network-ID') == 'ims.test', m
            assert re.match(r'icid-value=[0-9a-f]{32};icid-generated-at=127\.0\.0\.1;orig-ioi=ims\.test$',
                            m.get('P-Charging-Vector')), m
            assert m.get('Contact').startswith(ua.contact), m
        # the credentials reach the S-CSCF exactly as the WIC sent them
        sent = sip.parse_challenge(second.get('Authorization'))
        assert sent['username'] == 'alice@ims.test' and sent['nonce'] == ch['nonce']
        assert 'integrity-protected' not in second.get('Authorization')
        from_wic = [d['msg'] for d in stack.sip_messages('ep-cscf', 'rcv', t0)
                    if d['proto'] in ('ws', 'wss') and not d['msg'].is_response
                    and d['msg'].get('Call-ID') == second.get('Call-ID')]
        assert [m.get('Authorization') for m in from_wic] == \
            [m.get('Authorization') for m in regs], (from_wic, regs)
        # and the challenge reached the WIC as the core sent it
        core_401 = [d['msg'] for d in stack.sip_messages('ims-core', 'snd', t0)
                    if d['msg'].is_response and d['msg'].status == 401 and
                    d['msg'].get('Call-ID') == second.get('Call-ID')]
        assert core_401[0].get('WWW-Authenticate') == r1.get('WWW-Authenticate')
        # the eP-CSCF keeps the registration of this flow
        dump = stack.kamcmd('ep-cscf', 'htable.dump', 'epcreg')
        assert 'sip:alice@ims.test,tel:+15550100' in dump, dump
        assert '127.0.0.1:%d::aor' % ua.ws.local[1] in dump, dump
    finally:
        deregister(ua)
        ua.ws.close()


def test_register_wrong_password_relayed(stack):
    ua = wic(stack, 'bob', password='wrong')
    try:
        r1, r2 = ua.register_digest()
        assert r1.status == 401 and r2.status in (401, 403), r2
        assert 'bob' not in stack.kamcmd('ims-core', 'ul.dump')
        # no registration state at the eP-CSCF: requests are refused
        r = ua.message('sip:alice@ims.test', 'x')
        assert r.status == 403, r
    finally:
        ua.ws.close()


def test_register_refresh_and_deregister(stack):
    ua = registered_wic(stack, 'carol', expires=120)
    try:
        key = '127.0.0.1:%d::aor' % ua.ws.local[1]
        r3, r4 = ua.register_digest(expires=600)
        assert r4.status == 200 and 'expires=600' in r4.get('Contact'), r4
        assert 'carol' in stack.kamcmd('ims-core', 'ul.dump')
        assert key in stack.kamcmd('ep-cscf', 'htable.dump', 'epcreg')
        r5, r6 = ua.register_digest(expires=0)
        assert r6.status == 200, r6
        assert 'carol' not in stack.kamcmd('ims-core', 'ul.dump')
        assert key not in stack.kamcmd('ep-cscf', 'htable.dump', 'epcreg')
        # de-registered: the flow may not originate requests any more
        assert ua.message('sip:alice@ims.test', 'x').status == 403
    finally:
        ua.ws.close()


def test_spoofed_trusted_headers_never_reach_core(stack):
    """auth-done, P-Asserted-Identity, P-Visited-Network-ID, charging
    headers from a WIC: removed on W2, so the core challenges as usual and
    never sees them."""
    t0 = time.time()
    untrusted = stack.log('ims-core').count('auth-done from untrusted')
    ua = wic(stack, 'bob')
    try:
        spoof = [('P-Asserted-Identity', '<sip:alice@ims.test>'),
                 ('P-Visited-Network-ID', 'evil.example'),
                 ('P-Charging-Vector', 'icid-value=spoofed'),
                 ('P-Charging-Function-Addresses', 'ccf=evil.example'),
                 ('Path', '<sip:evil.example;lr>')]
        auth = ('Digest username="bob@ims.test", realm="ims.test", '
                'uri="sip:ims.test", nonce="", response="", '
                'integrity-protected="auth-done"')
        _, r = ua.register(300, auth, spoof)
        assert r.status == 401, r          # challenged: no TNA for a WIC
        # unquoted, first position, odd case: same
        auth2 = ('Digest Integrity-Protected=auth-done, username="bob@ims.test", '
                 'realm="ims.test", uri="sip:ims.test", nonce="", response=""')
        _, r = ua.register(300, auth2, spoof)
        assert r.status == 401, r
        regs = core_rcv(stack, 'REGISTER', t0, lambda m: 'bob' in m.get('To'),
                        count=2)
        assert len(regs) == 2, regs
        for m in regs:
            text = str(m).lower()
            assert 'integrity-protected' not in text, m
            assert 'auth-done' not in text, m
            assert m.get('P-Asserted-Identity') is None, m
            assert m.get('P-Visited-Network-ID') == 'ims.test', m
            assert 'spoofed' not in text and 'evil.example' not in text, m
            assert len(m.get_all('Path')) == 1, m
        assert stack.log('ims-core').count('auth-done from untrusted') == untrusted
        assert 'bob' not in stack.kamcmd('ims-core', 'ul.dump')
        # and a registered WIC's asserted identity is the eP-CSCF's choice
        r1, r2 = ua.register_digest()
        assert r2.status == 200
        ue = ims_ue(stack, 'dave')
        try:
            got = Bg(ue.expect_message)
            r = ua.message('sip:dave@ims.test', 'hi',
                           [('P-Asserted-Identity', '<sip:alice@ims.test>')])
            assert r.status == 200, r
            m = got.result()
            assert m.get_all('P-Asserted-Identity') == ['<sip:bob@ims.test>'], m
        finally:
            deregister(ue)
            ue.close()
    finally:
        deregister(ua)
        ua.ws.close()


def test_core_tna_only_from_epcscf(stack):
    """The test core registers without a challenge only on auth-done from
    the eP-CSCF's address; from anyone else it logs and challenges."""
    ue = UdpUA('sip:carol@ims.test', ('127.0.0.1', stack.ports['core']),
               impi='carol@ims.test', password='x')
    try:
        auth = ('Digest username="carol@ims.test", realm="ims.test", '
                'uri="sip:ims.test", nonce="", response="", '
                'integrity-protected="auth-done"')
        _, r = ue.register(300, auth)
        assert r.status == 401, r
        assert 'auth-done from untrusted 127.0.0.1:%d' % ue.port in stack.log('ims-core')
        assert ue.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
    finally:
        ue.close()


# -- P-CSCF rules on later requests ---------------------------------------

def test_request_on_other_connection_forbidden(stack):
    ua = registered_wic(stack, 'alice')
    other = wic(stack, 'alice')       # same user, another WebSocket
    try:
        r = other.message('sip:bob@ims.test', 'hello')
        assert r.status == 403, r
        c = other.call('sip:bob@ims.test', SDP_WIC)
        assert c.final.status == 403, c.final
    finally:
        deregister(ua)
        ua.ws.close()
        other.ws.close()


def test_ppi_asserted_only_from_associated_set(stack):
    ua = registered_wic(stack, 'alice')
    ue = ims_ue(stack, 'dave')
    try:
        for ppi, want in (('<tel:+15550100>', '<tel:+15550100>'),
                          ('<sip:bob@ims.test>', '<sip:alice@ims.test>'),
                          (None, '<sip:alice@ims.test>')):
            extra = [('P-Preferred-Identity', ppi)] if ppi else []
            got = Bg(ue.expect_message)
            r = ua.message('sip:dave@ims.test', 'hi', extra)
            assert r.status == 200, r
            m = got.result()
            assert m.get_all('P-Asserted-Identity') == [want], (ppi, m)
            assert m.get('P-Preferred-Identity') is None, m
    finally:
        deregister(ue)
        ue.close()
        deregister(ua)
        ua.ws.close()


# -- calls ---------------------------------------------------------------

def test_call_wic_to_ims_ue(stack):
    t0 = time.time()
    ua = registered_wic(stack, 'alice')
    ue = ims_ue(stack, 'dave')
    try:
        answer = Bg(ue.answer, SDP_UE)
        c = ua.call('sip:dave@ims.test', SDP_WIC)
        ue_call = answer.result()
        assert c.final.status == 200, c.final
        assert [p.status for p in c.provisional if p.status > 100] == [180]
        assert c.final.body.startswith('v=0')
        assert ue_call.ack is not None
        inv = ue_call.invite
        assert inv.get_all('P-Asserted-Identity') == ['<sip:alice@ims.test>']
        assert inv.body.startswith('v=0')
        # the INVITE went through the S-CSCF (Service-Route) to the UE, with
        # the eP-CSCF and the core in the route set
        inv_core = core_rcv(stack, 'INVITE', t0)[0]
        assert inv_core.get('Route').startswith('<sip:orig@'), inv_core
        assert inv_core.get('P-Charging-Vector'), inv_core
        # BYE from the WIC
        bye = Bg(ue.expect_bye)
        r = ua.bye(c)
        assert r.status == 200, r
        assert bye.result().method == 'BYE'

    finally:
        deregister(ue)
        ue.close()
        deregister(ua)
        ua.ws.close()


def sipp(stack, scenario, port, *args, timeout=30):
    """Run sipp with a scenario of test/integration/sipp/ from a UE port;
    returns (returncode, its message trace)."""
    logdir = os.path.join(stack.rundir, 'sipp')
    os.makedirs(logdir, exist_ok=True)
    trace = os.path.join(logdir, '%s-%d.log' % (scenario, port))
    argv = ['sipp', '-sf', os.path.join(HERE, 'sipp', scenario + '.xml'),
            '-i', '127.0.0.1', '-p', str(port), '-m', '1',
            '-timeout', '%ds' % (timeout - 5), '-timeout_error',
            '-trace_msg', '-message_file', trace, '-nostdin',
            '127.0.0.1:%d' % stack.ports['core']] + list(args)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    try:
        with open(trace) as f:
            msgs = f.read()
    except OSError:
        msgs = ''
    return r.returncode, msgs + r.stdout[-2000:] + r.stderr[-2000:]


def register_port(stack, user):
    """Register `user` at the core from a UDP port that sipp will then use."""
    ue = ims_ue(stack, user)
    port = ue.port
    ue.close()
    return port


def unregister_port(stack, user, port):
    ue = UdpUA('sip:%s@ims.test' % user, ('127.0.0.1', stack.ports['core']),
               impi='%s@ims.test' % user, password=user + '-pw', port=port)
    try:
        deregister(ue)
    finally:
        ue.close()


def test_call_ims_ue_to_wic_sipp(stack):
    """sipp as a plain IMS UE calls a WIC: INVITE, 180, 200, ACK, BYE."""
    ua = registered_wic(stack, 'alice')
    port = register_port(stack, 'dave')
    try:
        def wic_side():
            c = ua.answer(SDP_WIC)
            bye = ua.expect_bye(timeout=10)
            return c, bye
        party = Bg(wic_side)
        rc, trace = sipp(stack, 'uac_call', port, '-s', 'alice',
                         '-key', 'from_user', 'dave')
        assert rc == 0, trace
        c, bye = party.result()
        inv = c.invite
        # delivered over the WIC's own connection, routed by its flow
        assert inv.ruri.startswith('sip:%s@%s' % (ua.contact_user, ua.inst)), inv
        assert inv.get('P-Asserted-Identity') == '<sip:dave@ims.test>', inv
        assert inv.get('P-Charging-Vector') is None, inv
        assert inv.body.startswith('v=0')
        assert c.ack is not None and bye.method == 'BYE'
        # the WIC's 200 OK reached the UE with an identity asserted for it
        assert '<sip:alice@ims.test>' in trace.split('SIP/2.0 200 OK', 1)[1], trace
    finally:
        unregister_port(stack, 'dave', port)
        deregister(ua)
        ua.ws.close()


def test_call_wic_to_ims_ue_sipp(stack):
    """A WIC calls sipp answering as a plain IMS UE."""
    port = register_port(stack, 'erin')
    ua = registered_wic(stack, 'alice')
    try:
        ue = Bg(sipp, stack, 'uas_answer', port)
        time.sleep(0.3)
        c = ua.call('sip:erin@ims.test', SDP_WIC)
        assert c.final.status == 200, c.final
        assert [p.status for p in c.provisional if p.status > 100] == [180]
        # sdp_unbundle toward W2: the answer's transport is the offer's
        # (RFC 3264 sec 6), sipp's RTP/AVP was the IMS side's
        assert 'm=audio' in c.final.body and 'UDP/TLS/RTP/SAVPF' in c.final.body
        r = ua.bye(c)
        assert r.status == 200, r
        rc, trace = ue.result(40)
        assert rc == 0, trace
        assert 'P-Asserted-Identity: <sip:alice@ims.test>' in trace, trace
    finally:
        unregister_port(stack, 'erin', port)
        deregister(ua)
        ua.ws.close()


def test_call_wic_to_wic_through_core(stack):
    a = registered_wic(stack, 'alice')
    b = registered_wic(stack, 'bob')
    t0 = time.time()
    try:
        answer = Bg(b.answer, SDP_WIC)
        c = a.call('sip:bob@ims.test', SDP_WIC)
        cb = answer.result()
        assert c.final.status == 200, c.final
        assert cb.ack is not None
        assert cb.invite.get('P-Asserted-Identity') == '<sip:alice@ims.test>'
        # through the core: it saw the INVITE once (originating and
        # terminating in one S-CSCF here)
        assert len(core_rcv(stack, 'INVITE', t0)) == 1
        # re-INVITE from the callee and BYE from the callee, over the flows
        reinv = Bg(a.next_request, 'INVITE')
        sent = Bg(b.in_dialog, cb, 'INVITE', [('Content-Type', 'application/sdp')],
                  SDP_WIC)
        ri = reinv.result()
        a.reply(ri, 200, 'OK', headers=[('Contact', a.contact),
                                         ('Content-Type', 'application/sdp')],
                body=SDP_WIC)
        assert sent.result().status == 200
        ack = cb.dialog.request('ACK', b.new_via(), b.contact, cseq=cb.dialog.cseq)
        b.send(ack)
        assert a.next_request('ACK').method == 'ACK'
        bye = Bg(a.expect_bye)
        assert b.bye(cb).status == 200
        assert bye.result().method == 'BYE'
    finally:
        for u in (a, b):
            deregister(u)
            u.ws.close()


def test_call_to_closed_connection_480(stack):
    ua = registered_wic(stack, 'carol')
    ue = ims_ue(stack, 'dave')
    try:
        key = '127.0.0.1:%d::aor' % ua.ws.local[1]
        assert ua.contact_user in stack.kamcmd('ims-core', 'ul.dump')
        ua.ws.close()                        # the browser tab went away
        end = time.monotonic() + 5
        while key in stack.kamcmd('ep-cscf', 'htable.dump', 'epcreg'):
            assert time.monotonic() < end, 'eP-CSCF kept the closed flow'
            time.sleep(0.1)
        c = ue.call('sip:carol@ims.test', SDP_UE)
        # eP-CSCF: 430 Flow Failed to the core (RFC 5626), which drops the
        # binding and tells the caller 480
        assert c.final.status == 480, c.final
        assert ua.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
        c = ue.call('tel:+15550100', SDP_UE)      # alice: not registered
        assert c.final.status == 480, c.final
    finally:
        deregister(ue)
        ue.close()


def test_call_to_abruptly_dropped_connection(stack):
    ua = registered_wic(stack, 'carol')
    ue = ims_ue(stack, 'dave')
    try:
        key = '127.0.0.1:%d::aor' % ua.ws.local[1]
        ua.ws.sock.close()                   # TCP gone, no WebSocket close
        ua.ws.sock = None
        end = time.monotonic() + 5
        while key in stack.kamcmd('ep-cscf', 'htable.dump', 'epcreg'):
            assert time.monotonic() < end, 'eP-CSCF kept the dropped flow'
            time.sleep(0.1)
        c = ue.call('sip:carol@ims.test', SDP_UE, timeout=40)
        assert c.final.status == 480, c.final
        assert ua.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
    finally:
        deregister(ue)
        ue.close()


def test_message_both_ways(stack):
    ua = registered_wic(stack, 'alice')
    ue = ims_ue(stack, 'dave')
    try:
        got = Bg(ue.expect_message)
        r = ua.message('tel:+15550103', 'hello from the browser')
        assert r.status == 200, r
        m = got.result()
        assert m.body == 'hello from the browser'
        got = Bg(ua.expect_message)
        r = ue.message('sip:alice@ims.test', 'hello from IMS')
        assert r.status == 200, r
        m = got.result()
        assert m.body == 'hello from IMS'
        assert m.get('P-Asserted-Identity') == '<sip:dave@ims.test>', m
        assert m.ruri.startswith('sip:%s@%s' % (ua.contact_user, ua.inst)), m
    finally:
        deregister(ue)
        ue.close()
        deregister(ua)
        ua.ws.close()


def test_subscribe_reg_event(stack):
    ua = registered_wic(stack, 'alice')
    try:
        ua.cseq += 1
        tag = sip.rand_hex(6)
        sub = sip.Message('SUBSCRIBE sip:alice@ims.test SIP/2.0', [
            ('Via', ua.new_via()), ('Max-Forwards', '70'),
            ('From', '<sip:alice@ims.test>;tag=' + tag),
            ('To', '<sip:alice@ims.test>'), ('Call-ID', sip.rand_hex(8) + '@sub'),
            ('CSeq', '%d SUBSCRIBE' % ua.cseq), ('Contact', ua.contact),
            ('Event', 'reg'), ('Expires', '600'),
            ('Accept', 'application/reginfo+xml')])
        r = ua.transaction(sub)
        assert r.status == 200, r
        n = ua.next_request('NOTIFY')
        ua.reply(n, 200, 'OK')
        assert n.get('Event') == 'reg'
        assert sip.param(n.get('To'), 'tag') == tag
        assert sip.param(n.get('From'), 'tag') == sip.param(r.get('To'), 'tag')
        assert 'state="active"' in n.body and 'sip:alice@ims.test' in n.body
    finally:
        deregister(ua)
        ua.ws.close()


def test_w2_cannot_route_to_another_flow(stack):
    """A WIC holding another WIC's flow token (as a Route) cannot use the
    eP-CSCF to reach that WIC directly: everything from W2 goes to Mw."""
    a = wic(stack, 'alice')
    b = registered_wic(stack, 'bob')
    try:
        r1, r2 = a.register_digest()
        assert r2.status == 200
        token_route = r2.get('Path')          # alice's flow
        req = b.request('MESSAGE', 'sip:%s@%s;transport=ws' % (a.contact_user, a.inst),
                        [('Route', token_route), ('Content-Type', 'text/plain')],
                        'sneaky', to='sip:alice@ims.test', to_tag='x1')
        r = b.transaction(req)
        assert r.status == 403, r
        try:
            m = a.next_request('MESSAGE', timeout=1.0)
            raise AssertionError('delivered: %s' % m)
        except TimeoutError:
            pass
    finally:
        for u in (a, b):
            deregister(u)
            u.ws.close()


def test_mw_bad_flow_token_forbidden(stack):
    ue = UdpUA('sip:dave@ims.test', ('127.0.0.1', stack.ports['epc_mw']))
    try:
        req = ue.request('MESSAGE', 'sip:x@y.invalid;transport=ws',
                         [('Route', '<sip:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@127.0.0.1:%d;lr;ob>'
                           % stack.ports['epc_mw']),
                          ('Content-Type', 'text/plain')], 'x')
        r = ue.transaction(req)
        assert r.status == 403, r
    finally:
        ue.close()


def test_core_tna_from_epcscf_registers_without_challenge(stack):
    """What wwsf_token (U.2.1.3) will send: a REGISTER from the eP-CSCF's Mw
    address with integrity-protected="auth-done" is registered by the test
    core without a challenge (sent here from the eP-CSCF's own socket with
    tm's RPC, the way the module's forwarded REGISTER leaves it)."""
    auth = ('Digest username="carol@ims.test", realm="ims.test", '
            'uri="sip:ims.test", nonce="", response="", '
            'integrity-protected="auth-done"')
    contact = 'tna%s' % sip.rand_hex(3)
    hdrs = ('From: <sip:carol@ims.test>;tag=%s\r\nTo: <sip:carol@ims.test>\r\n'
            'Contact: <sip:%s@tna.invalid;transport=ws>;expires=60\r\n'
            'Authorization: %s\r\nPath: <sip:tna@127.0.0.1:%d;lr>\r\n'
            'Require: path\r\nP-Visited-Network-ID: ims.test\r\n'
            'Supported: path\r\nContent-Type: text/plain\r\n'
            % (sip.rand_hex(4), contact, auth, stack.ports['epc_mw']))
    out = stack.kamcmd('ep-cscf', 'tm.t_uac_wait_block', 'REGISTER',
                       'sip:ims.test', 'sip:127.0.0.1:%d' % stack.ports['core'],
                       'udp:127.0.0.1:%d' % stack.ports['epc_mw'], hdrs, '')
    assert '200' in out, out
    assert contact in stack.kamcmd('ims-core', 'ul.dump')
    assert 'auth-done from trusted eP-CSCF' in stack.log('ims-core')
    # unquoted, as Kamailio's IMS modules write it, works the same
    out = stack.kamcmd('ep-cscf', 'tm.t_uac_wait_block', 'REGISTER',
                       'sip:ims.test', 'sip:127.0.0.1:%d' % stack.ports['core'],
                       'udp:127.0.0.1:%d' % stack.ports['epc_mw'],
                       hdrs.replace('expires=60', 'expires=0')
                       .replace('"auth-done"', 'auth-done'), '')
    assert '200' in out, out
    assert contact not in stack.kamcmd('ims-core', 'ul.dump')
