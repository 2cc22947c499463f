#!/usr/bin/env python3
"""The stack side of the browser end-to-end tests, driven by node
(test/e2e/lib/stack.js) over stdin/stdout, one JSON object per line.

Starts scripts/epc/stack.py's Stack - the test IMS core, rtpengine as the
eIMS-AGW, the eP-CSCF with our modules, the WWSF demo server (the setup of
'make run': --tokens) - in RUNDIR, prints
  {"event": "ready", "ports": {...}, "wwsf": URL, "wwsf_ims": URL, ...}
and then answers requests {"id": N, "cmd": NAME, "args": {...}} with
{"id": N, "ok": true, "result": ...} or {"id": N, "ok": false, "error": TEXT}.
Commands:
  kamcmd {name, args}          kamcmd output text; rpc {name, args} parsed
  ng {command}                 an rtpengine ng request (dict) and its answer
  media_sessions               the call-ids rtpengine holds (ng list)
  log {name}                   a process's log
  sip {name, tag, method}      first lines + selected headers of the SIP
                               messages kamailio `name` logged (sipdump)
  ue_register {user}           an IMS UE (udpsip.UdpUA + rtpstream.RtpStream)
                               registered with Digest directly at the core
  ue_answer {user, timeout, ring_ms}  in the background: answer the next
                               INVITE (180, ring_ms later 200 with its RTP
                               SDP), send a tone
  ue_call {user, target}       in the background: INVITE target, on 2xx send
  ue_hangup {user}             BYE the UE's call
  ue_status {user}             state, who ended it, SIP codes, RTP counts
  ue_close {user}              de-register and close
  alive                        which stack processes are alive
  stop                         stop everything and exit
The stack and every UE are stopped (by pid, epc.procs) on 'stop', on EOF
of stdin and on SIGTERM/SIGINT.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc import ng, sip, testkit  # noqa: E402
from epc.ua import Call, Dialog  # noqa: E402
from epc.rtpstream import RtpStream  # noqa: E402
from epc.stack import Stack  # noqa: E402


class UeParty:
    """An IMS UE whose calls run in a thread that owns its socket."""

    def __init__(self, stack, user):
        self.user = user
        self.ue = testkit.ims_ue(stack, user)
        self.rtp = None
        self.thread = None
        self.state = 'idle'
        self.ended_by = None
        self.final = None          # status of the INVITE's final response
        self.bye_status = None
        self.error = None
        self.call_id = None
        self.want_hangup = threading.Event()

    def _begin(self, fn, *args):
        if self.thread and self.thread.is_alive():
            raise RuntimeError('%s is busy (%s)' % (self.user, self.state))
        if self.rtp:
            self.rtp.stop()
        self.rtp = RtpStream()
        self.state, self.ended_by, self.final = 'starting', None, None
        self.bye_status, self.error, self.call_id = None, None, None
        self.want_hangup.clear()

        def run():
            try:
                fn(*args)
            except Exception as e:
                self.error = '%s: %s' % (type(e).__name__, e)
                self.state = 'failed'
            finally:
                if self.rtp:
                    self.rtp.stop()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def answer(self, timeout=30.0, ring_ms=0):
        self._begin(self._answer, timeout, ring_ms)

    def _answer(self, timeout, ring_ms):
        """180 Ringing, ring_ms later 200 OK with the RTP SDP, wait ACK."""
        self.state = 'waiting'
        ue = self.ue
        inv = ue.next_request('INVITE', timeout)
        self.call_id = inv.get('Call-ID')
        tag = sip.rand_hex(6)
        c = Call(inv)
        ue.reply(inv, 180, 'Ringing', tag, [('Contact', ue.contact)])
        self.state = 'ringing'
        time.sleep(ring_ms / 1000.0)
        c.final = ue.reply(inv, 200, 'OK', tag, [
            ('Contact', ue.contact), ('Content-Type', 'application/sdp')],
            self.rtp.sdp())
        c.dialog = Dialog.from_uas(inv, tag)
        c.ack = ue.next_request('ACK', timeout)
        self.final = 200
        self.rtp.set_remote(inv.body)
        self.rtp.start()
        self.state = 'active'
        self._in_call(c)

    def call(self, target, timeout=30.0):
        self._begin(self._call, target, timeout)

    def _call(self, target, timeout):
        self.state = 'calling'
        c = self.ue.call(target, self.rtp.sdp(), timeout=timeout)
        self.final = c.final.status
        self.call_id = c.invite.get('Call-ID')
        if not c.dialog:
            self.state = 'failed'
            return
        self.rtp.set_remote(c.final.body)
        self.rtp.start()
        self.state = 'active'
        self._in_call(c)

    def _in_call(self, c):
        end = time.monotonic() + 600
        while time.monotonic() < end:
            if self.want_hangup.is_set():
                r = self.ue.bye(c)
                self.bye_status = r.status
                self.state, self.ended_by = 'ended', 'local'
                return
            try:
                m = self.ue.recv(0.1, lambda m: not m.is_response)
            except TimeoutError:
                continue
            if m.method == 'BYE':
                self.ue.reply(m, 200, 'OK')
                self.state, self.ended_by = 'ended', 'remote'
                return
            if m.method == 'ACK':
                continue
            if m.method in ('INVITE', 'UPDATE') and m.body:
                # a session refresh or re-offer: same media, same answer
                self.ue.reply(m, 200, 'OK', headers=[
                    ('Contact', self.ue.contact),
                    ('Content-Type', 'application/sdp')], body=self.rtp.sdp())
                continue
            self.ue.reply(m, 200, 'OK')
        self.state = 'timeout'

    def hangup(self):
        self.want_hangup.set()

    def status(self):
        d = {'user': self.user, 'state': self.state, 'ended_by': self.ended_by,
             'final': self.final, 'bye_status': self.bye_status,
             'error': self.error, 'call_id': self.call_id,
             'rtp': self.rtp.stats() if self.rtp else None}
        return d

    def close(self):
        self.want_hangup.set()
        if self.thread:
            self.thread.join(5)
        if self.rtp:
            self.rtp.stop()
        testkit.close_all(self.ue)


def summarize(m):
    msg = m['msg']
    keep = ('to', 'from', 'cseq', 'authorization', 'www-authenticate',
            'contact', 'expires',
            'path', 'p-asserted-identity', 'content-type', 'call-id')
    return {'tag': m['tag'], 'time': m['time'], 'first': msg.start,
            'headers': [[n, v] for n, v in msg.headers if n.lower() in keep],
            'body': msg.body if msg.body and len(msg.body) < 8000 else ''}


class Daemon:
    def __init__(self, stack):
        self.stack = stack
        self.ues = {}
        self.out_lock = threading.Lock()

    def emit(self, obj):
        with self.out_lock:
            sys.stdout.write(json.dumps(obj) + '\n')
            sys.stdout.flush()

    def ue(self, user):
        if user not in self.ues:
            raise KeyError('no UE %s (ue_register first)' % user)
        return self.ues[user]

    def handle(self, cmd, a):
        st = self.stack
        if cmd == 'kamcmd':
            return st.kamcmd(a['name'], *a.get('args', []), check=False)
        if cmd == 'rpc':
            return st.rpc(a['name'], *a.get('args', []), check=False)
        if cmd == 'ng':
            return ng.command(st.ports['ng'], a['command'])
        if cmd == 'media_sessions':
            r = ng.command(st.ports['ng'], {'command': 'list', 'limit': 100})
            return r.get('calls', [])
        if cmd == 'log':
            return st.log(a['name'])
        if cmd == 'sip':
            out = []
            for m in st.sip_messages(a['name'], a.get('tag'), a.get('since', 0.0)):
                if a.get('method') and not (
                        m['msg'].start.startswith(a['method'] + ' ') or
                        m['msg'].get('CSeq', '').endswith(' ' + a['method'])):
                    continue
                out.append(summarize(m))
            return out
        if cmd == 'ue_register':
            if a['user'] in self.ues:
                self.ues.pop(a['user']).close()
            self.ues[a['user']] = UeParty(st, a['user'])
            return {'impu': self.ues[a['user']].ue.impu}
        if cmd == 'ue_answer':
            self.ue(a['user']).answer(a.get('timeout', 30.0), a.get('ring_ms', 0))
            return True
        if cmd == 'ue_call':
            self.ue(a['user']).call(a['target'], a.get('timeout', 30.0))
            return True
        if cmd == 'ue_hangup':
            self.ue(a['user']).hangup()
            return True
        if cmd == 'ue_status':
            return self.ue(a['user']).status()
        if cmd == 'ue_close':
            self.ues.pop(a['user']).close()
            return True
        if cmd == 'alive':
            return st.alive()
        raise ValueError('unknown command %r' % cmd)

    def close(self):
        for u in list(self.ues.values()):
            try:
                u.close()
            except Exception:
                pass
        self.ues.clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rundir', required=True)
    ap.add_argument('--tokens', action='store_true',
                    help="the setup of 'make run' (registry.demo, tokens)")
    ap.add_argument('--token-ttl', type=int,
                    help='lifetime of the WWSF demo tokens (s)')
    ap.add_argument('--debug', type=int, default=2)
    a = ap.parse_args()

    stack = Stack(a.rundir, wwsf=True, wwsf_tokens=a.tokens, sipdump=True,
                  debug=a.debug, wwsf_token_ttl=a.token_ttl)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    d = None
    try:
        stack.start()
        d = Daemon(stack)
        methods = stack.kamcmd('ep-cscf', 'system.listMethods', check=False)
        d.emit({'event': 'ready', 'ports': stack.ports,
                'wwsf': stack.wwsf_origin + '/',
                'wwsf_ims': stack.wwsf_ims_origin + '/',
                'cafile': stack.cafile, 'spki': stack.spki_hash(),
                'rundir': stack.rundir, 'logdir': stack.logdir,
                'pids': {n: p.pid for n, p in stack.procs.items()},
                'rtp_range': list(stack.rtp_range),
                'agw': 'eimsagw.' in methods})
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                req = json.loads(line)
            except ValueError:
                d.emit({'id': None, 'ok': False, 'error': 'bad JSON'})
                continue
            if req.get('cmd') == 'stop':
                d.emit({'id': req.get('id'), 'ok': True, 'result': True})
                break
            try:
                res = d.handle(req.get('cmd'), req.get('args') or {})
                d.emit({'id': req.get('id'), 'ok': True, 'result': res})
            except Exception as e:
                d.emit({'id': req.get('id'), 'ok': False,
                        'error': '%s: %s' % (type(e).__name__, e),
                        'trace': traceback.format_exc()[-2000:]})
    except KeyboardInterrupt:
        pass
    except Exception as e:
        print(json.dumps({'event': 'error', 'error': '%s: %s' % (type(e).__name__, e)}),
              flush=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if d:
            d.close()
        stack.stop()
        print(json.dumps({'event': 'stopped'}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
