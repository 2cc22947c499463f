#!/usr/bin/env node
// Browser check of sdp_unbundle: what the module sends toward the browser
// (W2) must be accepted by a real browser's setRemoteDescription.
//
// For each browser (Debian's Chromium; Firefox ESR when installed), each
// bundle policy and each media mix:
//   1. the browser makes a real offer (ICE gathering completed);
//   2. sdpu_cli mw-offer turns it into the IMS-side offer (+ the offer map);
//      asserted: no WebRTC-only attribute, RTP/AVP, the expected m-lines;
//   3. the media gateway's answer is simulated by a second peer connection
//      answering the offer unbundled (each m-line its own transport), cut
//      to the m-lines that went to IMS and stripped of mid / rtcp-mux /
//      BUNDLE (what an IMS answer through an AGW without BUNDLE looks like);
//   4. sdpu_cli w2-answer restores the browser's offer shape with the map;
//      asserted: same m-lines in order, the offer's mids, port 0 for what
//      was not sent to IMS;
//   5. the offering browser accepts it (setRemoteDescription answer).
// And the W2 offer direction: a browser offer stripped of mid/rtcp-mux, run
// through sdpu_cli w2-offer, is accepted by a browser as a remote offer.
//
// Prints one line per case and ends with 'browser: N passed, N failed'.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch, available } = require('./lib/browser');
const w = require('./lib/webrtc');

const TOP = path.resolve(__dirname, '..', '..');
const CLI = process.env.SDPU_CLI || path.join(process.env.BUILD || path.join(TOP, 'build'), 'bench', 'sdpu_cli');
const POLICIES = ['balanced', 'max-compat', 'max-bundle'];
const MIXES = {
  a: { audio: true, video: 0, data: false },
  av: { audio: true, video: 1, data: false },
  av2: { audio: true, video: 2, data: false },
  ad: { audio: true, video: 0, data: true },
  avd: { audio: true, video: 1, data: true },
};
const WEBRTC_ONLY = ['group', 'bundle-only', 'mid', 'rtcp-mux', 'rtcp-mux-only',
  'rtcp-rsize', 'ice-ufrag', 'ice-pwd', 'ice-options', 'candidate',
  'end-of-candidates', 'fingerprint', 'setup', 'tls-id', 'extmap',
  'extmap-allow-mixed', 'msid', 'msid-semantic', 'ssrc', 'ssrc-group',
  'sctp-port', 'max-message-size'];

// ---- SDP structure helpers (deliberately independent of the C code) ----
function parse(sdp) {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const session = [];
  const media = [];
  for (const l of lines) {
    if (l.startsWith('m=')) media.push([l]);
    else if (media.length) media[media.length - 1].push(l);
    else session.push(l);
  }
  return { eol, session, media };
}
function print(s) {
  return [...s.session, ...s.media.flat()].join(s.eol) + s.eol;
}
function mfields(sec) {
  const [media, port, proto, ...fmts] = sec[0].slice(2).split(' ');
  return { media, port: parseInt(port, 10), proto, fmts };
}
function attrs(lines, name) {
  return lines.filter((l) => l === `a=${name}` || l.startsWith(`a=${name}:`))
    .map((l) => (l.includes(':') ? l.slice(l.indexOf(':') + 1) : ''));
}

function cli(mode, inSdp, mapIn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdpu-'));
  try {
    const i = path.join(dir, 'in.sdp');
    const o = path.join(dir, 'out.sdp');
    const m = path.join(dir, 'map');
    fs.writeFileSync(i, inSdp);
    if (mapIn !== undefined) fs.writeFileSync(m, mapIn);
    const args = [mode, i, o];
    if (mode === 'mw-offer' || mode === 'w2-answer') args.push(m);
    const stats = JSON.parse(execFileSync(CLI, args, { encoding: 'utf8', timeout: 5000 }));
    return { sdp: fs.readFileSync(o, 'utf8'), map: fs.existsSync(m) ? fs.readFileSync(m, 'utf8') : '', stats };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---- the cases ----
async function answerCase(page, kind, policy, mixName) {
  const mix = MIXES[mixName];
  const off = await w.createOffer(page, Object.assign({ bundlePolicy: policy }, mix));
  assert(off.complete, 'ICE gathering did not complete');
  const offer = parse(off.sdp);
  const mids = offer.media.map((sec) => attrs(sec, 'mid')[0]);

  // 2. toward IMS
  const mw = cli('mw-offer', off.sdp);
  const mws = parse(mw.sdp);
  for (const a of WEBRTC_ONLY) {
    assert(attrs(mws.session.concat(mws.media.flat()), a).length === 0, `a=${a} toward IMS`);
  }
  for (const sec of mws.media) assert(mfields(sec).proto === 'RTP/AVP', 'proto toward IMS');
  const removed = mw.map.split(';').slice(1, -1).map((e) => (parseInt(e.split(',')[0], 10) & 1) === 1);
  assert(removed.length === offer.media.length, 'map covers every m-line');
  assert(mws.media.length === removed.filter((r) => !r).length, 'm-lines toward IMS = kept ones');
  assert(!removed[0], 'the first (tagged) m-line always goes to IMS');
  offer.media.forEach((sec, i) => {
    const f = mfields(sec);
    if (f.media === 'application') assert(removed[i], 'data channel not sent to IMS');
  });
  if (policy === 'max-bundle') assert(removed.every((r, i) => (i === 0) !== r), 'max-bundle: only the first m-line can go to IMS');

  // 3. simulated AGW answer: unbundled answer, cut to what went to IMS
  const unbundledOffer = print({ eol: offer.eol, session: offer.session.filter((l) => !l.startsWith('a=group:BUNDLE')), media: offer.media });
  const ans = await w.createAnswer(page, unbundledOffer, Object.assign({ bundlePolicy: 'balanced' }, mix));
  const a = parse(ans.sdp);
  const strip = (l) => !(l.startsWith('a=mid:') || l === 'a=rtcp-mux' || l === 'a=bundle-only' || l.startsWith('a=group:BUNDLE'));
  const agw = { eol: a.eol, session: a.session.filter(strip), media: a.media.filter((_, i) => !removed[i]).map((sec) => sec.filter(strip)) };

  // 4. back toward the browser
  const w2 = cli('w2-answer', print(agw), mw.map);
  const r = parse(w2.sdp);
  assert(r.media.length === offer.media.length, 'every m-line of the offer answered');
  r.media.forEach((sec, i) => {
    const f = mfields(sec);
    assert(f.media === mfields(offer.media[i]).media, `m-line ${i} media type`);
    assert(attrs(sec, 'mid')[0] === mids[i], `m-line ${i} mid`);
    if (removed[i]) assert(f.port === 0, `m-line ${i} rejected with port 0`);
    else if (f.media !== 'application') assert(attrs(sec, 'rtcp-mux').length === 1, `m-line ${i} rtcp-mux`);
  });
  // 5. the browser's verdict
  const v = await w.setRemote(page, off.id, 'answer', w2.sdp);
  await w.closePc(page, off.id);
  await w.closePc(page, ans.id);
  assert(v.ok, `setRemoteDescription(answer) rejected: ${v.error}`);
  return `${removed.filter((x) => x).length} rejected`;
}

async function offerCase(page, kind, mixName) {
  const mix = MIXES[mixName];
  const off = await w.createOffer(page, Object.assign({ bundlePolicy: 'balanced' }, mix));
  const o = parse(off.sdp);
  const strip = (l) => !(l.startsWith('a=mid:') || l === 'a=rtcp-mux' || l.startsWith('a=group:BUNDLE'));
  const bare = { eol: o.eol, session: o.session.filter(strip), media: o.media.map((sec) => sec.filter(strip)) };
  const out = cli('w2-offer', print(bare));
  const r = parse(out.sdp);
  assert(r.media.length === o.media.length, 'm-line count');
  r.media.forEach((sec, i) => {
    assert(attrs(sec, 'mid').length === 1, `m-line ${i} has a mid`);
    const f = mfields(sec);
    if (f.media !== 'application' && (f.port !== 0 || attrs(sec, 'bundle-only').length)) assert(attrs(sec, 'rtcp-mux').length === 1, `m-line ${i} rtcp-mux`);
  });
  await w.closePc(page, off.id);
  const ans = await w.createAnswer(page, out.sdp, Object.assign({ bundlePolicy: 'balanced' }, mix));
  await w.closePc(page, ans.id);
  assert(ans.sdp.startsWith('v=0'), 'browser answered');
  return 'accepted as remote offer';
}

async function main() {
  const deadline = Date.now() + 240000;
  let passed = 0;
  let failed = 0;
  if (!fs.existsSync(CLI)) {
    console.log(`FAIL no ${CLI} (make -C test/bench tools)`);
    console.log('browser: 0 passed, 1 failed');
    process.exit(1);
  }
  const kinds = (process.env.EPC_BROWSERS || 'chromium,firefox').split(',');
  for (const kind of kinds) {
    if (!available(kind)) {
      console.log(`SKIP ${kind}: not installed`);
      continue;
    }
    let b;
    try {
      b = await launch({ kind });
    } catch (e) {
      console.log(`FAIL ${kind}: launch: ${e.message}`);
      failed++;
      continue;
    }
    const cases = [];
    for (const p of POLICIES) for (const m of Object.keys(MIXES)) cases.push([`${kind} answer ${p} ${m}`, () => answerCase(b.page, kind, p, m)]);
    for (const m of Object.keys(MIXES)) cases.push([`${kind} offer ${m}`, () => offerCase(b.page, kind, m)]);
    try {
      for (const [name, fn] of cases) {
        if (Date.now() > deadline) {
          console.log(`FAIL ${name}: suite time budget exhausted`);
          failed++;
          continue;
        }
        try {
          const note = await fn();
          console.log(`PASS ${name} (${b.version}; ${note})`);
          passed++;
        } catch (e) {
          console.log(`FAIL ${name}: ${e.message}`);
          failed++;
        }
      }
    } finally {
      await b.close();
    }
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL ${e.stack || e}`);
  console.log('browser: 0 passed, 1 failed');
  process.exit(1);
});
