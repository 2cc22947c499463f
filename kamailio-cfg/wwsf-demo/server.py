#!/usr/bin/env python3
"""WWSF demo: the web server the WebRTC IMS Client (WIC) is downloaded from
(3GPP TS 23.228 Annex U, step 1 of U.2.1.2/U.2.1.3). HTTPS on 127.0.0.1,
static files from www/, plus /config.json telling the page where the
eP-CSCF's secure WebSocket is.

Usage: server.py --port P --cert C --key K --wss URL [--domain D]
"""
import argparse
import http.server
import json
import os
import ssl

WWW = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'www')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--wss', required=True)
    ap.add_argument('--domain', default='ims.test')
    args = ap.parse_args()
    config = json.dumps({'wss': args.wss, 'domain': args.domain}).encode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=WWW, **kw)

        def end_headers(self):
            self.send_header('Cache-Control', 'no-store')
            self.send_header('X-Content-Type-Options', 'nosniff')
            super().end_headers()

        def do_GET(self):
            if self.path.split('?')[0] == '/config.json':
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(config)))
                self.end_headers()
                self.wfile.write(config)
                return
            super().do_GET()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    httpd = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    print('WWSF demo on https://%s:%d/' % (args.host, args.port), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
