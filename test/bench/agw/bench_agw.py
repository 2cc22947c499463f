#!/usr/bin/env python3
"""Call setups per second through kamailio + rtpengine (Debian 10.5) with
the media driven by eimsagw_ctl, by Kamailio's own rtpengine module with the
same ng flags, and without media control (the SIP-only ceiling), in one run
on this machine. Prints figures and the eimsagw_ctl / rtpengine.so ratio;
it is not a pass/fail test ('make bench-agw').

The call: sipp as the WIC (INVITE with a Chromium 156 offer) -> kamailio
-> sipp as the IMS UE (200 with RTP/AVP) -> ACK -> BYE; per call the
AGW gets an offer, an answer and a delete. Each variant runs ROUNDS times,
interleaved, with CALLS calls at most CONC at a time; a round counts only
if every call succeeded, the AGW got exactly one offer, answer
and delete per call (its own ng statistics) and holds no call afterwards.

Usage: bench_agw.py [--calls N] [--rounds R] [--conc C]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc import ng  # noqa: E402
from epc.procs import ProcessGroup, free_port  # noqa: E402

KAM_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/'
VARIANTS = (('eimsagw_ctl', 'MEDIA_EIMSAGW'),
            ('rtpengine.so', 'MEDIA_RTPENGINE'),
            ('no media control', 'MEDIA_NONE'))


def wait_ctl(sock, p, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not p.alive():
            raise RuntimeError('kamailio exited:\n' + p.log()[-2000:])
        r = subprocess.run(['kamcmd', '-s', sock, 'core.uptime'],
                           capture_output=True)
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError('kamailio not ready')


def shm_used(ctl):
    """Shared memory in use (bytes), from kamcmd core.shmmem."""
    out = subprocess.run(['kamcmd', '-s', ctl, 'core.shmmem'],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith('used:'):
            return int(line.split(':')[1])
    return -1


def ng_counts(ngport):
    c = ng.command(ngport, {'command': 'statistics'})['statistics'][
        'controlstatistics']
    return (c['totaloffercount'], c['totalanswercount'], c['totaldeletecount'])


def run_variant(group, rundir, define, ngport, calls, conc, tag):
    kport, uac_port, uas_port = free_port('udp'), free_port('udp'), free_port('udp')
    while len({kport, uac_port, uas_port}) < 3:
        uas_port = free_port('udp')
    work = os.path.join(rundir, tag)
    os.makedirs(work, exist_ok=True)
    ctl = os.path.join(work, 'ctl')
    defines = {'BENCH_PORT': kport, 'BENCH_UAC_PORT': uac_port,
               'BENCH_UAS_URI': '"sip:127.0.0.1:%d"' % uas_port,
               'BENCH_NG': '"udp:127.0.0.1:%d"' % ngport,
               'BENCH_CTL': '"unix:%s"' % ctl,
               'BENCH_MPATH': '"%s"' % KAM_MODULES,
               'BENCH_EIMSAGW': '"%s"' % os.path.join(
                   TOP, 'modules', 'eimsagw_ctl', 'eimsagw_ctl.so'),
               define: 1}
    # 256 MB of shm: finished transactions wait tm's wait timer (5 s) in
    # shared memory, ~30 KB per call, whatever drives the media
    argv = ['kamailio', '-DD', '-E', '-m', '256', '-f',
            os.path.join(HERE, 'kamailio.cfg'), '-w', work, '-Y', work]
    for k, v in defines.items():
        argv += ['-A', '%s=%s' % (k, v)]
    kam = group.start('kamailio-' + tag, argv, cwd=work)
    uas = None
    try:
        wait_ctl(ctl, kam)
        uas = group.start('sipp-uas-' + tag, [
            'sipp', '-sf', os.path.join(HERE, 'uas.xml'), '-i', '127.0.0.1',
            '-p', str(uas_port), '-mp', str(free_port('udp')), '-nostdin',
            '-timeout', '120s', '-trace_err',
            '-error_file', os.path.join(work, 'uas-errors.log')], cwd=work)
        time.sleep(0.3)
        before = ng_counts(ngport)
        left0 = set(ng.calls(ngport))
        shm0 = shm_used(ctl)
        t0 = time.monotonic()
        r = subprocess.run([
            'sipp', '-sf', os.path.join(HERE, 'uac.xml'), '-i', '127.0.0.1',
            '-p', str(uac_port), '127.0.0.1:%d' % kport, '-s', 'ue',
            '-m', str(calls), '-l', str(conc), '-r', '100000', '-rp', '1000',
            '-nostdin', '-timeout', '30s', '-timeout_error', '-trace_err',
            '-error_file', os.path.join(work, 'uac-errors.log'),
            '-trace_stat', '-stf', os.path.join(work, 'uac-stat.csv')],
            cwd=work, capture_output=True, timeout=300)
        elapsed = time.monotonic() - t0
        ok = r.returncode == 0
        time.sleep(0.5)
        left = set(ng.calls(ngport)) - left0
        after = ng_counts(ngport)
        shm1 = shm_used(ctl)
        # the AGW really did an offer, an answer and a delete per call
        want = 0 if define == 'MEDIA_NONE' else calls
        ng_ok = all(b - a == want for a, b in zip(before, after))
        return {'cps': calls / elapsed, 'elapsed': elapsed, 'ok': ok,
                'left': len(left), 'left_ids': sorted(left)[:3],
                'rc': r.returncode, 'ng_ok': ng_ok,
                'ng': [b - a for a, b in zip(before, after)],
                'shm': shm1 - shm0}
    finally:
        if uas is not None:
            group.stop(uas)
        group.stop(kam)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--calls', type=int, default=1000)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--conc', type=int, default=50)
    ap.add_argument('--only', help='run only this variant (e.g. eimsagw_ctl)')
    a = ap.parse_args()
    variants = [v for v in VARIANTS if not a.only or v[0] == a.only]
    build = os.environ.get('BUILD', os.path.join(TOP, 'build'))
    rundir = os.path.join(build, 'bench-agw')
    shutil.rmtree(rundir, ignore_errors=True)
    group = ProcessGroup(os.path.join(rundir, 'logs'))
    ngport = free_port('udp')
    rtpe = group.start('rtpengine', [
        'rtpengine', '--config-file=none', '--foreground', '--log-stderr',
        '--interface=127.0.0.1', '--table=-1', '--log-level=4',
        '--listen-ng=127.0.0.1:%d' % ngport, '--port-min=30000',
        '--port-max=59999'])
    results = {name: [] for name, _ in VARIANTS}
    try:
        end = time.monotonic() + 10
        while not ng.ping(ngport, timeout=0.3):
            if time.monotonic() > end or not rtpe.alive():
                raise RuntimeError('rtpengine did not start')
            time.sleep(0.1)
        print('bench-agw: %d calls per round, %d concurrent, %d rounds, '
              'kamailio children=2, rtpengine 10.5 userspace, %d CPUs'
              % (a.calls, a.conc, a.rounds, os.cpu_count()))
        for rnd in range(a.rounds):
            for name, define in variants:
                res = run_variant(group, rundir, define, ngport, a.calls,
                                  a.conc, '%s-%d' % (define.lower(), rnd))
                flag = '' if res['ok'] and not res['left'] and res['ng_ok'] \
                    else '  (INVALID: sipp rc %d, %d calls left at the AGW %s, '\
                    'ng offer/answer/delete %s)' % (res['rc'], res['left'],
                                                    res['left_ids'], res['ng'])
                print('  round %d  %-17s %7.1f calls/s  (%.2f s, shm %+d KB)%s'
                      % (rnd + 1, name, res['cps'], res['elapsed'],
                         res['shm'] // 1024, flag))
                if not flag:
                    results[name].append(res['cps'])
    finally:
        group.stop_all()
    print('median calls/s:')
    med = {}
    for name, _ in variants:
        v = results[name]
        med[name] = statistics.median(v) if v else float('nan')
        print('  %-17s %7.1f  (%d valid rounds)' % (name, med[name], len(v)))
    if 'eimsagw_ctl' in med and 'rtpengine.so' in med:
        print('bench-agw: eimsagw_ctl / rtpengine.so = %.2f '
              '(call setups per second, same flags, same run)'
              % (med['eimsagw_ctl'] / med['rtpengine.so']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
