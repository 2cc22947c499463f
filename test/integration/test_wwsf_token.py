"""wwsf_token: registration based on web authentication (TS 23.228 U.2.1.3)
with Trusted Node Authentication toward the S-CSCF (TS 33.203 Annex U).

The WIC presents a WWSF token (JWS, scripts/epc/wwsf_issuer.py) in
`Authorization: Bearer`; the eP-CSCF verifies it against the WWSF registry
(keys, issuer, audience, lifetime, identities), binds it to the WebSocket
connection's WWSF, and forwards the REGISTER with the auth-done Digest
skeleton, without the token, Expires capped by the token. Every refusal is
checked on the W2 side (status, Bearer challenge) and on the IMS core side
(what the core itself received, sipdump: nothing)."""
import atexit
import os
import re
import shutil
import tempfile
import time

from epc import registry, sip
from epc import wwsf_issuer as wi
from epc.udpsip import UdpUA
from epc.wssip import WsClient, WicUA

ORIGIN_A = 'https://a.wwsf.example'
ORIGIN_B = 'https://b.wwsf.example'
ISS_A = 'https://a.wwsf.example'
ISS_B = 'https://b.wwsf.example/issuer'
AUD = 'sip:ep-cscf.ims.test'
AUTHZ_A = 'https://a.wwsf.example/authorize'

KEYDIR = tempfile.mkdtemp(prefix='wwsf-keys-')
atexit.register(shutil.rmtree, KEYDIR, True)
KA1 = wi.Key.generate('ES256', os.path.join(KEYDIR, 'a1.key'), 'a-k1')
KA2 = wi.Key.generate('ES256', os.path.join(KEYDIR, 'a2.key'), 'a-k2')
KAR = wi.Key.generate('RS256', os.path.join(KEYDIR, 'ar.key'), 'a-rsa')
KB = wi.Key.generate('EdDSA', os.path.join(KEYDIR, 'b.key'), 'b-ed')
EVIL = wi.Key.generate('ES256', os.path.join(KEYDIR, 'evil.key'), 'a-k1')
P384 = wi.Key.generate('ES384', os.path.join(KEYDIR, 'p384.key'), 'x')


def wwsf_a(keys=(KA1, KA2, KAR), extra_keys=()):
    rk = [registry.Key(k.kid, k.alg, pem=k.pub_pem) for k in keys]
    rk += list(extra_keys)
    return registry.Wwsf(
        'wwsf-a', [ORIGIN_A], description='web authentication (tests)',
        token=registry.Token(ISS_A, [AUD], ['ES256', 'RS256'], rk,
                             max_lifetime=3600, authz_server=AUTHZ_A),
        identities=[('impu-domain', 'ims.test'), ('impi-domain', 'ims.test'),
                    ('impu-tel-prefix', '+1555')])


def wwsf_b():
    return registry.Wwsf(
        'wwsf-b', [ORIGIN_B],
        token=registry.Token(ISS_B, [AUD], ['EdDSA'],
                             [registry.Key(KB.kid, 'EdDSA', pem=KB.pub_pem)],
                             max_lifetime=600),
        identities=[('impu-domain', 'ims.test'), ('impi-domain', 'ims.test')])


def the_registry(stack, a=None):
    return registry.default(stack) + [a or wwsf_a(), wwsf_b()]


STACK = {'sipdump': True, 'wwsf_registry': the_registry,
         'epc_defines': {'EPC_PIKE_REQS': 2000}}


def wic(stack, user, origin=ORIGIN_A):
    ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                  origin=origin)
    ws.connect()
    return WicUA(ws, 'sip:%s@ims.test' % user, impi='%s@ims.test' % user)


def claims(user, iss=ISS_A, ttl=300, **kw):
    impu = kw.pop('impu', ['sip:%s@ims.test' % user])
    return wi.claims(iss, AUD, impu, '%s@ims.test' % user, ttl=ttl, **kw)


def token(user, key=KA1, iss=ISS_A, ttl=300, **kw):
    return wi.token(key, claims(user, iss, ttl, **kw))


def bearer(t):
    return 'Bearer ' + t


def core_registers(stack, since, call_id):
    return [d['msg'] for d in stack.sip_messages('ims-core', 'rcv', since)
            if not d['msg'].is_response and d['msg'].method == 'REGISTER'
            and d['msg'].get('Call-ID') == call_id]


def wait_core_registers(stack, since, call_id, n, timeout=3.0):
    end = time.monotonic() + timeout
    while True:
        got = core_registers(stack, since, call_id)
        if len(got) >= n or time.monotonic() > end:
            return got
        time.sleep(0.1)


def bearer_challenge(r):
    return [v for v in r.get_all('WWW-Authenticate') if v.startswith('Bearer')]


def close(ua, dereg_token=None):
    try:
        if dereg_token:
            ua.register(0, bearer(dereg_token))
    except Exception:
        pass
    ua.ws.close()


# -- U.2.1.3 happy path -----------------------------------------------------

def test_a_register_with_token_tna(stack):
    """REGISTER with a token -> the core receives an auth-done REGISTER
    without the token, with Path, Expires capped by the token; 200 OK back;
    refresh with a fresh token and with the same one; de-REGISTER."""
    t0 = time.time()
    ua = wic(stack, 'alice')
    try:
        tok = token('alice', ttl=300, impu=['sip:alice@ims.test',
                                            'tel:+15550100'])
        _, r = ua.register(600, bearer(tok))
        assert r.status == 200, r
        assert 'Path' in str(r) and 'P-Associated-URI' in str(r), r
        assert ua.contact_user in r.get('Contact', '')
        regs = wait_core_registers(stack, t0, ua.call_id, 1)
        assert len(regs) == 1, regs
        m = regs[0]
        text = str(m)
        auths = m.get_all('Authorization')
        assert auths == ['Digest username="alice@ims.test", realm="ims.test", '
                         'uri="sip:ims.test", nonce="", response="", '
                         'integrity-protected="auth-done"'], auths
        assert 'Bearer' not in text and tok.split('.')[2] not in text, m
        assert m.get('Require') == 'path', m
        assert len(m.get_all('Path')) == 1 and ';lr' in m.get('Path'), m
        assert m.get('P-Visited-Network-ID'), m
        # requested 600, token lives 300: both expiries capped
        assert 250 <= int(m.get('Expires')) <= 300, m
        ct = m.get('Contact')
        exp = int(re.search(r'expires=(\d+)', ct).group(1))
        assert 250 <= exp <= 300, ct
        assert 'auth-done from trusted eP-CSCF' in stack.log('ims-core')
        assert ua.contact_user in stack.kamcmd('ims-core', 'ul.dump')

        # refresh with a fresh token, then again with the same one on the
        # same connection (the WIC sends its token in every request)
        tok2 = token('alice', ttl=600, impu=['sip:alice@ims.test',
                                             'tel:+15550100'])
        _, r = ua.register(600, bearer(tok2))
        assert r.status == 200, r
        _, r = ua.register(600, bearer(tok2))
        assert r.status == 200, r
        regs = wait_core_registers(stack, t0, ua.call_id, 3)
        assert len(regs) == 3, regs
        assert 550 <= int(regs[1].get('Expires')) <= 600, regs[1]
        assert 'expires=600' in regs[1].get('Contact'), regs[1]

        # no expiry asked at all: the core gets one, the token's remaining
        # life, in the same rewrite as the TNA credentials
        _, r = ua.register(None, bearer(tok2))
        assert r.status == 200, r
        regs = wait_core_registers(stack, t0, ua.call_id, 4)
        assert 550 <= int(regs[3].get('Expires')) <= 600, regs[3]
        assert len(regs[3].get_all('Authorization')) == 1, regs[3]
        assert 'expires=' not in regs[3].get('Contact'), regs[3]

        # de-REGISTER: Expires 0 is never "capped" into a registration
        _, r = ua.register(0, bearer(tok2))
        assert r.status == 200, r
        regs = wait_core_registers(stack, t0, ua.call_id, 5)
        assert regs[4].get('Expires') == '0', regs[4]
        assert ua.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
    finally:
        ua.ws.close()


def test_a_token_shorter_than_core_minimum(stack):
    """A token with 30 s left: the REGISTER reaches the core with Expires
    capped to it, the core (like any RFC 3261 registrar with a 60 s
    minimum) answers 423 Interval Too Brief, the WIC gets it and is not
    registered anywhere: the registration cannot outlive the token."""
    t0 = time.time()
    ua = wic(stack, 'bob')
    try:
        _, r = ua.register(600, bearer(token('bob', ttl=30)))
        assert r.status == 423, r
        assert r.get('Min-Expires') == '60', r
        regs = wait_core_registers(stack, t0, ua.call_id, 1)
        assert len(regs) == 1 and int(regs[0].get('Expires')) <= 30, regs
        assert ua.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
        # and the eP-CSCF keeps no registration for the connection
        req = ua.request('MESSAGE', 'sip:alice@ims.test',
                         [('Content-Type', 'text/plain')], 'hi',
                         to='sip:alice@ims.test', call_id=sip.rand_hex(8))
        r = ua.transaction(req)
        assert r.status == 403, r
    finally:
        ua.ws.close()


# -- everything the eP-CSCF must refuse -------------------------------------

INVALID = 'error="invalid_token"'


def test_b_adversarial_tokens_refused(stack):
    """The issue's adversarial set: each refused with its documented answer,
    and the IMS core never receives any of those REGISTERs."""
    t0 = time.time()
    ua = wic(stack, 'bob')
    good = claims('bob', impu=['sip:bob@ims.test'])
    cases = wi.adversarial(KA1, EVIL, good)
    expected = {name: (401, INVALID) for name in cases}
    expected['identity_outside_domain'] = (403, None)
    # a valid token of WWSF B on a connection opened from WWSF A's page
    cases['other_wwsf'] = wi.token(KB, claims('bob', iss=ISS_B))
    expected['other_wwsf'] = (403, None)
    # a valid token for alice, REGISTER of bob's IMPU
    cases['identity_not_in_token'] = token('alice')
    expected['identity_not_in_token'] = (403, None)
    # valid signature, lifetime above the WWSF's 3600 s
    cases['too_long'] = token('bob', ttl=7200)
    expected['too_long'] = (401, INVALID)
    # an RS256 key under an ES256 kid... and an RSA-signed token as PS256
    cases['ps256_with_rs_key'] = wi.token(KAR, good, alg='PS256')
    expected['ps256_with_rs_key'] = (401, INVALID)
    try:
        for name, tok in sorted(cases.items()):
            _, r = ua.register(300, bearer(tok))
            status, err = expected[name]
            assert r.status == status, (name, r)
            ch = bearer_challenge(r)
            if status == 401:
                assert len(ch) == 1, (name, r)
                assert ch[0].startswith('Bearer realm="ims.test", '
                                        'authz_server="%s"' % AUTHZ_A), (name, ch)
                assert err in ch[0], (name, ch)
            else:
                assert not ch, (name, r)

        # no token at all on a connection whose WWSF uses tokens: challenge
        # without an error code (RFC 6750 3.1), and a client-sent auth-done
        # Digest is no token
        _, r = ua.register(300)
        assert r.status == 401 and bearer_challenge(r) == [
            'Bearer realm="ims.test", authz_server="%s"' % AUTHZ_A], r
        auth_done = ('Digest username="bob@ims.test", realm="ims.test", '
                     'uri="sip:ims.test", nonce="", response="", '
                     'integrity-protected="auth-done"')
        _, r = ua.register(300, auth_done,
                           [('P-Asserted-Identity', '<sip:bob@ims.test>')])
        assert r.status == 401 and bearer_challenge(r), r
        # two Bearer tokens: malformed request
        _, r = ua.register(300, bearer(token('bob')),
                           [('Authorization', bearer(token('bob')))])
        assert r.status == 400, r
        # the access_token= form of TS 24.371 A.3.2 with a bad token
        _, r = ua.register(300, 'Bearer access_token="%s"' % cases['wrong_key'])
        assert r.status == 401 and INVALID in bearer_challenge(r)[0], r

        time.sleep(0.5)
        assert core_registers(stack, t0, ua.call_id) == [], \
            core_registers(stack, t0, ua.call_id)
        assert 'bob' not in stack.kamcmd('ims-core', 'ul.dump')
        stats = stack.kamcmd('ep-cscf', 'wwsf_token.stats')
        for result in ('bad_signature', 'expired', 'malformed',
                       'wrong_issuer_audience', 'identity_not_allowed',
                       'identity_mismatch', 'wwsf_mismatch', 'no_token'):
            assert re.search(r'%s:\s*[1-9]' % result, stats), (result, stats)
    finally:
        ua.ws.close()


def test_c_client_sent_trusted_items_with_token(stack):
    """A valid token with a client-sent auth-done Digest and PAI alongside:
    registered, but the core sees only the eP-CSCF's credentials."""
    t0 = time.time()
    ua = wic(stack, 'carol')
    tok = token('carol')
    try:
        spoof_auth = ('Digest username="bob@ims.test", realm="ims.test", '
                      'uri="sip:ims.test", nonce="", response="", '
                      'integrity-protected="auth-done"')
        _, r = ua.register(300, bearer(tok),
                           [('Authorization', spoof_auth),
                            ('P-Asserted-Identity', '<sip:bob@ims.test>'),
                            ('P-Charging-Vector', 'icid-value=spoofed')])
        # the Digest username (bob) is not the token's IMPI (carol)
        assert r.status == 403, r
        assert core_registers(stack, t0, ua.call_id) == []
        # the WIC's own Digest beside the token (TS 24.229 5.1.1.2.1 style,
        # with a client auth-done): fine, and none of it reaches Mw
        own = ('Digest username="carol@ims.test", realm="ims.test", '
               'uri="sip:ims.test", nonce="", response="", '
               'integrity-protected=auth-done')
        _, r = ua.register(300, bearer(tok),
                           [('Authorization', own),
                            ('P-Asserted-Identity', '<sip:bob@ims.test>'),
                            ('P-Charging-Vector', 'icid-value=spoofed')])
        assert r.status == 200, r
        m = wait_core_registers(stack, t0, ua.call_id, 1)[0]
        assert m.get_all('Authorization') == [
            'Digest username="carol@ims.test", realm="ims.test", '
            'uri="sip:ims.test", nonce="", response="", '
            'integrity-protected="auth-done"'], m
        assert m.get('P-Asserted-Identity') is None, m
        assert 'spoofed' not in str(m), m
    finally:
        close(ua, tok)


def test_d_replay_on_another_connection(stack):
    """A token used on one connection is refused on another (jti cache)."""
    t0 = time.time()
    ua1, ua2 = wic(stack, 'carol'), wic(stack, 'carol')
    tok = token('carol')
    try:
        _, r = ua1.register(300, bearer(tok))
        assert r.status == 200, r
        _, r = ua2.register(300, bearer(tok))
        assert r.status == 401 and INVALID in bearer_challenge(r)[0], r
        # refreshes on the first connection go on (each worker remembers
        # the tokens it confirmed there); the second stays refused
        for _ in range(3):
            _, r = ua1.register(300, bearer(tok))
            assert r.status == 200, r
            _, r = ua2.register(300, bearer(tok))
            assert r.status == 401 and INVALID in bearer_challenge(r)[0], r
        time.sleep(0.3)
        assert core_registers(stack, t0, ua2.call_id) == []
        assert len(core_registers(stack, t0, ua1.call_id)) == 4
        assert ua2.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
        rep = stack.kamcmd('ep-cscf', 'wwsf_token.replay')
        assert re.search(r'live:\s*[1-9]', rep) and 'wwsf_jti' in rep, rep
        assert re.search(r'replay:\s*[1-9]', stack.kamcmd(
            'ep-cscf', 'wwsf_token.stats')), 'replay not counted'
    finally:
        close(ua1, tok)
        ua2.ws.close()


def test_e_later_requests_and_asserted_identity(stack):
    """Later requests: a Bearer token is checked and removed before Mw; the
    asserted identity must be one the token bound to the connection."""
    ua = wic(stack, 'alice')
    ue = UdpUA('sip:dave@ims.test', ('127.0.0.1', stack.ports['core']),
               impi='dave@ims.test', password='dave-pw')
    tok = token('alice', impu=['sip:alice@ims.test'])   # no tel: IMPU
    try:
        r1, r2 = ue.register_digest(expires=300)
        assert r2 is not None and r2.status == 200, (r1, r2)
        _, r = ua.register(300, bearer(tok))
        assert r.status == 200, r
        got = []

        def deliver():
            got.append(ue.expect_message())
        import threading
        th = threading.Thread(target=deliver, daemon=True)
        th.start()
        r = ua.message('sip:dave@ims.test', 'with token',
                       [('Authorization', bearer(tok))])
        assert r.status == 200, r
        th.join(10)
        m = got[0]
        assert m.get('Authorization') is None and 'Bearer' not in str(m), m
        assert m.get('P-Asserted-Identity') == '<sip:alice@ims.test>', m
        # tel:+15550100 is in the core's implicit set, not in the token
        r = ua.message('sip:dave@ims.test', 'as tel',
                       [('P-Preferred-Identity', '<tel:+15550100>')])
        assert r.status == 403, r
        # a valid token of another user on this connection
        r = ua.message('sip:dave@ims.test', 'wrong token',
                       [('Authorization', bearer(token('bob')))])
        assert r.status == 403, r
        # a broken token in a later request
        r = ua.message('sip:dave@ims.test', 'bad token',
                       [('Authorization', bearer(tok[:-6]))])
        assert r.status == 401, r
    finally:
        try:
            ue.register_digest(expires=0)
        except Exception:
            pass
        ue.close()
        close(ua, tok)


def test_z_key_rotation_and_bad_key_reload(stack):
    """Keys follow the registry: rotation by kid; a reload with a key
    OpenSSL refuses keeps the WWSF's previous keys (and says so)."""
    ua = wic(stack, 'bob')
    try:
        keys = stack.kamcmd('ep-cscf', 'wwsf_token.keys')
        assert 'a-k1' in keys and 'a-k2' in keys and 'b-ed' in keys, keys
        # a token of a-k1 registers, and its refresh (the same token: the
        # worker's verify memo holds its signature) too
        t1 = token('bob', key=KA1)
        for _ in range(2):
            _, r = ua.register(300, bearer(t1))
            assert r.status == 200, r
        # rotate: a-k1 withdrawn, a-k3 added
        ka3 = wi.Key.generate('ES256', os.path.join(KEYDIR, 'a3.key'), 'a-k3')
        stack.write_registry(the_registry(stack, wwsf_a(keys=(KA2, ka3))))
        stack.kamcmd('ep-cscf', 'webrtc_origin.reload')
        # the very token that verified a moment ago: its key is gone, so is
        # the memo of its signature
        _, r = ua.register(300, bearer(t1))
        assert r.status == 401, r
        _, r = ua.register(300, bearer(token('bob', key=KA1)))
        assert r.status == 401, r
        _, r = ua.register(300, bearer(token('bob', key=ka3)))
        assert r.status == 200, r
        # a P-384 key declared ES256: the loader takes the PEM, OpenSSL not
        bad = registry.Key('a-k4', 'ES256', pem=P384.pub_pem)
        stack.write_registry(the_registry(stack, wwsf_a(keys=(KA2,),
                                                        extra_keys=[bad])))
        stack.kamcmd('ep-cscf', 'webrtc_origin.reload')
        out = stack.kamcmd('ep-cscf', 'wwsf_token.reload')
        assert re.search(r'refused:\s*1', out), out
        assert 'previous keys kept' in out and 'a-k4' in out, out
        # the previous keys (a-k2, a-k3) stay in force
        _, r = ua.register(300, bearer(token('bob', key=ka3)))
        assert r.status == 200, r
        assert 'WWSF wwsf-a keeps its previous' in stack.log('ep-cscf')
    finally:
        close(ua, token('bob', key=ka3) if 'ka3' in dir() else None)
        stack.write_registry(the_registry(stack))
        stack.kamcmd('ep-cscf', 'webrtc_origin.reload')
