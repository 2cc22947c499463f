"""webrtc_origin with a real browser: headless Chromium loads the WWSF demo
page and opens the secure WebSocket from it, so the Origin is whatever a
browser really sends. From the registered page origin the handshake passes
and SIP OPTIONS is answered; after a reload that drops the page's origin the
browser's handshake is refused. Skipped (passes with a note) without
chromium."""
import json
import os
import shutil
import time
import urllib.request

from epc.registry import Wwsf
from epc.wssip import WsClient

STACK = {'wwsf': True}


class Browser:
    """Headless Chromium driven over the DevTools protocol (only what the
    test needs: open a page, evaluate JavaScript)."""

    def __init__(self, stack):
        self.stack = stack
        self.profile = os.path.join(stack.rundir, 'chromium-profile')
        shutil.rmtree(self.profile, ignore_errors=True)
        os.makedirs(self.profile)
        self.proc = stack.group.start('chromium', [
            shutil.which('chromium'), '--headless=new', '--no-sandbox',
            '--disable-gpu', '--ignore-certificate-errors',
            '--no-first-run', '--remote-debugging-port=0',
            '--user-data-dir=' + self.profile, 'about:blank'])
        self.port = self._devtools_port()
        self.ws = None
        self.seq = 0

    def _devtools_port(self):
        path = os.path.join(self.profile, 'DevToolsActivePort')
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if os.path.exists(path):
                with open(path) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            time.sleep(0.1)
        raise RuntimeError('chromium did not open its DevTools port')

    def open(self, url):
        if self.ws:
            self.ws.close()
        req = urllib.request.Request(
            'http://127.0.0.1:%d/json/new?%s' % (self.port, url), method='PUT')
        page = json.load(urllib.request.urlopen(req, timeout=10))
        path = page['webSocketDebuggerUrl'].split(':%d' % self.port, 1)[1]
        self.ws = WsClient('127.0.0.1', self.port, tls=False, path=path,
                           subprotocol=None, origin=None, timeout=10)
        self.ws.connect()

    def eval(self, expr):
        self.seq += 1
        self.ws.send_text(json.dumps({'id': self.seq, 'method': 'Runtime.evaluate',
                                      'params': {'expression': expr}}))
        end = time.monotonic() + 10
        while time.monotonic() < end:
            m = json.loads(self.ws.recv_message(10))
            if m.get('id') == self.seq:
                return m.get('result', {}).get('result', {}).get('value')
        raise TimeoutError(expr)

    def probe(self, url):
        """Load the demo page and run its connection check."""
        self.open(url)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if self.eval("document.getElementById('wss') && "
                         "document.getElementById('wss').textContent.startsWith('wss')"):
                break
            time.sleep(0.2)
        self.eval("document.getElementById('probe').click()")
        state = ''
        while time.monotonic() < end:
            state = self.eval("document.getElementById('state').textContent") or ''
            if 'answered' in state or 'refused' in state:
                break
            time.sleep(0.2)
        return state

    def close(self):
        if self.ws:
            self.ws.close()
        self.stack.group.stop(self.proc)


def test_demo_page_origin_in_chromium(stack):
    if not shutil.which('chromium'):
        print('chromium not installed: browser check skipped')
        return
    b = Browser(stack)
    try:
        page = 'https://127.0.0.1:%d/probe.html' % stack.ports['wwsf']
        assert b.probe(page) == 'eP-CSCF answered: SIP/2.0 200 OK'
        demo = stack.rpc('ep-cscf', 'webrtc_origin.list', 'demo')['wwsf'][0]
        assert demo['accepted'] == 1, demo
        assert 'refused' not in stack.log('ep-cscf')

        # a page from an origin the registry does not list
        stack.write_registry([Wwsf('demo', [stack.wwsf_origin])])
        assert 'generation' in stack.kamcmd('ep-cscf', 'webrtc_origin.reload')
        other = 'https://localhost:%d/probe.html' % stack.ports['wwsf']
        state = b.probe(other)
        assert 'refused' in state, state
        assert 'refused: Origin not allowed (Origin: https://localhost:%d)' % \
            stack.ports['wwsf'] in stack.log('ep-cscf')
        assert b.probe(page) == 'eP-CSCF answered: SIP/2.0 200 OK'
    finally:
        b.close()
