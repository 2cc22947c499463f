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
import threading
import time

from epc import sip
from epc.udpsip import UdpUA
from epc.wssip import WsClient, WicUA, Closed

STACK = {'sipdump': True}
HERE = os.path.dirname(os.path.abspath(__file__))

SDP_WIC = '\r\n'.join([
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0',
    'a=rtpmap:111 opus/48000/2', 'a=sendrecv', '']) + '\r\n'
SDP_UE = '\r\n'.join([
    'v=0', 'o=ue 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '']) + '\r\n'


def wic(stack, user='alice', password=None):
    ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                  origin='https://127.0.0.1')
    ws.connect()
    return WicUA(ws, 'sip:%s@ims.test' % user, impi='%s@ims.test' % user,
                 password=password or user + '-pw')


def registered_wic(stack, user='alice', expires=300):
    ua = wic(stack, user)
    r1, r2 = ua.register_digest(expires=expires)
    assert r1.status == 401 and r2 is not None and r2.status == 200, (r1, r2)
    return ua


def ims_ue(stack, user='dave'):
    ue = UdpUA('sip:%s@ims.test' % user, ('127.0.0.1', stack.ports['core']),
               impi='%s@ims.test' % user, password=user + '-pw')
    r1, r2 = ue.register_digest(expires=300)
    assert r2 is not None and r2.status == 200, (r1, r2)
    return ue


def deregister(ua):
    try:
        ua.register_digest(expires=0)
    except Exception:
        pass


class Bg:
    """Run fn(*args) in a thread (the other party of a call); result() joins."""

    def __init__(self, fn, *args, **kw):
        self.value, self.error = None, None

        def run():
            try:
                self.value = fn(*args, **kw)
            except Exception as e:          # re-raised in result()
                self.error = e
        self.th = threading.Thread(target=run, daemon=True)
        self.th.start()

    def result(self, timeout=15):
        self.th.join(timeout)
        if self.th.is_alive():
            raise TimeoutError('background party did not finish')
        if self.error:
            raise self.error
        return self.value


def core_rcv(stack, method, since, match=None, timeout=3.0):
    """Requests of `method` the IMS core received since `since`."""
    end = time.monotonic() + timeout
    while True:
        got = [d['msg'] for d in stack.sip_messages('ims-core', 'rcv', since)
               if not d['msg'].is_response and d['msg'].method == method and
               (match is None or match(d['msg']))]
        if got or time.monotonic() > end:
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
        regs = core_rcv(stack, 'REGISTER', t0, lambda m: 'bob' in m.get('To'))
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
        assert 'carol' not in stack.kamcmd('ims-core', 'ul.dump')
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
