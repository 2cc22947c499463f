#!/usr/bin/env node
// Browser end to end (3GPP TS 23.228 Annex U, the user's whole journey):
// headless Chromium with a fake microphone loads the WebRTC IMS Client from
// the WWSF demo over HTTPS, registers over secure WebSocket through the
// eP-CSCF with a WWSF token (U.2.1.3: web login, TNA toward the core) and
// with IMS Digest credentials (U.2.1.2), and calls IMS UEs and another
// browser with media through the eIMS-AGW (rtpengine).
//
// The stack is the real one (test/e2e/stackd.py runs scripts/epc/stack.py
// with the setup of 'make run'): test IMS core, rtpengine, the eP-CSCF with
// our modules, the WWSF demo. Tests drive the page as a user does and assert
// what the page shows, what the browser's getStats() reports, what the IMS
// core and the IMS UE received and what rtpengine still holds.
//
// A screenshot of the WIC in each state goes to
// build/test-logs/browser/wic/screenshots/ (FAIL-* when a test failed).
// Call tests need the eimsagw_ctl module in the eP-CSCF (the media through
// the eIMS-AGW); without it they are reported as skipped.
// Ends with 'browser: N passed, N failed, N skipped'.
'use strict';

const fs = require('fs');
const path = require('path');
const { launch, available } = require('./lib/browser');
const { startStack } = require('./lib/stack');
const W = require('./lib/wic');

const TOP = path.resolve(__dirname, '..', '..');
const BUILD = process.env.BUILD || path.join(TOP, 'build');
const OUT = path.join(BUILD, 'test-logs', 'browser', 'wic');
const SHOTS = path.join(OUT, 'screenshots');
const ONLY = process.env.WIC_ONLY ? new RegExp(process.env.WIC_ONLY) : null;
// Lifetime of the WWSF demo's tokens in this run: short, so that the token
// refresh happens within the run (make run uses 600 s), but above the test
// core's minimum registration expiry (Kamailio registrar min_expires, 60 s),
// which it would otherwise grant instead of the capped one.
const TOKEN_TTL = 66;

const ctx = { st: null, b: null, pages: {} };
const results = [];

function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function shot(name, page) {
  return W.screenshot(page || ctx.pages.alice, SHOTS, name);
}

// ---- what the other side saw ----
async function coreRegisters(user, since) {
  const msgs = await ctx.st.call('sip', { name: 'ims-core', tag: 'rcv', method: 'REGISTER', since });
  return msgs.filter((m) => m.first.startsWith('REGISTER ')
    && m.headers.some(([n, v]) => /^to$/i.test(n) && v.includes(user.split('@')[0] + '@')));
}
async function mediaSessions() {
  return ctx.st.call('media_sessions');
}
async function noMediaLeft(what) {
  await W.until(async () => (await mediaSessions()).length === 0, 8000,
    `${what}: rtpengine still holds ${JSON.stringify(await mediaSessions())}`);
}
async function ue(user) {
  return ctx.st.call('ue_status', { user });
}
// A call test starts from no call: a test that failed before may have
// left one up (hang it up in the pages, a fresh IMS UE).
async function freshStart(ueUser) {
  for (const p of Object.values(ctx.pages)) {
    const s = await W.state(p);
    if (['calling', 'ringing', 'incoming', 'active'].includes(s.call)) {
      await p.click(s.call === 'incoming' ? '#decline' : '#hangup');
      await W.waitFor(p, 'call', ['ended', 'failed'], 10000).catch(() => {});
    }
    await p.evaluate(() => document.getElementById('error-close').click());
  }
  if (ueUser) await ctx.st.call('ue_register', { user: ueUser });
  await noMediaLeft('before the call');
}

// Media checks: the browser's inbound RTP (packets and audio level, from
// getStats() via the page) and the IMS UE's RTP from the AGW.
async function browserMediaFlows(page, who) {
  const s = await W.until(async () => {
    const x = (await W.state(page)).stats;
    return x && x.packetsReceived >= 50 && x.packetsSent >= 50 && x.maxAudioLevelIn > 0.01 && x;
  }, 15000, `${who}: inbound RTP with audio level in getStats()`, 500);
  return s;
}
async function ueMediaFlows(user) {
  const u = await W.until(async () => {
    const x = await ue(user);
    return x.rtp && x.rtp.rx >= 50 && x.rtp.rx_nonsilent > 0 && x;
  }, 15000, `${user}: RTP from the eIMS-AGW`, 500);
  // every packet came from the eIMS-AGW (rtpengine's port range), none
  // straight from the browser
  const [lo, hi] = ctx.st.info.rtp_range;
  for (const src of Object.keys(u.rtp.rx_from)) {
    const port = Number(src.split(':').pop());
    assert(src.startsWith('127.0.0.1:') && port >= lo && port <= hi,
      `${user} got RTP from ${src}, not from the eIMS-AGW's ports ${lo}-${hi}`);
  }
  return u;
}

// ---- tests ----
const tests = [];
function test(name, fn, opts = {}) { tests.push({ name, fn, opts }); }

test('token registration (U.2.1.3, web login) -> 200 OK, TNA toward the core', async () => {
  const p = ctx.pages.alice = await W.openWic(ctx.b, ctx.st.info.wwsf);
  await W.assertNoError(p, 'page load');
  await shot('token-page-signin', p);
  // a wrong web password: the WWSF refuses, the page says so
  await W.signInToken(p, 'alice', 'not-her-password');
  await W.waitFor(p, 'error', 'yes', 5000);
  const bad = await W.state(p);
  assert(bad.reg !== 'registered' && /Sign-in failed/.test(bad.error.title), JSON.stringify(bad));
  await shot('token-page-wrong-password', p);
  const since = Date.now() / 1000;
  await W.signInToken(p, 'alice', 'alice-web');
  const s = await W.waitFor(p, 'reg', ['registered', 'failed'], 15000);
  assert(s.reg === 'registered', `registration: ${JSON.stringify(s)}`);
  await W.assertNoError(p, 'after token registration');
  assert(s.auth === 'token' && s.impu === 'sip:alice@ims.test', JSON.stringify(s));
  await shot('token-registered', p);
  // the core got the REGISTER with the auth-done indication, no token
  const regs = await coreRegisters('alice@ims.test', since);
  assert(regs.length >= 1, 'the IMS core received no REGISTER for alice');
  const auth = regs[0].headers.filter(([n]) => /^authorization$/i.test(n)).map(([, v]) => v);
  assert(auth.length === 1 && /integrity-protected="?auth-done/.test(auth[0])
    && /username="alice@ims.test"/.test(auth[0]), `core's Authorization: ${auth}`);
  assert(!JSON.stringify(regs).includes('Bearer'), 'the token reached the IMS core');
});

test('digest registration (U.2.1.2, IMS credentials) -> 200 OK', async () => {
  const p = ctx.pages.bob = await W.openWic(ctx.b, ctx.st.info.wwsf_ims);
  await W.assertNoError(p, 'page load');
  await shot('ims-page-signin', p);
  // a wrong IMS password: the S-CSCF refuses, the page says so
  await W.registerIms(p, 'sip:bob@ims.test', 'bob@ims.test', 'wrong-pw');
  const bad = await W.waitFor(p, 'reg', ['registered', 'failed'], 15000);
  assert(bad.reg === 'failed' && bad.error && /Registration refused/.test(bad.error.title),
    JSON.stringify(bad));
  await shot('ims-wrong-password', p);
  const since = Date.now() / 1000;
  await W.registerIms(p, 'sip:bob@ims.test', 'bob@ims.test', 'bob-pw');
  const s = await W.waitFor(p, 'reg', ['registered', 'failed'], 15000);
  assert(s.reg === 'registered', `registration: ${JSON.stringify(s)}`);
  await W.assertNoError(p, 'after digest registration');
  assert(s.auth === 'digest', JSON.stringify(s));
  await shot('ims-registered', p);
  const regs = await coreRegisters('bob@ims.test', since);
  const auth = regs.map((m) => m.headers.filter(([n]) => /^authorization$/i.test(n))
    .map(([, v]) => v)).flat();
  assert(auth.some((v) => /^Digest /.test(v) && /username="bob@ims.test"/.test(v)
    && /response="[0-9a-f]{32}"/.test(v) && !/auth-done/.test(v)),
  `core's Authorization headers: ${auth}`);
});

test('a page from an origin not in the WWSF registry cannot open the WebSocket', async () => {
  // the same WIC, served from https://localhost:<port>: not a registered origin
  const url = ctx.st.info.wwsf_ims.replace('127.0.0.1', 'localhost');
  const p = ctx.pages.stranger = await W.openWic(ctx.b, url);
  // in the browser itself: a bare WebSocket never opens
  const raw = await p.evaluate((wss) => new Promise((resolve) => {
    const ws = new WebSocket(wss, 'sip');
    let opened = false;
    const t = setTimeout(() => resolve({ opened, code: 'timeout' }), 8000);
    ws.onopen = () => { opened = true; ws.close(); };
    ws.onclose = (e) => { clearTimeout(t); resolve({ opened, code: e.code }); };
  }), ctx.st.info.wss || `wss://127.0.0.1:${ctx.st.info.ports.epc_wss}`);
  assert(!raw.opened && raw.code === 1006, `raw WebSocket: ${JSON.stringify(raw)}`);
  // and the WIC shows why it cannot register
  await W.registerIms(p, 'sip:carol@ims.test', 'carol@ims.test', 'carol-pw');
  const s = await W.waitFor(p, 'conn', 'failed', 15000);
  assert(s.wsOpened === 0 && s.reg !== 'registered', JSON.stringify(s));
  assert(s.error && /No connection to the eP-CSCF/.test(s.error.title), JSON.stringify(s.error));
  await shot('foreign-origin-refused', p);
  const log = await ctx.st.call('log', { name: 'ep-cscf' });
  assert(log.includes(`refused: Origin not allowed (Origin: ${new URL(url).origin})`),
    'the eP-CSCF did not log the refused Origin');
  await p.click('#unregister');
  await W.closeWic(p);
  delete ctx.pages.stranger;
});

test('call browser -> IMS UE: audio both ways through the eIMS-AGW, browser hangs up', async () => {
  const p = ctx.pages.alice;
  await freshStart('dave');
  // dave rings 1.5 s before answering, as people do
  await ctx.st.call('ue_answer', { user: 'dave', ring_ms: 1500 });
  await W.dial(p, 'sip:dave@ims.test');
  await W.waitFor(p, 'call', 'ringing', 10000);
  await shot('call-to-ims-ue-ringing', p);
  const s = await W.waitFor(p, 'call', ['active', 'failed', 'ended'], 20000);
  assert(s.call === 'active', `call: ${JSON.stringify(s)}`);
  const bs = await browserMediaFlows(p, 'alice');
  const us = await ueMediaFlows('dave');
  await W.assertNoError(p, 'in call');
  assert((await mediaSessions()).length === 1, 'rtpengine should hold one call');
  await shot('call-to-ims-ue-active', p);
  console.log(`  alice getStats: ${bs.packetsReceived} packets in, ${bs.packetsSent} out, `
    + `max audio level ${bs.maxAudioLevelIn.toFixed(3)}, ${bs.codec}, ${bs.path}`);
  console.log(`  dave RTP: ${us.rtp.rx} packets from ${Object.keys(us.rtp.rx_from)} `
    + `(${us.rtp.rx_nonsilent} with audio), ${us.rtp.tx} sent`);
  await p.click('#hangup');
  await W.waitFor(p, 'call', 'ended', 10000);
  const u = await W.until(async () => { const x = await ue('dave'); return x.state === 'ended' && x; },
    10000, 'dave sees the BYE');
  assert(u.ended_by === 'remote', JSON.stringify(u));
  await W.assertNoError(p, 'after hang-up');
  await noMediaLeft('after the browser hung up');
  await shot('call-to-ims-ue-ended', p);
}, { agw: true });

test('call IMS UE -> browser: answered in the page, IMS UE hangs up', async () => {
  const p = ctx.pages.alice;
  await freshStart('dave');
  await ctx.st.call('ue_call', { user: 'dave', target: 'sip:alice@ims.test' });
  await W.waitFor(p, 'call', 'incoming', 15000);
  await shot('call-from-ims-ue-incoming', p);
  await p.click('#answer');
  const s = await W.waitFor(p, 'call', ['active', 'failed', 'ended'], 15000);
  assert(s.call === 'active', `call: ${JSON.stringify(s)}`);
  await W.until(async () => (await ue('dave')).state === 'active', 10000, 'dave in call');
  const bs = await browserMediaFlows(p, 'alice');
  const us = await ueMediaFlows('dave');
  await W.assertNoError(p, 'in call');
  assert((await mediaSessions()).length === 1, 'rtpengine should hold one call');
  await shot('call-from-ims-ue-active', p);
  console.log(`  alice getStats: ${bs.packetsReceived} in, max level ${bs.maxAudioLevelIn.toFixed(3)}; `
    + `dave RTP: ${us.rtp.rx} in`);
  await ctx.st.call('ue_hangup', { user: 'dave' });
  await W.waitFor(p, 'call', 'ended', 10000);
  const u = await W.until(async () => { const x = await ue('dave'); return x.state === 'ended' && x; },
    10000, 'dave BYE answered');
  assert(u.bye_status === 200, JSON.stringify(u));
  await W.assertNoError(p, 'after remote hang-up');
  await noMediaLeft('after the IMS UE hung up');
  await shot('call-from-ims-ue-ended', p);
}, { agw: true });

test('call browser <-> browser through eP-CSCF and IMS core (token WIC calls digest WIC)', async () => {
  const a = ctx.pages.alice;
  const b = ctx.pages.bob;
  await freshStart(null);
  await W.dial(a, 'sip:bob@ims.test');
  await W.waitFor(b, 'call', 'incoming', 15000);
  await shot('browser-call-incoming', b);
  await b.click('#answer');
  const sa = await W.waitFor(a, 'call', ['active', 'failed', 'ended'], 15000);
  const sb = await W.waitFor(b, 'call', ['active', 'failed', 'ended'], 15000);
  assert(sa.call === 'active' && sb.call === 'active', `alice ${sa.call}, bob ${sb.call}`);
  const ma = await browserMediaFlows(a, 'alice');
  const mb = await browserMediaFlows(b, 'bob');
  await W.assertNoError(a, 'alice in call');
  await W.assertNoError(b, 'bob in call');
  await shot('browser-call-active-caller', a);
  await shot('browser-call-active-callee', b);
  console.log(`  alice: ${ma.packetsReceived} in (level ${ma.maxAudioLevelIn.toFixed(3)}); `
    + `bob: ${mb.packetsReceived} in (level ${mb.maxAudioLevelIn.toFixed(3)})`);
  await b.click('#hangup');
  await W.waitFor(a, 'call', 'ended', 10000);
  await W.waitFor(b, 'call', 'ended', 10000);
  await W.assertNoError(a, 'alice after hang-up');
  await W.assertNoError(b, 'bob after hang-up');
  await noMediaLeft('after the callee hung up');
  await shot('browser-call-ended', a);
}, { agw: true });

test('token refresh: the WIC re-registers with a new token before the first expires', async () => {
  // the stack's tokens live TOKEN_TTL s and the eP-CSCF caps the
  // registration at that: before it runs out the WIC fetches a new token
  // from the WWSF and re-registers with it (TNA again at the core)
  const p = ctx.pages.alice;
  const first = (await W.state(p)).token;
  await W.until(async () => p.evaluate(() => window.wic.events.some(
    (e) => e.startsWith('refreshing the registration with a new token'))),
  (TOKEN_TTL + 5) * 1000, 'a registration refresh with a new token', 500);
  const t = Date.now() / 1000;
  assert(t < first.exp, 'the refresh came after the first token expired');
  // the eP-CSCF got the new token from the WIC, relayed the REGISTER with
  // auth-done and the core's 200 OK back
  const w2 = await W.until(async () => {
    const m = await ctx.st.call('sip', { name: 'ep-cscf', tag: 'rcv', method: 'REGISTER', since: ctx.t0 / 1000 });
    const bearers = m.filter((x) => x.first.startsWith('REGISTER ') && JSON.stringify(x.headers).includes('alice@'))
      .map((x) => x.headers.filter(([n, v]) => /^authorization$/i.test(n) && /^Bearer /.test(v)).map(([, v]) => v)[0]);
    const oks = m.filter((x) => x.first.startsWith('SIP/2.0 200') && JSON.stringify(x.headers).includes('alice@'));
    return new Set(bearers).size >= 2 && oks.length >= 2 && { n: bearers.length, oks: oks.length };
  }, 10000, 'the refresh REGISTER with a second token and its 200 OK');
  const regs = await coreRegisters('alice@ims.test', ctx.t0 / 1000);
  assert(regs.length >= 2 && regs.every((m) => JSON.stringify(m.headers).includes('auth-done')),
    `the core saw ${regs.length} auth-done REGISTERs of alice`);
  const s = await W.assertNoError(p, 'after the refresh');
  assert(s.reg === 'registered' && s.token.exp > first.exp, JSON.stringify(s));
  console.log(`  refreshed ${(t - first.iat).toFixed(0)} s after sign-in, ${(first.exp - t).toFixed(0)} s `
    + `before the first token's expiry; ${w2.n} REGISTERs with 2 tokens`);
  await shot('token-refreshed', p);
});

test('unregister from the page (both WICs)', async () => {
  for (const [who, p] of Object.entries(ctx.pages)) {
    const s = await W.state(p);
    if (s.reg !== 'registered') continue;
    await p.click('#unregister');
    await W.waitFor(p, 'reg', 'unregistered', 10000);
    await W.assertNoError(p, `${who} after unregister`);
  }
  if (ctx.pages.alice) await shot('signed-out', ctx.pages.alice);
});

// ---- runner ----
async function main() {
  if (!available('chromium')) {
    console.log('chromium is not installed');
    console.log('browser: 0 passed, 1 failed');
    return 1;
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const t0 = Date.now();
  let pass = 0;
  let fail = 0;
  let skip = 0;
  try {
    ctx.t0 = Date.now();
    ctx.st = await startStack({ rundir: path.join(OUT, 'stack'), tokens: true, tokenTtl: TOKEN_TTL });
    ctx.st.info.wss = `wss://127.0.0.1:${ctx.st.info.ports.epc_wss}`;
    console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs: ${ctx.st.info.logdir}); `
      + `eIMS-AGW control (eimsagw_ctl): ${ctx.st.info.agw ? 'yes' : 'NO - call tests skipped'}`);
    ctx.b = await launch({ kind: 'chromium', args: W.chromiumArgs(ctx.st.info) });
    console.log(`browser: ${ctx.b.version}`);
    for (const t of tests) {
      if (ONLY && !ONLY.test(t.name)) continue;
      if (t.opts.agw && !ctx.st.info.agw) {
        skip++;
        console.log(`SKIP ${t.name} (no eimsagw_ctl in this eP-CSCF: no media through the eIMS-AGW)`);
        continue;
      }
      const t1 = Date.now();
      try {
        await t.fn();
        pass++;
        console.log(`PASS ${t.name} (${((Date.now() - t1) / 1000).toFixed(1)} s)`);
      } catch (e) {
        fail++;
        console.log(`FAIL ${t.name}: ${e.stack || e}`);
        for (const [who, p] of Object.entries(ctx.pages)) {
          try {
            const f = await shot(`FAIL-${who}`, p);
            console.log(`  screenshot ${f}`);
            for (const l of p.__console.slice(-15)) console.log(`  [${who} console] ${l}`);
          } catch (e2) { /* page gone */ }
        }
        const alive = await ctx.st.call('alive').catch(() => ({}));
        if (Object.values(alive).some((x) => !x)) console.log(`  stack processes: ${JSON.stringify(alive)}`);
      }
    }
  } catch (e) {
    fail++;
    console.log(`FAIL setup: ${e.stack || e}`);
  } finally {
    for (const p of Object.values(ctx.pages)) await W.closeWic(p);
    if (ctx.b) await ctx.b.close();
    if (ctx.st) await ctx.st.stop();
  }
  console.log(`screenshots: ${SHOTS}`);
  console.log(`wic: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`browser: ${pass} passed, ${fail} failed, ${skip} skipped`);
  return fail ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
  console.log(`FAIL runner: ${e.stack || e}`);
  console.log('browser: 0 passed, 1 failed');
  process.exit(1);
});
