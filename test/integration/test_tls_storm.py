"""WSS reconnect storms with several TCP workers (issue 12, doc/tls-storm.md).

When a network blip drops the browsers they all reconnect at once: hundreds
of TLS + WebSocket handshakes in parallel, then REGISTERs. With Debian's
Kamailio 5.6.3 + OpenSSL 3 and more than one TCP worker this corrupted
shared memory (qm_free BUG lines, a worker killed by SIGSEGV) until
tls_guard released OpenSSL's per-thread state before every fork.

Each test storms the eP-CSCF in rounds (test/bench/wsload: all connections
opened at once, a few REGISTERs each, closed cleanly or by TCP RST), and
checks after every round: every handshake completed (or was refused
cleanly), every REGISTER got a final response, no CRITICAL/BUG/ALERT line
in the log, the same worker processes as before, shared memory back to its
baseline once the connections are gone, and a WIC can still register.
"""
import os
import re
import time

from epc import testkit, wsload
from epc.stack import Stack

# shm sized for the storm: ~170 KB per WSS connection with 5.6.3, plus the
# REGISTER transactions tm keeps for its wait timer (doc/tls-storm.md).
# Every browser of the storm is 127.0.0.1 here: pike's flood protection
# would block it, so it is off (65535: pike's counters saturate below it).
NO_PIKE = {'EPC_PIKE_REQS': 65535}
STACK = {'tcp_children': 2, 'epc_shm_mb': 256, 'epc_defines': NO_PIKE}

ROUNDS = 3
CONNS = 300          # opened in parallel in every round
REQUESTS = 3         # REGISTERs per connection per round
SHM_SLACK = 32 * 1024    # bytes; a leak of 40 B/connection exceeds it
BAD_LOG = re.compile(r'\b(CRITICAL|ALERT)\b|BUG:')


def _shm(stack):
    out = stack.kamcmd('ep-cscf', 'core.shmmem')
    return int(re.search(r'real_used:\s*(\d+)', out).group(1))


def _idle(stack):
    """No TCP connection, WebSocket connection or transaction left."""
    tcp = stack.kamcmd('ep-cscf', 'core.tcp_info')
    tm = stack.kamcmd('ep-cscf', 'tm.stats')
    ws = stack.kamcmd('ep-cscf', 'stats.get_statistics',
                      'ws_current_connections')
    return (int(re.search(r'opened_connections:\s*(\d+)', tcp).group(1)) == 0
            and int(re.search(r'current:\s*(\d+)', tm).group(1)) == 0
            and int(re.search(r'=\s*(\d+)', ws).group(1)) == 0)


def _settle(stack, timeout=40.0):
    """Wait until the eP-CSCF has freed what the last round used and shm
    stops moving; returns real_used. tm keeps a transaction 5 s (wait
    timer), the TCP main process reaps closed connections, the websocket
    timer frees a closed WebSocket 5 s after it noticed (rm_delay_interval)
    and counts it down only then."""
    end = time.monotonic() + timeout
    last, same = None, 0
    while time.monotonic() < end:
        if _idle(stack):
            now = _shm(stack)
            same = same + 1 if now == last else 0
            last = now
            if same >= 2:
                return now
        time.sleep(0.5)
    raise AssertionError('eP-CSCF not idle %.0f s after the round: %s %s' % (
        timeout, stack.kamcmd('ep-cscf', 'core.tcp_info'),
        stack.kamcmd('ep-cscf', 'core.shmmem')))


def _workers(stack, want=None, timeout=10.0):
    """PIDs of the TCP workers. The control socket answers before the main
    process has forked every worker: with want, wait for that many."""
    end = time.monotonic() + timeout
    while True:
        out = stack.kamcmd('ep-cscf', 'core.psx')
        pids = sorted(int(m.group(1)) for m in re.finditer(
            r'PID:\s*(\d+)\s*\n\s*DSC:\s*tcp receiver', out))
        if want is None or len(pids) >= want or time.monotonic() > end:
            return pids
        time.sleep(0.2)


def _bad_lines(stack):
    return [l for l in stack.log('ep-cscf').splitlines() if BAD_LOG.search(l)]


def _register_one(stack):
    """After the storm a WIC still registers (401, Digest, 200)."""
    testkit.close_all(testkit.registered_wic(stack))


def _storm(stack, workers):
    wsload.build()
    tag = 'tcp_children=%d' % workers
    pids = _workers(stack, workers)
    assert len(pids) == workers, (tag, pids)
    port = stack.ports['epc_wss']
    # warm-up: every process creates its own OpenSSL state and caches once
    origin = stack.wwsf_origin     # a WWSF the registry trusts
    rc, res, err = wsload.run(port, conns=100, requests=1, origin=origin,
                              cafile=stack.cafile, timeout=60)
    assert res and wsload.unclean(res[-1]) == 0, (tag, rc, res, err)
    base = _settle(stack)
    for rnd in range(1, ROUNDS + 1):
        close = 'clean' if rnd % 2 else 'abrupt'
        rc, res, err = wsload.run(port, conns=CONNS, requests=REQUESTS,
                                  origin=origin, cafile=stack.cafile,
                                  close=close, timeout=60, verbose=True)
        assert res, (tag, rc, err)
        r = res[0]
        print('  %s round %d (%s close): %d/%d handshakes ok, %d refused, '
              '%d unclean, %d/%d REGISTERs answered, handshake p50/max '
              '%d/%d ms' % (tag, rnd, close, r['ok'], CONNS,
                            wsload.refused(r), wsload.unclean(r),
                            r['answered'], r['sent'], r['hs_p50_ms'],
                            r['hs_max_ms']))
        bad = _bad_lines(stack)
        assert not bad, '%s round %d:\n%s' % (tag, rnd, '\n'.join(bad[:10]))
        assert wsload.unclean(r) == 0, (tag, rnd, r, err[-2000:])
        # nothing was refused either: 256 MB of shm is enough for the storm
        assert r['ok'] == CONNS, (tag, rnd, r, err[-2000:])
        assert r['answered'] == r['sent'] == CONNS * REQUESTS, (tag, rnd, r)
        assert _workers(stack) == pids, (tag, rnd, 'worker restarted')
        used = _settle(stack)
        print('  %s round %d: shm real_used %d (baseline %d, %+d)' % (
            tag, rnd, used, base, used - base))
        assert used <= base + SHM_SLACK, (tag, rnd, used, base)
    _register_one(stack)
    status = stack.kamcmd('ep-cscf', 'tls_guard.status')
    assert re.search(r'children_shared:\s*0\b', status), status
    assert re.search(r'children_clean:\s*[1-9]', status), status


def test_storm_2_tcp_workers(stack):
    _storm(stack, 2)


def test_storm_4_tcp_workers(stack):
    s4 = Stack(os.path.join(stack.rundir, 'tcp4'), tcp_children=4,
               epc_shm_mb=STACK['epc_shm_mb'], epc_defines=NO_PIKE)
    try:
        s4.start()
        _storm(s4, 4)
        dead = [k for k, v in s4.alive().items() if not v]
        assert not dead, 'process died: %s' % ', '.join(dead)
    finally:
        s4.stop()


def test_tls_guard_reports_itself(stack):
    """The module says what it does, in the log and over RPC."""
    log = stack.log('ep-cscf')
    assert re.search(r'INFO: tls_guard .*tls_guard [0-9.]+ initialised: '
                     r'OpenSSL 3\.\S+ .*in shared memory: '
                     r'per-thread state released before every fork', log), \
        log[-3000:]
    status = stack.kamcmd('ep-cscf', 'tls_guard.status')
    for want in (r'mode:\s*1\b', r'shared_memory:\s*1\b', r'active:\s*1\b',
                 r'locks_shared:\s*1\b', r'forks:\s*[1-9]'):
        assert re.search(want, status), (want, status)
    # Debian's kamailio makes OpenSSL's locks process-shared: no warning
    assert 'OpenSSL\'s locks in shared memory are private' not in log
