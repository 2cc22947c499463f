"""Foundation: the four modules load into Debian's kamailio, and a WIC's
REGISTER over secure WebSocket is relayed through the eP-CSCF to the test
IMS core (U.2.1.2: 401 challenge relayed, Digest answer, 200 OK back)."""
import re

from epc import ng, sip
from epc.testkit import wic

MODULES = ('webrtc_origin', 'wwsf_token', 'sdp_unbundle', 'eimsagw_ctl')


def test_modules_loaded(stack):
    log = stack.log('ep-cscf')
    for m in MODULES:
        assert re.search(r'INFO: %s .*%s [0-9.]+ initialised' % (m, m), log), \
            'no init line for %s' % m
    assert 'ERROR' not in log, log[-2000:]
    # the running eP-CSCF answers RPC, and rtpengine answers ng
    assert 'uptime' in stack.kamcmd('ep-cscf', 'core.uptime')
    assert ng.ping(stack.ports['ng'])


def test_register_digest_over_wss(stack):
    ua = wic(stack)
    try:
        r1, r2 = ua.register_digest(expires=300)
        assert r1.status == 401, r1
        assert r1.get('WWW-Authenticate', '').startswith('Digest ')
        assert r2 is not None and r2.status == 200, r2
        # Path inserted by the eP-CSCF is echoed (a loose route to the
        # eP-CSCF's Mw side carrying the WIC's RFC 5626 flow token),
        # Service-Route and the implicit registration set come from the core.
        path = r2.get('Path')
        assert path and ';lr' in path and ';ob' in path, r2
        assert '@127.0.0.1:%d;' % stack.ports['epc_mw'] in path, r2
        assert 'sip:orig@127.0.0.1:%d' % stack.ports['core'] in r2.get('Service-Route', '')
        assert '<tel:+15550100>' in r2.get('P-Associated-URI', '')
        assert ua.contact_user in r2.get('Contact', '')
        # the IMS core stored the contact with the Path toward the eP-CSCF
        dump = stack.kamcmd('ims-core', 'ul.dump')
        assert ua.contact_user in dump
        assert sip.uri_of(path) in dump, dump
        # de-register: challenged and authenticated like any REGISTER
        r3, r4 = ua.register_digest(expires=0)
        assert r3.status == 401 and r4.status == 200, (r3, r4)
        assert ua.contact_user not in stack.kamcmd('ims-core', 'ul.dump')
    finally:
        ua.ws.close()


def test_register_wrong_password_rejected(stack):
    ua = wic(stack, 'bob', password='not-bobs')
    try:
        r1, r2 = ua.register_digest()
        assert r1.status == 401
        assert r2.status in (401, 403), r2
        assert 'bob' not in stack.kamcmd('ims-core', 'ul.dump')
    finally:
        ua.ws.close()


def test_options_to_epcscf_over_wss(stack):
    """What the WWSF demo page's connection check does."""
    ua = wic(stack)
    try:
        uri = 'sip:127.0.0.1:%d;transport=ws' % stack.ports['epc_wss']
        req = ua.request('OPTIONS', uri, to=uri)
        r = ua.transaction(req)
        assert r.status == 200, r
        assert r.get('Server') == 'eP-CSCF'
    finally:
        ua.ws.close()
