#!/usr/bin/env python3
"""Regenerate the captured IMS-side part of the SDP corpus (test/sdp/ims/):
SDP exactly as real SIP user agents put it on the wire, on 127.0.0.1.

  sipp-offer.sdp       sipp's built-in 'uac' scenario INVITE body
  sipp-answer.sdp      sipp's built-in 'uas' scenario 200 OK body
  baresip-offer.sdp    baresip (Debian, modules g711 + amr) dialing out
  baresip-answer.sdp   baresip auto-answering an AMR-WB/AMR offer
                       (test/sdp/ims/volte-amrwb-offer.sdp)

A small UDP peer in this script plays the other side: it captures the raw
datagram and cuts the body by Content-Length (bytes untouched).

  python3 test/sdp/gen/gen-ims.py
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'ims')


def free_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def split(msg):
    head, _, body = msg.partition(b'\r\n\r\n')
    clen = None
    for ln in head.split(b'\r\n')[1:]:
        k, _, v = ln.partition(b':')
        if k.strip().lower() in (b'content-length', b'l'):
            clen = int(v.strip())
    return head, body[:clen] if clen is not None else body


def hdr(head, name):
    for ln in head.split(b'\r\n')[1:]:
        k, _, v = ln.partition(b':')
        if k.strip().lower() == name:
            return v.strip()
    return b''


def reply(head, code, reason, body=b'', to_tag=b'gen1', contact=b''):
    first = b'SIP/2.0 %d %s' % (code, reason)
    lines = [first]
    for ln in head.split(b'\r\n')[1:]:
        k = ln.partition(b':')[0].strip().lower()
        if k in (b'via', b'v', b'from', b'f', b'call-id', b'i', b'cseq'):
            lines.append(ln)
        elif k in (b'to', b't'):
            lines.append(ln if b'tag=' in ln else ln + b';tag=' + to_tag)
    if contact:
        lines.append(b'Contact: <' + contact + b'>')
    if body:
        lines.append(b'Content-Type: application/sdp')
    lines.append(b'Content-Length: %d' % len(body))
    return b'\r\n'.join(lines) + b'\r\n\r\n' + body


def recv_request(sock, method, deadline):
    while time.time() < deadline:
        sock.settimeout(max(0.1, deadline - time.time()))
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            break
        if data.startswith(method + b' '):
            return data, addr
    raise RuntimeError('no %s received' % method.decode())


def capture_offer(cmd_for_port, name):
    """Run a UAC (cmd_for_port(port) -> argv), capture its INVITE body."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    proc = subprocess.Popen(cmd_for_port(port), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        data, addr = recv_request(sock, b'INVITE', time.time() + 15)
        head, body = split(data)
        sock.sendto(reply(head, 486, b'Busy Here'), addr)
        write(name, body)
    finally:
        proc.kill()
        proc.wait()
        sock.close()


def capture_answer(cmd_for_port, uas_port, offer, name, wait=1.0):
    """Send an INVITE with offer to a UAS started by cmd_for_port; capture
    the 200 OK body, ACK and BYE."""
    proc = subprocess.Popen(cmd_for_port(uas_port), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    me = sock.getsockname()[1]
    try:
        time.sleep(wait)
        callid = b'gen-%d@127.0.0.1' % random.randrange(1 << 30)
        ruri = b'sip:gen@127.0.0.1:%d' % uas_port
        via = b'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%d;rport' % (
            me, random.randrange(1 << 30))
        common = [via, b'Max-Forwards: 70',
                  b'From: <sip:gen@127.0.0.1>;tag=g%d' % random.randrange(1 << 20),
                  b'To: <' + ruri + b'>', b'Call-ID: ' + callid]
        inv = b'\r\n'.join([b'INVITE ' + ruri + b' SIP/2.0'] + common + [
            b'CSeq: 1 INVITE', b'Contact: <sip:gen@127.0.0.1:%d>' % me,
            b'Content-Type: application/sdp',
            b'Content-Length: %d' % len(offer)]) + b'\r\n\r\n' + offer
        deadline = time.time() + 15
        sock.sendto(inv, ('127.0.0.1', uas_port))
        while time.time() < deadline:
            sock.settimeout(max(0.1, deadline - time.time()))
            data, _ = sock.recvfrom(65535)
            if data.startswith(b'SIP/2.0 200'):
                head, body = split(data)
                write(name, body)
                to = hdr(head, b'to')
                ack = b'\r\n'.join([b'ACK ' + ruri + b' SIP/2.0', via.replace(b'z9hG4bK', b'z9hG4bKa'),
                                    common[1], common[2], b'To: ' + to, common[4],
                                    b'CSeq: 1 ACK', b'Content-Length: 0']) + b'\r\n\r\n'
                sock.sendto(ack, ('127.0.0.1', uas_port))
                bye = ack.replace(b'ACK ', b'BYE ', 1).replace(b'1 ACK', b'2 BYE')
                sock.sendto(bye.replace(b'z9hG4bKa', b'z9hG4bKb'), ('127.0.0.1', uas_port))
                return
            if data[:9] == b'SIP/2.0 4' or data[:9] == b'SIP/2.0 5':
                raise RuntimeError('%s: %s' % (name, data.split(b'\r\n')[0]))
        raise RuntimeError('%s: no 200 OK' % name)
    finally:
        time.sleep(0.3)
        proc.kill()
        proc.wait()
        sock.close()


def write(name, body):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(body)
    print('%s: %d bytes' % (name, len(body)))


def baresip_dir(port):
    d = tempfile.mkdtemp(prefix='epc-baresip-')
    wav = os.path.join(d, 'silence.wav')
    w = wave.open(wav, 'wb')
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(b'\0\0' * 16000)
    w.close()
    with open(os.path.join(d, 'config'), 'w') as f:
        f.write('\n'.join([
            'poll_method epoll', 'sip_listen 127.0.0.1:%d' % port,
            'audio_player aufile,/dev/null', 'audio_source aufile,%s' % wav,
            'audio_alert aufile,/dev/null', 'video_display none',
            'rtp_ports 40000-40100', 'module_path /usr/lib/baresip/modules',
            'module stdio.so', 'module g711.so', 'module amr.so',
            'module aufile.so', 'module account.so',
            'module_app menu.so', 'amr_mode 7', 'dns_server 127.0.0.1:53', '']))
    with open(os.path.join(d, 'accounts'), 'w') as f:
        f.write('<sip:gen@127.0.0.1>;regint=0;answermode=auto\n')
    open(os.path.join(d, 'contacts'), 'w').close()
    return d


def main():
    os.makedirs(OUT, exist_ok=True)
    if shutil.which('sipp'):
        capture_offer(lambda p: ['sipp', '-sn', 'uac', '-i', '127.0.0.1',
                                 '-p', str(free_udp()), '-m', '1',
                                 '127.0.0.1:%d' % p], 'sipp-offer.sdp')
        port = free_udp()
        offer = open(os.path.join(OUT, 'sipp-offer.sdp'), 'rb').read()
        capture_answer(lambda p: ['sipp', '-sn', 'uas', '-i', '127.0.0.1',
                                  '-p', str(p), '-m', '1'], port, offer,
                       'sipp-answer.sdp')
    if shutil.which('baresip'):
        dirs = []
        try:
            def dial(p):
                d = baresip_dir(free_udp())
                dirs.append(d)
                return ['baresip', '-4', '-f', d, '-t', '20',
                        '-e', '/dial sip:test@127.0.0.1:%d' % p]
            capture_offer(dial, 'baresip-offer.sdp')
            port = free_udp()

            def uas(p):
                d = baresip_dir(p)
                dirs.append(d)
                return ['baresip', '-4', '-f', d, '-t', '20']
            offer = open(os.path.join(OUT, 'volte-amrwb-offer.sdp'), 'rb').read()
            capture_answer(uas, port, offer, 'baresip-answer.sdp', wait=1.5)
        finally:
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    main()
