"""Parties of the integration tests, shared by every test file: a WIC over
secure WebSocket (from the stack's registered WWSF origin unless told
otherwise), an IMS UE registered directly at the test IMS core over UDP,
and Bg, the other party of a call running in a thread."""
import threading

from .udpsip import UdpUA
from .wssip import WicUA, WsClient


def wic(stack, user='alice', password=None, origin=None, register=False,
        expires=300):
    """A WIC of `user` connected over WSS; registered with Digest (asserting
    401 then 200) when register is true."""
    ws = WsClient('127.0.0.1', stack.ports['epc_wss'], cafile=stack.cafile,
                  origin=stack.wwsf_origin if origin is None else origin)
    ws.connect()
    ua = WicUA(ws, 'sip:%s@ims.test' % user, impi='%s@ims.test' % user,
               password=password or user + '-pw')
    if register:
        r1, r2 = ua.register_digest(expires=expires)
        assert r1.status == 401 and r2 is not None and r2.status == 200, (r1, r2)
    return ua


def registered_wic(stack, user='alice', expires=300):
    return wic(stack, user, register=True, expires=expires)


def ims_ue(stack, user='dave'):
    """An IMS UE registered with Digest directly at the test IMS core."""
    ue = UdpUA('sip:%s@ims.test' % user, ('127.0.0.1', stack.ports['core']),
               impi='%s@ims.test' % user, password=user + '-pw')
    r1, r2 = ue.register_digest(expires=300)
    assert r2 is not None and r2.status == 200, (r1, r2)
    return ue


def deregister(*parties):
    """De-register WICs/UEs (best effort)."""
    for p in parties:
        if p is None:
            continue
        try:
            p.register_digest(expires=0)
        except Exception:
            pass


def purge_bindings(stack, user):
    """Remove every binding of `user` at the test IMS core (kamcmd ul.rm),
    e.g. stale ones an earlier test left (a WIC gone without
    de-registering), so a call to the user reaches only its live WICs."""
    stack.kamcmd('ims-core', 'ul.rm', 'location', user, check=False)


def close_all(*parties):
    """De-register WICs/UEs (best effort) and close their transports."""
    deregister(*parties)
    for p in parties:
        if p is None:
            continue
        try:
            if hasattr(p, 'ws'):
                p.ws.close()
            else:
                p.close()
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
