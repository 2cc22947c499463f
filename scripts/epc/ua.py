"""User-agent behaviour shared by the test clients (the WIC over WebSocket in
wssip.py, the IMS UE over UDP in udpsip.py): responses, dialogs (RFC 3261
12), placing and answering calls, MESSAGE.

A class using UAMixin provides: send(msg), recv(timeout, match),
new_via() (a Via value with a fresh branch), contact (a name-addr), impu,
an integer attribute cseq, and for registration: domain, impi, password,
request(method, ruri, headers) and transaction(req). It may set
REGISTER_HEADERS (extra headers of every REGISTER) and
INITIAL_AUTHORIZATION (send TS 24.229's empty Digest credentials with
the IMPI in the first REGISTER, as IMS UEs do)."""
import time

from . import sip


def response(req, status, reason, to_tag=None, headers=(), body='',
             record_route=False):
    """A response to req (RFC 3261 8.2.6): Vias, From, To (+tag), Call-ID,
    CSeq copied; Record-Route copied too when record_route is set."""
    h = [(n, v) for n, v in req.headers if n.lower() in ('via', 'v')]
    to = req.get('To')
    if to_tag and sip.param(to, 'tag') is None:
        to = '%s;tag=%s' % (to, to_tag)
    h += [('From', req.get('From')), ('To', to),
          ('Call-ID', req.get('Call-ID')), ('CSeq', req.get('CSeq'))]
    if record_route:
        h += [('Record-Route', v) for v in req.get_all('Record-Route')]
    h += list(headers)
    return sip.Message('SIP/2.0 %d %s' % (status, reason), h, body)


def split_list(value):
    """Comma-separated header values (no commas inside <> or quotes)."""
    out, cur, depth, quoted = [], '', 0, False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == '<':
            depth += 1
        elif not quoted and ch == '>':
            depth -= 1
        if ch == ',' and depth == 0 and not quoted:
            out.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class Dialog:
    """The state of one dialog as seen by this UA."""

    def __init__(self, call_id, local, local_tag, remote, remote_tag,
                 target, route_set, cseq=1):
        self.call_id = call_id
        self.local, self.local_tag = local, local_tag
        self.remote, self.remote_tag = remote, remote_tag
        self.target = target          # remote target URI (its Contact)
        self.route_set = route_set    # list of name-addr values
        self.cseq = cseq

    @classmethod
    def from_uac(cls, req, resp):
        rr = []
        for v in resp.get_all('Record-Route'):
            rr += split_list(v)
        return cls(req.get('Call-ID'), sip.uri_of(req.get('From')),
                   sip.param(req.get('From'), 'tag'),
                   sip.uri_of(resp.get('To')), sip.param(resp.get('To'), 'tag'),
                   sip.uri_of(resp.get('Contact')), list(reversed(rr)),
                   int(req.get('CSeq').split()[0]))

    @classmethod
    def from_uas(cls, req, local_tag):
        rr = []
        for v in req.get_all('Record-Route'):
            rr += split_list(v)
        return cls(req.get('Call-ID'), sip.uri_of(req.get('To')), local_tag,
                   sip.uri_of(req.get('From')), sip.param(req.get('From'), 'tag'),
                   sip.uri_of(req.get('Contact')), rr, 0)

    def request(self, method, via, contact, headers=(), body='', cseq=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        h = [('Via', via), ('Max-Forwards', '70')]
        h += [('Route', r) for r in self.route_set]
        h += [('From', '<%s>;tag=%s' % (self.local, self.local_tag)),
              ('To', '<%s>;tag=%s' % (self.remote, self.remote_tag)),
              ('Call-ID', self.call_id), ('CSeq', '%d %s' % (cseq, method)),
              ('Contact', contact)]
        h += list(headers)
        return sip.Message('%s %s SIP/2.0' % (method, self.target), h, body)


class Call:
    """One call placed or answered: the dialog plus what was exchanged."""

    def __init__(self, invite, dialog=None):
        self.invite = invite
        self.dialog = dialog
        self.provisional = []
        self.final = None
        self.ack = None


class UAMixin:
    REGISTER_HEADERS = ()
    INITIAL_AUTHORIZATION = False

    def register(self, expires=600, authorization=None, extra=()):
        # expires None: neither an Expires header nor a contact expires
        if expires is None:
            hdrs = [('Contact', self.contact)]
        else:
            hdrs = [('Contact', '%s;expires=%d' % (self.contact, expires))]
        hdrs += list(self.REGISTER_HEADERS)
        if expires is not None:
            hdrs.append(('Expires', str(expires)))
        if authorization:
            hdrs.append(('Authorization', authorization))
        hdrs += list(extra)
        req = self.request('REGISTER', 'sip:' + self.domain, hdrs)
        return req, self.transaction(req)

    def register_digest(self, expires=600, extra=()):
        """REGISTER, answer the 401 with Digest (IMPI as username);
        returns (first response, second response or None)."""
        impi = self.impi or self.impu.split(':', 1)[1]
        first = None
        if self.INITIAL_AUTHORIZATION:
            first = ('Digest username="%s", realm="%s", nonce="", '
                     'uri="sip:%s", response=""' % (impi, self.domain,
                                                     self.domain))
        _, r1 = self.register(expires, first, extra)
        if r1.status != 401:
            return r1, None
        auth = sip.digest_authorization(r1.get('WWW-Authenticate'),
                                        'REGISTER', 'sip:' + self.domain,
                                        impi, self.password)
        _, r2 = self.register(expires, auth, extra)
        return r1, r2

    """Calls and MESSAGE on top of send()/recv()/new_via()."""

    def next_request(self, method=None, timeout=5.0):
        """The next request received (of the given method)."""
        return self.recv(timeout, lambda m: not m.is_response and
                         (method is None or m.method == method))

    def reply(self, req, status, reason, to_tag=None, headers=(), body='',
              record_route=None):
        if record_route is None:
            record_route = status > 100 and req.method in ('INVITE', 'SUBSCRIBE')
        r = response(req, status, reason, to_tag, headers, body, record_route)
        self.send(r)
        return r

    def call(self, ruri, sdp='', headers=(), timeout=8.0, ack=True,
             content_type='application/sdp'):
        """INVITE ruri with body sdp (of content_type); returns a Call with
        the provisional responses, the final response and (for 2xx) the
        dialog; the 2xx is ACKed."""
        self.cseq += 1
        tag = sip.rand_hex(6)
        call_id = sip.rand_hex(10) + '@' + self.__class__.__name__.lower()
        h = [('Via', self.new_via()), ('Max-Forwards', '70'),
             ('From', '<%s>;tag=%s' % (self.impu, tag)),
             ('To', '<%s>' % ruri), ('Call-ID', call_id),
             ('CSeq', '%d INVITE' % self.cseq), ('Contact', self.contact),
             ('Allow', 'INVITE, ACK, CANCEL, BYE, UPDATE, PRACK, MESSAGE, OPTIONS')]
        if sdp:
            h.append(('Content-Type', content_type))
        h += list(headers)
        inv = sip.Message('INVITE %s SIP/2.0' % ruri, h, sdp)
        c = Call(inv)
        self.send(inv)
        branch = sip.param(inv.get('Via'), 'branch')
        deadline = time.monotonic() + timeout
        while True:
            r = self.recv(max(deadline - time.monotonic(), 0.01),
                          lambda m: m.is_response and
                          sip.param(m.get('Via', ''), 'branch') == branch)
            if r.status < 200:
                c.provisional.append(r)
                continue
            c.final = r
            break
        if c.final.status >= 300:
            # hop-by-hop ACK for a non-2xx final response (RFC 3261 17.1.1.3)
            ah = [('Via', inv.get('Via')), ('Max-Forwards', '70'),
                  ('From', inv.get('From')), ('To', c.final.get('To')),
                  ('Call-ID', call_id), ('CSeq', '%d ACK' % self.cseq)]
            ah += [('Route', v) for v in inv.get_all('Route')]
            self.send(sip.Message('ACK %s SIP/2.0' % ruri, ah))
        if 200 <= c.final.status < 300:
            c.dialog = Dialog.from_uac(inv, c.final)
            if ack:
                c.ack = c.dialog.request('ACK', self.new_via(), self.contact,
                                         cseq=c.dialog.cseq)
                self.send(c.ack)
        return c

    def answer(self, sdp='', timeout=8.0, ringing=True, status=200,
               reason='OK', headers=(), wait_ack=True, ring_time=0.05):
        """Wait for an INVITE, answer 180, ring for ring_time seconds (as a
        phone does: a 180 and a 200 sent back to back over UDP may be
        handled by two proxy workers in either order, and a 180 after the
        final reply is rightly dropped) then `status` (with sdp on 2xx);
        returns a Call (its ack is the ACK received for a 2xx)."""
        inv = self.next_request('INVITE', timeout)
        tag = sip.rand_hex(6)
        c = Call(inv)
        if ringing:
            c.provisional.append(self.reply(inv, 180, 'Ringing', tag,
                                            [('Contact', self.contact)]))
            time.sleep(ring_time)
        h = [('Contact', self.contact)] + list(headers)
        if sdp and status < 300:
            h.append(('Content-Type', 'application/sdp'))
        c.final = self.reply(inv, status, reason, tag, h,
                             sdp if status < 300 else '')
        if status < 300:
            c.dialog = Dialog.from_uas(inv, tag)
            if wait_ack:
                c.ack = self.next_request('ACK', timeout)
        else:
            try:
                self.next_request('ACK', 1.0)   # hop-by-hop ACK, if it comes
            except (TimeoutError, OSError):
                pass
        return c

    def in_dialog(self, call, method, headers=(), body='', timeout=5.0):
        """Send a request within the call's dialog, return its final response."""
        req = call.dialog.request(method, self.new_via(), self.contact,
                                  headers, body)
        self.send(req)
        branch = sip.param(req.get('Via'), 'branch')
        deadline = time.monotonic() + timeout
        while True:
            r = self.recv(max(deadline - time.monotonic(), 0.01),
                          lambda m: m.is_response and
                          sip.param(m.get('Via', ''), 'branch') == branch)
            if r.status >= 200:
                return r

    def bye(self, call, timeout=5.0):
        return self.in_dialog(call, 'BYE', timeout=timeout)

    def expect_bye(self, timeout=5.0):
        """Wait for a BYE and answer it 200; returns the BYE."""
        req = self.next_request('BYE', timeout)
        self.reply(req, 200, 'OK')
        return req

    def message(self, ruri, text, headers=(), timeout=5.0):
        """Send a MESSAGE (text/plain) and return its final response."""
        self.cseq += 1
        h = [('Via', self.new_via()), ('Max-Forwards', '70'),
             ('From', '<%s>;tag=%s' % (self.impu, sip.rand_hex(6))),
             ('To', '<%s>' % ruri),
             ('Call-ID', sip.rand_hex(10) + '@msg'),
             ('CSeq', '%d MESSAGE' % self.cseq),
             ('Content-Type', 'text/plain')] + list(headers)
        req = sip.Message('MESSAGE %s SIP/2.0' % ruri, h, text)
        self.send(req)
        branch = sip.param(req.get('Via'), 'branch')
        deadline = time.monotonic() + timeout
        while True:
            r = self.recv(max(deadline - time.monotonic(), 0.01),
                          lambda m: m.is_response and
                          sip.param(m.get('Via', ''), 'branch') == branch)
            if r.status >= 200:
                return r

    def expect_message(self, timeout=5.0, status=200):
        """Wait for a MESSAGE, answer it; returns the MESSAGE."""
        req = self.next_request('MESSAGE', timeout)
        self.reply(req, status, 'OK' if status == 200 else 'Error',
                   sip.rand_hex(6))
        return req


def ack_non2xx(req, resp):
    """ACK for a non-2xx final response to req (RFC 3261 17.1.1.3): same
    hop, same branch as the INVITE."""
    h = [('Via', req.get_all('Via')[0]), ('Max-Forwards', '70'),
         ('From', req.get('From')), ('To', resp.get('To')),
         ('Call-ID', req.get('Call-ID')),
         ('CSeq', '%s ACK' % req.get('CSeq').split()[0])]
    h += [('Route', r) for r in req.get_all('Route')]
    return sip.Message('ACK %s SIP/2.0' % req.ruri, h)


def cancel(req):
    """CANCEL of a pending INVITE req (RFC 3261 9.1)."""
    h = [('Via', req.get_all('Via')[0]), ('Max-Forwards', '70'),
         ('From', req.get('From')), ('To', req.get('To')),
         ('Call-ID', req.get('Call-ID')),
         ('CSeq', '%s CANCEL' % req.get('CSeq').split()[0])]
    h += [('Route', r) for r in req.get_all('Route')]
    return sip.Message('CANCEL %s SIP/2.0' % req.ruri, h)
