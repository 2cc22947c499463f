// The real eP-CSCF stack for browser end-to-end tests: starts
// test/e2e/stackd.py (which runs scripts/epc/stack.py: IMS core, rtpengine,
// eP-CSCF, WWSF demo) as a child process and talks to it with one JSON
// object per line. Every request has a bound; stop() ends the daemon (which
// stops every stack process by pid) and kills it by pid if it lingers.
//
//   const { startStack } = require('./lib/stack');
//   const st = await startStack({ rundir, tokens: true });
//   st.info.wwsf                  // https://127.0.0.1:<port>/ (the WIC)
//   await st.call('ue_register', { user: 'dave' });
//   await st.stop();
'use strict';

const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');

const STACKD = path.join(__dirname, '..', 'stackd.py');

/**
 * opts: { rundir, tokens (the 'make run' setup), tokenTtl (s), debug,
 * startMs }.
 * Resolves with { info, call(cmd, args, ms), stop(), pid }.
 */
function startStack(opts) {
  const argv = [STACKD, '--rundir', opts.rundir];
  if (opts.tokens) argv.push('--tokens');
  if (opts.debug) argv.push('--debug', String(opts.debug));
  if (opts.tokenTtl) argv.push('--token-ttl', String(opts.tokenTtl));
  const child = spawn('python3', argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const pending = new Map();
  let next = 1;
  let exited = false;
  let readyResolve;
  let readyReject;
  const ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
  const exit = new Promise((res) => child.on('exit', (code) => { exited = true; res(code); }));

  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let m;
    try { m = JSON.parse(line); } catch (e) { return; }
    if (m.event === 'ready') readyResolve(m);
    else if (m.event === 'error') readyReject(new Error('stack did not start: ' + m.error));
    else if (m.id && pending.has(m.id)) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${p.cmd}: ${m.error}`));
    }
  });
  exit.then((code) => {
    readyReject(new Error('stackd exited with ' + code + ' before it was ready'));
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.cmd}: stackd exited (${code})`));
    }
    pending.clear();
  });

  function call(cmd, args, ms = 15000) {
    if (exited) return Promise.reject(new Error(`${cmd}: stackd is gone`));
    const id = next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${cmd}: no answer from stackd in ${ms} ms`));
      }, ms);
      pending.set(id, { resolve, reject, timer, cmd });
      child.stdin.write(JSON.stringify({ id, cmd, args: args || {} }) + '\n');
    });
  }

  async function stop() {
    if (exited) return;
    try {
      await call('stop', {}, 5000);
    } catch (e) { /* it may already be going */ }
    child.stdin.end();
    const t = setTimeout(() => {
      // the daemon should have stopped the stack by now; last resort
      try { process.kill(child.pid, 'SIGTERM'); } catch (e) { /* gone */ }
    }, 30000);
    const t2 = setTimeout(() => {
      try { process.kill(child.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }, 45000);
    await exit;
    clearTimeout(t);
    clearTimeout(t2);
  }

  const startMs = opts.startMs || 60000;
  let startTimer;
  const bound = new Promise((_, rej) => {
    startTimer = setTimeout(() => rej(new Error(`stack not ready in ${startMs} ms`)), startMs);
  });
  return Promise.race([ready, bound]).then((info) => {
    clearTimeout(startTimer);
    return { info, call, stop, pid: child.pid };
  }, async (e) => {
    clearTimeout(startTimer);
    try { process.kill(child.pid, 'SIGTERM'); } catch (e2) { /* gone */ }
    await Promise.race([exit, new Promise((r) => setTimeout(r, 30000))]);
    if (!exited) { try { process.kill(child.pid, 'SIGKILL'); } catch (e2) { /* gone */ } }
    throw e;
  });
}

module.exports = { startStack };
