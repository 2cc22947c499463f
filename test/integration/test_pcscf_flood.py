"""Flood protection on W2 (pike): a source IP sending more requests than
EPC_PIKE_REQS per EPC_PIKE_UNIT seconds is blocked (its requests are
dropped, no replies) until it calms down; Mw traffic is not counted."""
import time

from epc.udpsip import UdpUA
from epc.wssip import WsClient, WicUA

STACK = {'epc_defines': {'EPC_PIKE_REQS': 20, 'EPC_PIKE_UNIT': 2}}


def test_w2_flood_blocked_then_released(stack):
    ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                  origin=stack.wwsf_origin)
    ws.connect()
    ua = WicUA(ws, 'sip:alice@ims.test')
    uri = 'sip:127.0.0.1:%d;transport=ws' % stack.ports['epc_wss']
    try:
        answered = 0
        for i in range(120):
            ua.send(ua.request('OPTIONS', uri, to=uri))
        end = time.monotonic() + 3
        while time.monotonic() < end:
            try:
                m = ua.recv(timeout=0.5)
            except TimeoutError:
                break
            if m.is_response and m.status == 200:
                answered += 1
        # some answered, the flood itself dropped
        assert 0 < answered < 120, answered
        assert 'pike: flood from 127.0.0.1 blocked' in stack.log('ep-cscf')
        # Mw peers are not subject to W2 flood control
        ue = UdpUA('sip:dave@ims.test', ('127.0.0.1', stack.ports['epc_mw']))
        try:
            r = ue.transaction(ue.request(
                'OPTIONS', 'sip:127.0.0.1:%d' % stack.ports['epc_mw']))
            assert r.status == 200, r
        finally:
            ue.close()
        # calm for a while: released (bounded wait)
        ok = False
        end = time.monotonic() + 30
        while time.monotonic() < end and not ok:
            time.sleep(2)
            ua.pending.clear()
            try:
                r = ua.transaction(ua.request('OPTIONS', uri, to=uri),
                                   timeout=1.0)
                ok = r.status == 200
            except TimeoutError:
                pass
        assert ok, 'still blocked after the flood stopped'
    finally:
        ws.close()
