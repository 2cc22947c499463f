#!/usr/bin/env python3
"""Before/after figures for WSS reconnect storms (issue 12, doc/tls-storm.md).

1. Storm: the reference eP-CSCF with tls_guard mode 0 (stock behaviour:
   OpenSSL per-thread state inherited by every worker) and mode 1 (released
   before each fork), 2 and 4 TCP workers; ROUNDS rounds of CONNS parallel
   TLS+WebSocket handshakes with REQUESTS REGISTERs each. Prints what
   happened to the connections and what the eP-CSCF logged.
2. Throughput: tls_guard mode 1 with 1, 2 and 4 TCP workers, closed-loop
   REGISTER over WSS (relayed to the test IMS core, answered 401) and
   OPTIONS (answered by the eP-CSCF itself: the edge alone).

Everything runs on 127.0.0.1 (scripts/epc/stack.py), every process is
stopped at the end. Figures depend on the machine; compare the ratios of
one run. Usage: test/bench/tls_storm.py [--quick] [--skip-storm]
[--skip-throughput] [--duration S] [--conns N] [--repeat N]
"""
import argparse
import os
import re
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc import wsload  # noqa: E402
from epc.stack import Stack  # noqa: E402

BAD = re.compile(r'\b(CRITICAL|ALERT)\b|BUG:')


def start(root, name, workers, mode, debug, shm):
    # all load comes from 127.0.0.1: pike off (its counters saturate below
    # 65535), or it would block the "flood"
    s = Stack(os.path.join(root, name), tcp_children=workers, debug=debug,
              epc_shm_mb=shm, epc_defines={'EPC_TLS_GUARD_MODE': mode,
                                           'EPC_PIKE_REQS': 65535})
    s.start()
    # the control socket answers before every worker is forked
    end = time.monotonic() + 10
    while time.monotonic() < end and len(re.findall(
            r'DSC:\s*tcp receiver', s.kamcmd('ep-cscf', 'core.psx'))) < workers:
        time.sleep(0.2)
    return s


def storm(root, workers, mode, rounds, conns, requests):
    s = start(root, 'storm-m%d-w%d' % (mode, workers), workers, mode, 2, 256)
    tot = dict(ok=0, refused=0, unclean=0, sent=0, answered=0)
    done = 0
    try:
        for rnd in range(1, rounds + 1):
            if not s.alive()['ep-cscf']:
                break
            rc, res, err = wsload.run(s.ports['epc_wss'], conns=conns,
                                      requests=requests,
                                      origin=s.wwsf_origin,
                                      close='clean' if rnd % 2 else 'abrupt',
                                      timeout=120)
            if not res:
                break
            r = res[0]
            tot['ok'] += r['ok']
            tot['refused'] += wsload.refused(r)
            tot['unclean'] += wsload.unclean(r)
            tot['sent'] += r['sent']
            tot['answered'] += r['answered']
            done += 1
            time.sleep(8)   # let the eP-CSCF free the round (tm, websocket)
        alive = s.alive()['ep-cscf']
        log = s.log('ep-cscf').splitlines()
    finally:
        s.stop()
    # a crashed worker leaves a core file the size of shm: count, remove
    cores = 0
    for d, _, files in os.walk(s.rundir):
        for f in files:
            if f == 'core' or f.startswith('core.'):
                os.unlink(os.path.join(d, f))
                cores += 1
    bad = [l for l in log if BAD.search(l)]
    bugs = sum(1 for l in bad if 'BUG:' in l)
    deaths = sum(1 for l in bad if 'exited by a signal' in l)
    print('  mode %d (%s) tcp_children=%d: %d/%d rounds run, handshakes '
          'ok %d/%d, refused %d, unclean %d, REGISTERs answered %d/%d; '
          'log: %d BUG, %d CRITICAL/ALERT, %d worker deaths (%d core '
          'files); eP-CSCF %s'
          % (mode, 'stock' if mode == 0 else 'tls_guard', workers, done,
             rounds, tot['ok'], done * conns, tot['refused'], tot['unclean'],
             tot['answered'], tot['sent'], bugs, len(bad), deaths, cores,
             'alive' if alive else 'DEAD'))
    for l in bad[:4]:
        print('      ' + l.strip()[:230])
    return not bad and alive and tot['unclean'] == 0


def _roles(s):
    """pid -> role for every process of the stack."""
    roles = {}
    for name, tag in (('ep-cscf', 'epc'), ('ims-core', 'core')):
        out = s.kamcmd(name, 'core.psx')
        for m in re.finditer(r'PID:\s*(\d+)\s*\n\s*DSC:\s*([^\n]*)', out):
            dsc = m.group(2)
            if tag == 'core':
                role = 'IMS core'
            elif 'tcp receiver' in dsc:
                role = 'eP-CSCF TCP workers'
            elif 'udp receiver' in dsc:
                role = 'eP-CSCF UDP workers'
            else:
                role = 'eP-CSCF other'
            roles[int(m.group(1))] = role
    roles[s.procs['rtpengine'].pid] = 'other'
    return roles


def _cpu(pids):
    """pid -> utime+stime seconds; plus the machine's busy seconds."""
    hz = os.sysconf('SC_CLK_TCK')
    out = {}
    for p in pids:
        try:
            with open('/proc/%d/stat' % p) as f:
                v = f.read().rsplit(')', 1)[1].split()
            out[p] = (int(v[11]) + int(v[12])) / hz
        except OSError:
            pass
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    out['busy'] = (sum(v) - v[3] - v[4]) / hz
    return out


def measure(s, roles, method, duration, conns):
    """One closed-loop run: (rate, all connections ok, CPU text)."""
    c0, t0, r0 = _cpu(roles), time.monotonic(), os.times()
    rc, res, err = wsload.run(s.ports['epc_wss'], conns=conns,
                              duration=duration, warmup=2, method=method,
                              origin=s.wwsf_origin, timeout=duration + 60)
    c1, r1 = _cpu(roles), os.times()
    wall = time.monotonic() - t0
    use = {'wsload': (r1.children_user + r1.children_system
                      - r0.children_user - r0.children_system)}
    for p, role in roles.items():
        if p in c0 and p in c1:
            use[role] = use.get(role, 0) + c1[p] - c0[p]
    ours = 100 * sum(use.values()) / wall
    busy = 100 * (c1['busy'] - c0['busy']) / wall
    cpu = 'machine busy %.0f%% of %d00%%, this stack %.0f%% (%s)' % (
        busy, os.cpu_count(), ours,
        ', '.join('%s %.0f%%' % (k, 100 * v / wall) for k, v in
                  sorted(use.items(), key=lambda kv: -kv[1])
                  if v / wall >= 0.01))
    r = res[0] if res else None
    ok = r is not None and wsload.unclean(r) == 0 and r['ok'] == conns
    return (r['rate'] if r else 0.0), ok, cpu


def throughput(root, counts, duration, conns, methods, repeat):
    """All stacks up at once, runs interleaved (1, 2, 4, 1, 2, 4, ...) so
    that other load on the machine hits every worker count alike; prints
    the median and the best run of each."""
    stacks = {}
    runs = {}
    try:
        for w in counts:
            s = start(root, 'tput-w%d' % w, w, 1, 1, 1024)
            stacks[w] = (s, _roles(s))
        for _ in range(repeat):
            for w in counts:
                s, roles = stacks[w]
                for m in methods:
                    runs.setdefault((w, m), []).append(
                        measure(s, roles, m, duration, conns))
                    time.sleep(3)
    finally:
        for s, _ in stacks.values():
            s.stop()
    base = {}
    for m in methods:
        for w in counts:
            rs = sorted(runs[(w, m)], key=lambda r: r[0])
            med = rs[len(rs) // 2]
            base.setdefault(m, med[0] or 1.0)
            print('  %-8s tcp_children=%d  median %7.0f req/s  x%.2f   '
                  'best %7.0f%s' % (m, w, med[0], med[0] / base[m],
                                    rs[-1][0],
                                    '' if all(r[1] for r in rs) else
                                    '  (some connections failed)'))
            print('      median run CPU: ' + med[2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true',
                    help='fewer rounds, shorter runs')
    ap.add_argument('--skip-storm', action='store_true')
    ap.add_argument('--skip-throughput', action='store_true')
    ap.add_argument('--duration', type=float, default=8.0,
                    help='measured seconds per throughput run (8)')
    ap.add_argument('--conns', type=int, default=300,
                    help='connections per storm round (300)')
    ap.add_argument('--repeat', type=int, default=3,
                    help='throughput runs per worker count (3)')
    a = ap.parse_args()
    rounds = 2 if a.quick else 3
    duration = 4.0 if a.quick else a.duration
    repeat = 1 if a.quick else a.repeat
    wsload.build()
    root = tempfile.mkdtemp(prefix='tls-storm-',
                            dir=os.path.join(wsload.BUILD))
    print('tls_storm: logs under %s' % root)
    print('OpenSSL/Kamailio: %s' % os.popen(
        '/usr/sbin/kamailio -v 2>/dev/null | head -1').read().strip())
    verdict = True
    if not a.skip_storm:
        print('Storm: %d rounds x %d parallel WSS handshakes, 3 REGISTERs '
              'each' % (rounds, a.conns))
        for mode in (0, 1):
            for w in (2, 4):
                clean = storm(root, w, mode, rounds, a.conns, 3)
                if mode == 1:
                    verdict = verdict and clean
    if not a.skip_throughput:
        print('Throughput (tls_guard mode 1, 200 connections, closed loop, '
              '%.0f s measured after 2 s warm-up, %d interleaved runs each; '
              'REGISTER is relayed to the test IMS core, OPTIONS is answered '
              'by the eP-CSCF):' % (duration, repeat))
        throughput(root, (1, 2, 4), duration, 200, ('REGISTER', 'OPTIONS'),
                   repeat)
    print('tls_storm: %s' % ('tls_guard clean in every storm' if verdict
                             else 'FAILURES with tls_guard'))
    return 0 if verdict else 1


if __name__ == '__main__':
    sys.exit(main())
