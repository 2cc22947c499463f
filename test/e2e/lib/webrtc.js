// WebRTC helpers run inside a page opened by browser.js: create offers and
// answers with real RTCPeerConnections (fake camera/microphone), wait for ICE
// gathering to complete (bounded), and apply remote descriptions, reporting
// the browser's own verdict. Peer connections stay in the page (by id) so a
// test can answer an offer later, e.g. with SDP that went through the
// eP-CSCF.
'use strict';

const { withTimeout } = require('./browser');

// Installed once per page: window.__epc with the in-page functions.
const PAGE_LIB = `
(() => {
  if (window.__epc) return;
  const pcs = {};
  let next = 1;
  function gathered(pc, ms) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(true); }
      });
    });
  }
  async function media(o) {
    const want = { audio: !!o.audio, video: (o.video || 0) > 0 };
    if (!want.audio && !want.video) return null;
    return navigator.mediaDevices.getUserMedia(want);
  }
  async function addMedia(pc, o, stream) {
    if (o.audio) {
      const t = stream.getAudioTracks()[0];
      pc.addTrack(t, stream);
    }
    for (let i = 0; i < (o.video || 0); i++) {
      const t = i === 0 ? stream.getVideoTracks()[0] : stream.getVideoTracks()[0].clone();
      pc.addTrack(t, stream);
    }
    if (o.data) pc.createDataChannel('chat');
  }
  window.__epc = {
    async offer(o) {
      const pc = new RTCPeerConnection({ bundlePolicy: o.bundlePolicy || 'balanced' });
      const id = next++;
      pcs[id] = pc;
      const stream = await media(o);
      await addMedia(pc, o, stream);
      const off = await pc.createOffer();
      await pc.setLocalDescription(off);
      const complete = await gathered(pc, o.gatherMs || 5000);
      return { id, sdp: pc.localDescription.sdp, complete };
    },
    async answer(o, offerSdp) {
      const pc = new RTCPeerConnection({ bundlePolicy: o.bundlePolicy || 'balanced' });
      const id = next++;
      pcs[id] = pc;
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      const stream = await media(o);
      if (stream) {
        for (const t of stream.getTracks()) pc.addTrack(t, stream);
      }
      const ans = await pc.createAnswer();
      await pc.setLocalDescription(ans);
      const complete = await gathered(pc, o.gatherMs || 5000);
      return { id, sdp: pc.localDescription.sdp, complete };
    },
    async setRemote(id, type, sdp) {
      const pc = pcs[id];
      if (!pc) return { ok: false, error: 'no such peer connection ' + id };
      try {
        await pc.setRemoteDescription({ type, sdp });
        return { ok: true, signalingState: pc.signalingState,
          transceivers: pc.getTransceivers().map((t) => ({
            mid: t.mid, direction: t.direction,
            currentDirection: t.currentDirection, stopped: !!t.stopped })) };
      } catch (e) {
        return { ok: false, error: String(e && e.message || e) };
      }
    },
    close(id) {
      if (pcs[id]) { pcs[id].close(); delete pcs[id]; }
      return true;
    },
  };
})();
`;

async function ensure(page) {
  await page.evaluate(PAGE_LIB);
}

/**
 * Create an offer and wait for ICE gathering (bounded by gatherMs).
 * o: { bundlePolicy, audio: bool, video: count, data: bool, gatherMs }.
 * Returns { id, sdp, complete } (id names the peer connection in the page).
 */
async function createOffer(page, o, timeoutMs = 20000) {
  await ensure(page);
  return withTimeout(page.evaluate((x) => window.__epc.offer(x), o), timeoutMs, 'createOffer');
}

/** Answer offerSdp with a new peer connection (o as for createOffer). */
async function createAnswer(page, offerSdp, o, timeoutMs = 20000) {
  await ensure(page);
  return withTimeout(page.evaluate((x, s) => window.__epc.answer(x, s), o, offerSdp),
    timeoutMs, 'createAnswer');
}

/**
 * Apply a remote description to peer connection id.
 * Returns { ok, error?, signalingState?, transceivers? } - never throws for
 * a description the browser rejects (that is the result under test).
 */
async function setRemote(page, id, type, sdp, timeoutMs = 10000) {
  await ensure(page);
  return withTimeout(page.evaluate((i, t, s) => window.__epc.setRemote(i, t, s), id, type, sdp),
    timeoutMs, 'setRemoteDescription');
}

async function closePc(page, id) {
  await ensure(page);
  return page.evaluate((i) => window.__epc.close(i), id);
}

module.exports = { createOffer, createAnswer, setRemote, closePc };
