#!/usr/bin/env python3
"""Capture real SDP from Debian's headless Chromium for the eimsagw_ctl tests.

A tiny HTTP server on 127.0.0.1 serves a page that creates an
RTCPeerConnection (fake audio/video devices), waits until ICE gathering is
complete (as a WIC must before sending SIP, TS 24.371 has no trickle) and
POSTs the SDP back. Chromium runs with the loopback flags of build-notes.md,
so its candidates are 127.0.0.1 host candidates, and is stopped by pid.

Usage:
  capture_chromium.py offer audio|audio-video OUT.sdp
  capture_chromium.py answer OFFER.sdp OUT.sdp     (Chromium answers OFFER)
"""
import http.server
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PAGE = r"""<!doctype html><html><body><script>
async function run() {
  const mode = %(mode)r, kinds = %(kinds)r;
  const pc = new RTCPeerConnection({});
  const done = new Promise(r => pc.onicegatheringstatechange =
      () => pc.iceGatheringState === 'complete' && r());
  const stream = await navigator.mediaDevices.getUserMedia(
      {audio: true, video: kinds.includes('video')});
  stream.getTracks().forEach(t => pc.addTrack(t, stream));
  if (mode === 'offer') {
    await pc.setLocalDescription(await pc.createOffer());
  } else {
    const offer = await (await fetch('/offer')).text();
    await pc.setRemoteDescription({type: 'offer', sdp: offer});
    await pc.setLocalDescription(await pc.createAnswer());
  }
  await Promise.race([done, new Promise(r => setTimeout(r, 5000))]);
  await fetch('/sdp', {method: 'POST', body: pc.localDescription.sdp});
}
run().catch(e => fetch('/sdp', {method: 'POST', body: 'ERROR ' + e}));
</script></body></html>"""


def main():
    mode = sys.argv[1]
    if mode == 'offer':
        kinds, out, offer = sys.argv[2], sys.argv[3], ''
    else:
        kinds, out = 'audio', sys.argv[3]
        with open(sys.argv[2]) as f:
            offer = f.read()
    got = {}
    ev = threading.Event()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            body = (PAGE % {'mode': mode, 'kinds': kinds}).encode() \
                if self.path == '/' else offer.encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/html' if self.path == '/'
                             else 'text/plain')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            n = int(self.headers.get('Content-Length', 0))
            got['sdp'] = self.rfile.read(n).decode()
            self.send_response(204)
            self.end_headers()
            ev.set()

    srv = http.server.HTTPServer(('127.0.0.1', 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    prof = tempfile.mkdtemp(prefix='chromium-')
    argv = ['chromium', '--headless=new', '--no-sandbox', '--disable-gpu',
            '--use-fake-device-for-media-stream',
            '--use-fake-ui-for-media-stream',
            '--allow-loopback-in-peer-connection',
            '--disable-features=WebRtcHideLocalIpsWithMdns',
            '--remote-debugging-port=0', '--user-data-dir=' + prof,
            'http://127.0.0.1:%d/' % srv.server_port]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not ev.wait(30):
            raise SystemExit('chromium sent no SDP within 30 s')
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        srv.shutdown()
        time.sleep(0.2)
        shutil.rmtree(prof, ignore_errors=True)
    sdp = got['sdp']
    if sdp.startswith('ERROR'):
        raise SystemExit(sdp)
    with open(out, 'w', newline='') as f:
        f.write(sdp)
    print('%s: %d bytes' % (out, len(sdp)))


if __name__ == '__main__':
    main()
