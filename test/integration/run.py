#!/usr/bin/env python3
"""Integration test runner: real kamailio (eP-CSCF and test IMS core) and
rtpengine on 127.0.0.1, free ports, driven by real SIP clients.

Each test_*.py file here gets its own stack (started before its first test,
stopped after its last, also on failure); its test_* functions receive it.
A file may set STACK = {...} (keyword arguments for scripts/epc/stack.Stack).
Logs stay in build/test-logs/integration/<file>/ for reading.

Usage: run.py [-k SUBSTRING] [FILE...]
Ends with the line 'integration: N passed, N failed'.
"""
import argparse
import glob
import importlib.util
import os
import shutil
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from epc.stack import Stack  # noqa: E402

TEST_TIMEOUT = 120   # seconds per test function
BUILD = os.environ.get('BUILD', os.path.join(TOP, 'build'))


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout('test exceeded %d s' % TEST_TIMEOUT)


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return name, mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-k', default='', help='only tests whose name contains this')
    ap.add_argument('files', nargs='*')
    args = ap.parse_args()
    files = args.files or sorted(glob.glob(os.path.join(HERE, 'test_*.py')))
    logroot = os.path.join(BUILD, 'test-logs', 'integration')
    passed, failed, failures = 0, 0, []
    signal.signal(signal.SIGALRM, _alarm)
    # Ctrl-C / SIGTERM: unwind so every started process is stopped.
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))

    for path in files:
        fname, mod = load(path)
        tests = [(n, f) for n, f in sorted(vars(mod).items())
                 if n.startswith('test_') and callable(f) and args.k in n]
        if not tests:
            continue
        rundir = os.path.join(logroot, fname)
        shutil.rmtree(rundir, ignore_errors=True)
        stack = Stack(rundir, **getattr(mod, 'STACK', {}))
        try:
            stack.start()
        except Exception as e:
            for n, _ in tests:
                failed += 1
                failures.append('%s.%s' % (fname, n))
                print('FAIL %s.%s: stack did not start: %s' % (fname, n, e))
            stack.stop()
            continue
        try:
            for n, f in tests:
                t0 = time.monotonic()
                signal.alarm(TEST_TIMEOUT)
                try:
                    f(stack)
                    dead = [k for k, v in stack.alive().items() if not v]
                    if dead:
                        raise AssertionError('process died: %s' % ', '.join(dead))
                    passed += 1
                    print('PASS %s.%s (%.1fs)' % (fname, n, time.monotonic() - t0))
                except Exception:
                    failed += 1
                    failures.append('%s.%s' % (fname, n))
                    print('FAIL %s.%s (%.1fs)' % (fname, n, time.monotonic() - t0))
                    traceback.print_exc(file=sys.stdout)
                finally:
                    signal.alarm(0)
                sys.stdout.flush()
        finally:
            stack.stop()
    if failures:
        print('failed: ' + ', '.join(failures))
        print('logs: ' + logroot)
    print('integration: %d passed, %d failed' % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
