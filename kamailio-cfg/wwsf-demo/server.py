#!/usr/bin/env python3
"""WWSF demo: the web server the WebRTC IMS Client (WIC) is downloaded from
(3GPP TS 23.228 Annex U, step 1 of U.2.1.2 and U.2.1.3). HTTPS on
127.0.0.1, Python standard library only (tokens are signed with the openssl
command line tool through scripts/epc/wwsf_issuer.py).

It plays two WWSFs, one per listening port, each its own Origin and so its
own entry of the eP-CSCF's WWSF registry (scripts/epc/registry.py demo()):

  --port      with --token-key: web authentication (U.2.1.3). Its users
              sign in with their web credentials (users.txt); the server
              (its own authorization server) answers with an ES256 JWT
              naming their IMPI (sub) and IMPUs (impu), which the WIC
              sends in Authorization: Bearer. Without --token-key this
              port serves the IMS-authentication page too.
  --ims-port  IMS authentication (U.2.1.2): the WIC registers with the
              subscriber's IMS Digest credentials; nothing is issued here.

Both serve the same WIC (www/: index.html, wic.js, style.css; probe.html
is a bare WebSocket connection check), /vendor/ (the JsSIP bundle made by
scripts/build-wic.sh) and /config.json (where the eP-CSCF is, which
authentication this origin does, where the other one is).

Web API of the token origin (JSON, same origin only):
  POST /login   {"user": U, "password": P} -> 200 {"token", "exp", "impi",
                "impus", "user"} and an HttpOnly session cookie; 401 else
  POST /token   (session cookie) -> a fresh token, for refreshes; 401 else
  POST /logout  ends the session

Usage: server.py --port P --cert C --key K --wss URL [--domain D]
         [--ims-port P2] [--vendor DIR] [--users FILE]
         [--token-key PEM --token-kid KID --issuer URL --audience AUD
          [--token-ttl S]]
"""
import argparse
import hmac
import http.server
import json
import os
import secrets
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(HERE, 'www')
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc import wwsf_issuer  # noqa: E402

MAX_BODY = 4096
SESSION_TTL = 8 * 3600
COOKIE = 'wwsf_session'


def load_users(path):
    """users.txt: web-user web-password IMPI IMPU[,IMPU...] per line."""
    users = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 4:
                raise SystemExit('%s:%d: want: user password IMPI IMPUs'
                                 % (path, n))
            users[parts[0]] = {'password': parts[1], 'impi': parts[2],
                               'impus': parts[3].split(',')}
    return users


class Issuer:
    """The WWSF's authorization server: web sign-in, sessions, tokens."""

    def __init__(self, a):
        self.key = wwsf_issuer.Key('ES256', a.token_key, kid=a.token_kid)
        self.iss, self.aud, self.ttl = a.issuer, a.audience, a.token_ttl
        self.users = load_users(a.users)
        self.sessions = {}
        self.lock = threading.Lock()

    def login(self, user, password):
        u = self.users.get(user)
        # compare even for an unknown user: same work either way
        ok = hmac.compare_digest((u['password'] if u else '\0').encode(),
                                 password.encode()) and u is not None
        if not ok:
            return None
        sid = secrets.token_urlsafe(24)
        with self.lock:
            now = time.monotonic()
            for k in [k for k, v in self.sessions.items() if v[1] < now]:
                del self.sessions[k]
            self.sessions[sid] = (user, now + SESSION_TTL)
        return sid

    def user_of(self, sid):
        with self.lock:
            v = self.sessions.get(sid or '')
        if not v or v[1] < time.monotonic():
            return None
        return v[0]

    def logout(self, sid):
        with self.lock:
            self.sessions.pop(sid or '', None)

    def token(self, user):
        u = self.users[user]
        impu = u['impus'] if len(u['impus']) > 1 else u['impus'][0]
        c = wwsf_issuer.claims(self.iss, self.aud, impu, u['impi'],
                               ttl=self.ttl)
        return {'token': wwsf_issuer.token(self.key, c), 'exp': c['exp'],
                'iat': c['iat'], 'impi': u['impi'], 'impus': u['impus'],
                'user': user}


def make_handler(cfg, vendor, issuer, wss):
    config = json.dumps(cfg).encode()
    csp = ("default-src 'self'; connect-src 'self' %s; img-src 'self' data:; "
           "media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
           "form-action 'self'; frame-ancestors 'none'" % wss)

    class Handler(http.server.SimpleHTTPRequestHandler):
        server_version = 'wwsf-demo'
        sys_version = ''

        def __init__(self, *a, **kw):
            super().__init__(*a, directory=WWW, **kw)

        def end_headers(self):
            self.send_header('Cache-Control', 'no-store')
            self.send_header('X-Content-Type-Options', 'nosniff')
            self.send_header('Content-Security-Policy', csp)
            self.send_header('Referrer-Policy', 'no-referrer')
            super().end_headers()

        def translate_path(self, path):
            p = path.split('?', 1)[0].split('#', 1)[0]
            if p.startswith('/vendor/'):
                name = os.path.basename(p)
                return os.path.join(vendor, name) if name else vendor + '/'
            return super().translate_path(path)

        def send_json(self, status, obj, headers=()):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.split('?')[0] == '/config.json':
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(config)))
                self.end_headers()
                self.wfile.write(config)
                return
            super().do_GET()

        def cookie(self):
            for part in self.headers.get('Cookie', '').split(';'):
                k, _, v = part.strip().partition('=')
                if k == COOKIE:
                    return v
            return None

        def do_POST(self):
            path = self.path.split('?')[0]
            if issuer is None or path not in ('/login', '/token', '/logout'):
                self.send_json(404, {'error': 'no such endpoint on this WWSF'})
                return
            # same-origin requests only (a page of another site cannot
            # sign users in or fetch their tokens)
            origin = self.headers.get('Origin')
            if origin is not None and origin != cfg['origin']:
                self.send_json(403, {'error': 'cross-origin request'})
                return
            if self.headers.get_content_type() != 'application/json':
                self.send_json(415, {'error': 'JSON only'})
                return
            try:
                n = int(self.headers.get('Content-Length', '0'))
            except ValueError:
                n = -1
            if n < 0 or n > MAX_BODY:
                self.send_json(413, {'error': 'request too large'})
                return
            try:
                req = json.loads(self.rfile.read(n) or b'{}')
                if not isinstance(req, dict):
                    raise ValueError
            except ValueError:
                self.send_json(400, {'error': 'malformed JSON'})
                return
            if path == '/login':
                user, pw = req.get('user'), req.get('password')
                if not isinstance(user, str) or not isinstance(pw, str):
                    self.send_json(400, {'error': 'user and password wanted'})
                    return
                sid = issuer.login(user, pw)
                if sid is None:
                    time.sleep(0.3)
                    self.send_json(401, {'error': 'unknown user or wrong password'})
                    return
                self.send_json(200, issuer.token(user), [(
                    'Set-Cookie', '%s=%s; Path=/; Secure; HttpOnly; '
                    'SameSite=Strict; Max-Age=%d' % (COOKIE, sid, SESSION_TTL))])
            elif path == '/token':
                user = issuer.user_of(self.cookie())
                if user is None:
                    self.send_json(401, {'error': 'not signed in'})
                    return
                self.send_json(200, issuer.token(user))
            else:
                issuer.logout(self.cookie())
                self.send_json(200, {}, [(
                    'Set-Cookie', '%s=; Path=/; Secure; HttpOnly; '
                    'SameSite=Strict; Max-Age=0' % COOKIE)])

    return Handler


def serve(host, port, ctx, handler):
    httpd = http.server.ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    return httpd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--ims-port', type=int)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--wss', required=True)
    ap.add_argument('--domain', default='ims.test')
    ap.add_argument('--vendor', default=os.path.join(
        os.environ.get('BUILD', os.path.join(TOP, 'build')), 'wwsf-demo', 'vendor'))
    ap.add_argument('--users', default=os.path.join(HERE, 'users.txt'))
    ap.add_argument('--token-key')
    ap.add_argument('--token-kid')
    ap.add_argument('--issuer')
    ap.add_argument('--audience')
    ap.add_argument('--token-ttl', type=int, default=600)
    ap.add_argument('--id', default='demo')
    ap.add_argument('--ims-id', default='demo-ims')
    a = ap.parse_args()
    if a.token_key and not (a.token_kid and a.issuer and a.audience):
        ap.error('--token-key needs --token-kid, --issuer and --audience')

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    url = 'https://%s:%d' % (a.host, a.port)
    ims_url = 'https://%s:%d' % (a.host, a.ims_port) if a.ims_port else None
    issuer = Issuer(a) if a.token_key else None
    base = {'wss': a.wss, 'domain': a.domain}
    if issuer:
        hint = 'Demo web users: ' + ', '.join(
            '%s / %s' % (u, v['password']) for u, v in issuer.users.items())
        web = dict(base, auth='token', wwsf=a.id, origin=url, hint=hint,
                   other=ims_url and {'auth': 'ims', 'url': ims_url + '/'})
        ims = dict(base, auth='ims', wwsf=a.ims_id, origin=ims_url,
                   other={'auth': 'token', 'url': url + '/'})
    else:
        web = dict(base, auth='ims', wwsf=a.id, origin=url, other=None)
        ims = dict(base, auth='ims', wwsf=a.ims_id, origin=ims_url, other=None)
    servers = [serve(a.host, a.port, ctx, make_handler(web, a.vendor, issuer, a.wss))]
    print('WWSF demo (%s authentication) on %s/' % (web['auth'], url), flush=True)
    if a.ims_port:
        servers.append(serve(a.host, a.ims_port, ctx,
                             make_handler(ims, a.vendor, None, a.wss)))
        print('WWSF demo (ims authentication) on %s/' % ims_url, flush=True)
    if not os.path.isfile(os.path.join(a.vendor, 'jssip.min.js')):
        print('warning: no JsSIP bundle in %s (scripts/build-wic.sh)' % a.vendor,
              flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    for s in servers:
        s.shutdown()


if __name__ == '__main__':
    main()
