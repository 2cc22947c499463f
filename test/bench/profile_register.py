#!/usr/bin/env python3
"""Where a REGISTER's CPU goes: perf profiles of the REGISTER benchmark's
variants (test/bench/suite.py, section 2), the same stacks and load, one
variant at a time, and a summary of the inclusive share of the functions
that matter (script functions, tm, the allocator, the signature check).

  python3 test/bench/profile_register.py [--seconds 4] [VARIANT ...]

VARIANT: stock, modules, modules-full, ep-cscf, digest (default: the first
four). Needs perf (linux-perf) and the right to profile the processes this
script starts (root, or kernel.perf_event_paranoid <= 1). perf.data files
stay under build/profile-*/ for 'perf report -i'.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

# inclusive shares reported for each variant
FUNCS = ('receive_msg', 'run_top_route', 't_relay_to', 't_newtran',
         'ki_add_path', 'ki_wwsf_verify', 'wwsf_key_verify',
         'ki_wwsf_tna_forward', 'ki_wwsf_strip', 'pv_get_wwsf',
         'sanity_check', 'tls_h_read_f', 'qm_malloc', 'qm_free')


def stacks(data):
    out = subprocess.run(['perf', 'script', '-i', data], capture_output=True,
                         text=True).stdout
    res, cur = [], None
    for line in out.splitlines():
        if line and not line[0].isspace():
            if cur is not None:
                res.append(cur)
            cur = []
            continue
        m = re.match(r'\s*\S+ (\S+?)(\+0x[0-9a-f]+)? \((.*)\)', line)
        if m and cur is not None:
            f = m.group(1)
            cur.append(f if f != '[unknown]'
                       else '?' + os.path.basename(m.group(3)))
    if cur:
        res.append(cur)
    return res


def summary(key, data, cpu, done, rate):
    st = stacks(data)
    n = max(1, len(st))
    us = 1e6 * cpu / max(1, done)
    suite.log('== %s: %d samples, %.0f REGISTER/s, relay CPU %.0f us per '
              'REGISTER (as in suite.py)' % (key, len(st), rate, us))
    for f in FUNCS:
        c = sum(1 for s in st if f in s)
        if c:
            suite.log('   %-22s %5.1f%%  ~%5.1f us' % (f, 100.0 * c / n,
                                                      us * c / n))
    leaf = collections.Counter(s[0] for s in st if s)
    suite.log('   self: ' + ', '.join('%s %.1f%%' % (a, 100.0 * b / n)
                                      for a, b in leaf.most_common(6)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seconds', type=float, default=4)
    ap.add_argument('variants', nargs='*',
                    default=['stock', 'modules', 'modules-full', 'ep-cscf'])
    a = ap.parse_args()
    if not shutil.which('perf'):
        sys.exit('perf missing (apt-get install linux-perf)')
    root = tempfile.mkdtemp(prefix='profile-', dir=suite.BUILD)
    s = suite.rate_stack(root, 6000)
    try:
        stock = suite.start_relay(s, 'stock', False, 1024)
        mods = suite.start_relay(s, 'stock-modules', True, 1024)
        full = suite.start_relay(s, 'stock-modules-full', True, 1024,
                                 verify_memo=0)
        vs = {v.key: v for v in suite.variants(s, stock, mods, full)}
        for key in a.variants:
            v = vs[key]
            pids = suite.kam_pids(s, v.ctl)
            data = os.path.join(root, 'perf-%s.data' % key)
            p = subprocess.Popen(
                ['perf', 'record', '-F', '299', '--call-graph', 'dwarf,16384',
                 '-o', data, '-p', ','.join(map(str, pids))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(1)
                m = suite.measure(s, v, pids, suite.kam_pids(s, 'ims-core'),
                                  duration=a.seconds)
            finally:
                p.send_signal(2)
                p.wait(timeout=120)
            r = m['r'] or {}
            summary(key, data, m['cpu']['relay'], r.get('ops_ok', 0),
                    r.get('ops_rate', 0))
            suite.log('   perf report -i %s' % suite.rel(data))
    finally:
        s.stop()


if __name__ == '__main__':
    main()
