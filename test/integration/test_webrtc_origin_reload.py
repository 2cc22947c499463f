"""webrtc_origin at run time: reloading the WWSF registry (add, remove,
disable a WWSF; new handshakes follow at once, open connections stay bound),
a broken file leaving the registry in force, and handshakes without Origin
mapped to a WWSF (no_origin_wwsf, EPC_WWSF_NO_ORIGIN)."""
import os

from epc.registry import Wwsf, default, write_text
from epc.wssip import HandshakeRejected, WicUA, WsClient

NATIVE = Wwsf('native', ['https://native-app.invalid'],
              description='native WICs (no Origin)')
OPERATOR = Wwsf('operator', ['https://webrtc.operator.example'])
LATE = Wwsf('late', ['https://late.example'])


def registry(stack):
    return default(stack) + [OPERATOR, NATIVE]


STACK = {'epc_defines': {'EPC_TEST_WWSF_HEADER': 1,
                         'EPC_WWSF_NO_ORIGIN': '"native"'},
         'wwsf_registry': registry}


def connect(stack, origin):
    ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                  origin=origin)
    try:
        ws.connect()
        return 101, ws
    except HandshakeRejected as e:
        return (e.status, e.reason), None


def wwsf_of(stack, ws):
    ua = WicUA(ws, 'sip:alice@ims.test')
    uri = 'sip:127.0.0.1:%d;transport=ws' % stack.ports['epc_wss']
    r = ua.transaction(ua.request('OPTIONS', uri, to=uri))
    assert r.status == 200, r
    return r.get('X-EPC-WWSF')


def reload(stack):
    return stack.kamcmd('ep-cscf', 'webrtc_origin.reload', check=False)


def listing(stack):
    return stack.rpc('ep-cscf', 'webrtc_origin.list')


def test_1_no_origin_mapped_to_wwsf(stack):
    status, ws = connect(stack, None)
    assert status == 101
    try:
        assert wwsf_of(stack, ws) == 'native'
        c = stack.rpc('ep-cscf', 'webrtc_origin.connections', 'wwsf=native')
        assert c['total'] == 1 and c['connections'][0]['origin'] == 'none'
    finally:
        ws.close()


def test_2_reload_add_and_remove(stack):
    gen = listing(stack)['generation']
    status, old = connect(stack, 'https://webrtc.operator.example')
    assert status == 101
    assert connect(stack, 'https://late.example')[0] == \
        (403, 'Forbidden - Origin not allowed')
    try:
        # operator and native go, late comes
        stack.write_registry(default(stack) + [LATE])
        out = stack.rpc('ep-cscf', 'webrtc_origin.reload')
        assert out['generation'] == gen + 1 and out['wwsfs'] == 2, out
        lst = listing(stack)
        assert [w['id'] for w in lst['wwsf']] == ['demo', 'late']
        assert lst['last_reload']['result'] == 'ok'
        status, new = connect(stack, 'https://late.example')
        assert status == 101
        assert wwsf_of(stack, new) == 'late'
        new.close()
        assert connect(stack, 'https://webrtc.operator.example')[0] == \
            (403, 'Forbidden - Origin not allowed')
        # without the native WWSF, no Origin is refused again
        assert connect(stack, None)[0] == (403, 'Forbidden - Origin missing')
        # the connection opened before stays bound to the removed WWSF
        assert wwsf_of(stack, old) == 'operator'
        c = stack.rpc('ep-cscf', 'webrtc_origin.connections', 'wwsf=operator')
        assert c['total'] == 1, c
    finally:
        old.close()
        stack.write_registry(registry(stack))
        assert 'generation' in reload(stack)


def test_3_disable_at_run_time(stack):
    status, ws = connect(stack, 'https://webrtc.operator.example')
    assert status == 101
    try:
        stack.write_registry(default(stack) + [
            Wwsf('operator', OPERATOR.origins, enabled=False), NATIVE])
        assert 'generation' in reload(stack)
        assert connect(stack, 'https://webrtc.operator.example')[0] == \
            (403, 'Forbidden - Origin disabled')
        assert wwsf_of(stack, ws) == 'operator'
        op = stack.rpc('ep-cscf', 'webrtc_origin.list', 'operator')['wwsf'][0]
        assert op['enabled'] == 0 and op['rejected_disabled'] == 1
        # counters of a WWSF carry over reloads
        assert op['accepted'] >= 2 and op['connections'] >= 1
    finally:
        ws.close()
        stack.write_registry(registry(stack))
        assert 'generation' in reload(stack)


def test_4_broken_file_keeps_registry(stack):
    path = stack.registry_path
    good = open(path).read()
    lst = listing(stack)
    gen, fails = lst['generation'], lst['last_reload']['failures']
    broken = [
        # not well-formed: cut in the middle
        (good[:len(good) // 2], ': XML: '),
        # schema: unknown element
        (good.replace('<origin>', '<origins>', 1).replace('</origin>', '</origins>', 1),
         ': schema: '),
        # loader: an origin pattern that would let any site in
        (good.replace('https://webrtc.operator.example', 'https://*.example'),
         ": origin 'https://*.example': invalid wildcard"),
        # loader: the same origin for two WWSFs
        (good.replace('https://native-app.invalid', 'https://webrtc.operator.example'),
         "origin 'https://webrtc.operator.example' is already listed at line"),
        (good.replace('<wwsf-registry version="1">',
                      '<!DOCTYPE x [<!ENTITY e "e">]><wwsf-registry version="1">'),
         'DOCTYPE is not allowed'),
    ]
    try:
        for n, (text, want) in enumerate(broken, 1):
            write_text(path, text)
            out = reload(stack)
            assert 'Reload failed, previous registry kept: %s:' % path in out, out
            assert want in out, (want, out)
            lst = listing(stack)
            assert lst['generation'] == gen, lst
            assert lst['last_reload']['result'] == 'failed'
            assert lst['last_reload']['failures'] == fails + n
            assert want in lst['last_reload']['reason']
            # the registry in force still decides
            status, ws = connect(stack, 'https://webrtc.operator.example')
            assert status == 101, status
            ws.close()
            assert connect(stack, 'https://late.example')[0][0] == 403
        os.unlink(path)
        out = reload(stack)
        assert 'No such file or directory' in out, out
        assert listing(stack)['generation'] == gen
        counters = stack.kamcmd('ep-cscf', 'stats.get_statistics',
                                'webrtc_origin:')
        assert 'webrtc_origin:registry_reload_failures = %d' % (
            fails + len(broken) + 1) in counters, counters
        assert 'refused, previous registry kept' in stack.log('ep-cscf')
    finally:
        write_text(path, good)
        out = reload(stack)
    assert 'generation: %d' % (gen + 1) in out, out
    assert listing(stack)['last_reload']['result'] == 'ok'
