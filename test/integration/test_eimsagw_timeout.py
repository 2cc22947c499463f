"""eimsagw_ctl cleans up when the call flow does not: a confirmed call
whose BYE never comes is deleted at the eIMS-AGW when the dialog module
times the dialog out (dialog callback, counted as a cleanup)."""
import time

from epc import ng
from epc.rtp import RtpPeer

import test_eimsagw as t

STACK = {'epc_defines': {'EPC_DLG_TIMEOUT': 3}}


def test_dialog_timeout_deletes_media(stack):
    alice, bob, rtp = t.wic(stack), t.ims_ue(stack), RtpPeer()
    try:
        before = t.counter(stack, 'cleanups')
        req, ok, dlg, inv, btag, agw_port = t.setup_originating(
            stack, alice, bob, rtp)
        cid = req.get('Call-ID')
        assert cid in ng.calls(stack.ports['ng'])
        # no BYE: the dialog expires after 3 s (dialog timer granularity 1 s)
        end = time.monotonic() + 10
        while cid in ng.calls(stack.ports['ng']) and time.monotonic() < end:
            time.sleep(0.2)
        assert cid not in ng.calls(stack.ports['ng'])
        assert t.counter(stack, 'cleanups') == before + 1
        assert t.counter(stack, 'sessions_active') == 0
        assert 'media session removed (dialog ended)' in stack.log('ep-cscf')
    finally:
        t.bye_bye(alice, bob, rtp)
