// WebRTC IMS Client (WIC) of the WWSF demo: JsSIP over secure WebSocket to
// the eP-CSCF (W2, RFC 7118), registration with a WWSF token (3GPP TS 23.228
// U.2.1.3) or with IMS Digest credentials (U.2.1.2), audio calls.
//
// Media: the eIMS-AGW (rtpengine) terminates ICE and DTLS-SRTP toward the
// browser and does not do BUNDLE, so every m-line must be able to stand on
// its own transport: bundlePolicy "max-compat" gives each m-line its own
// candidates (with "balanced" a second m-line of a media type, with
// "max-bundle" every m-line but the first, could only work bundled and would
// be rejected by an answerer without BUNDLE; a "max-bundle" connection also
// refuses the AGW's offers, which have no BUNDLE group). RTP and RTCP are multiplexed
// on one port (rtcpMuxPolicy "require", the only policy browsers still
// implement); the eIMS-AGW demultiplexes toward IMS.
//
// State for people: the pills, the error banner and the event log. State
// for tests: data-conn / data-reg / data-call on <body>, and window.wic.
'use strict';
(function () {
  const PC_CONFIG = { iceServers: [], rtcpMuxPolicy: 'require', bundlePolicy: 'max-compat' };
  const MEDIA = { audio: true, video: false };
  // Call end causes (JsSIP.C.causes) that are an outcome, not a fault.
  const NORMAL_ENDS = ['Terminated', 'Canceled', 'Busy', 'Rejected', 'No Answer',
    'Unavailable', 'Not Found', 'Redirected', 'Expires', 'Address Incomplete'];

  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const wic = {
    conn: 'disconnected', reg: 'unregistered', call: 'idle', auth: null,
    impu: null, error: null, events: [], stats: null, token: null,
    wsOpened: 0, calls: 0, refreshes: 0,
  };
  window.wic = wic;

  let cfg = null;
  let ua = null;
  let session = null;
  let statsTimer = null;
  let callStart = 0;

  // ---- presentation ----
  function stamp() {
    const d = new Date();
    return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }
  function log(line) {
    wic.events.push(line);
    if (wic.events.length > 300) wic.events.shift();
    const pre = $('log');
    pre.textContent += stamp() + '  ' + line + '\n';
    const lines = pre.textContent.split('\n');
    if (lines.length > 300) pre.textContent = lines.slice(-300).join('\n');
    pre.scrollTop = pre.scrollHeight;
  }
  function pill(el, cls, text) {
    el.className = 'pill ' + cls;
    el.textContent = text;
  }
  function showError(title, text) {
    wic.error = { title, text };
    body.dataset.error = 'yes';
    $('error-title').textContent = title;
    $('error-text').textContent = text;
    $('error').hidden = false;
    log('ERROR ' + title + ': ' + text);
  }
  function clearError() {
    wic.error = null;
    delete body.dataset.error;
    $('error').hidden = true;
  }
  function setConn(s, text) {
    wic.conn = s;
    body.dataset.conn = s;
    $('conn-state').textContent = text || s;
  }
  const REG_CLASS = { unregistered: 'idle', registering: 'busy', registered: 'ok', failed: 'err' };
  function setReg(s, text) {
    wic.reg = s;
    body.dataset.reg = s;
    pill($('reg-state'), REG_CLASS[s] || 'idle', text);
    const on = s === 'registered';
    $('target').disabled = !on;
    $('call-go').disabled = !on || !!session;
    $('unregister').disabled = !ua;
    for (const f of ['form-token', 'form-ims']) {
      for (const el of $(f).elements) el.disabled = !!ua;
    }
  }
  const CALL_CLASS = { idle: 'idle', calling: 'busy', ringing: 'busy', incoming: 'busy',
    active: 'ok', ended: 'idle', failed: 'err' };
  function setCall(s, text) {
    wic.call = s;
    body.dataset.call = s;
    pill($('call-state'), CALL_CLASS[s] || 'idle', text);
    const live = ['calling', 'ringing', 'incoming', 'active'].includes(s);
    $('hangup').disabled = !live;
    $('incoming').hidden = s !== 'incoming';
    $('call-go').disabled = wic.reg !== 'registered' || live;
  }

  function sipCause(e) {
    const r = e && e.response;
    if (r && r.status_code) {
      let t = r.status_code + ' ' + r.reason_phrase;
      const ch = r.getHeaders ? r.getHeaders('www-authenticate') : [];
      for (const h of ch) {
        const m = /error="([^"]*)"/.exec(h);
        if (/^\s*Bearer/i.test(h)) t += m ? ' (token: ' + m[1] + ')' : ' (token required)';
      }
      return t;
    }
    return (e && e.cause) || 'unknown cause';
  }

  // ---- registration ----
  function startUA(o) {
    clearError();
    const socket = new JsSIP.WebSocketInterface(cfg.wss);
    const conf = {
      sockets: [socket], uri: o.uri, register: true, register_expires: 600,
      session_timers: false, user_agent: 'WWSF-demo-WIC JsSIP/' + JsSIP.version,
      connection_recovery_min_interval: 2, connection_recovery_max_interval: 30,
    };
    if (o.token) conf.authorization_jwt = 'Bearer ' + o.token;
    else {
      conf.authorization_user = o.impi;
      conf.password = o.password;
    }
    try {
      ua = new JsSIP.UA(conf);
    } catch (e) {
      ua = null;
      showError('Cannot start the client', String(e && e.message || e));
      return;
    }
    // events of a client that was stopped meanwhile (sign out, new
    // attempt) must not touch the page
    const self = ua;
    const on = (ev, fn) => self.on(ev, (e) => { if (ua === self) fn(e); });
    wic.auth = o.token ? 'token' : 'digest';
    wic.impu = o.uri;
    $('reg-impu').textContent = o.uri;
    $('reg-auth').textContent = o.token
      ? 'WWSF token (web authentication, U.2.1.3)'
      : 'IMS Digest as ' + o.impi + ' (U.2.1.2)';
    on('connecting', () => { setConn('connecting', 'connecting to ' + cfg.wss); });
    on('connected', () => {
      wic.wsOpened++;
      setConn('connected', 'connected (WSS)');
      log('WebSocket to the eP-CSCF open');
    });
    on('disconnected', (e) => {
      if (e && e.error) {
        setConn('failed', 'refused or unreachable');
        if (wic.reg !== 'registered') setReg('failed', 'Not registered');
        showError('No connection to the eP-CSCF',
          'the WebSocket to ' + cfg.wss + ' was refused or failed: this page\'s origin ('
          + location.origin + ') may not be an authorized WWSF, or the certificate is not trusted');
      } else {
        setConn('disconnected');
      }
    });
    on('registered', (e) => {
      const exp = e.response && e.response.getHeader('expires');
      setReg('registered', 'Registered');
      log('REGISTER: ' + sipCause(e) + (exp ? ' (expires ' + exp + ' s)' : ''));
      clearError();
    });
    on('unregistered', (e) => {
      setReg('unregistered', 'Not registered');
      log('unregistered' + (e && e.response ? ': ' + sipCause(e) : ''));
    });
    on('registrationFailed', (e) => {
      // give the form back for another attempt; the error stays shown
      ua = null;
      self.stop();
      setConn('disconnected');
      setReg('failed', 'Registration failed');
      showError('Registration refused', sipCause(e));
    });
    on('newRTCSession', onSession);
    on('registrationExpiring', () => refreshRegistration(self));
    setReg('registering', 'Registering\u2026');
    log('registering ' + o.uri + (o.token ? ' with a WWSF token' : ' with IMS Digest'));
    ua.start();
  }

  function stopUA() {
    if (session) session.terminate();
    if (ua) {
      const u = ua;
      u.unregister({ all: false });
      setTimeout(() => u.stop(), 500);
    }
    ua = null;
    setReg('unregistered', 'Not registered');
    setConn('disconnected');
    $('reg-impu').textContent = '\u2013';
    $('reg-auth').textContent = '\u2013';
    $('reg-token').textContent = '\u2013';
    if (wic.auth === 'token') {
      fetch('/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
        .catch(() => {});
    }
    wic.auth = null;
  }

  async function api(path, payload) {
    const r = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload || {}),
    });
    let j = {};
    try { j = await r.json(); } catch (e) { /* empty */ }
    if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
    return j;
  }

  function showToken(t) {
    wic.token = { exp: t.exp, iat: t.iat, impi: t.impi, impus: t.impus };
    const until = new Date(t.exp * 1000).toTimeString().slice(0, 8);
    $('reg-token').textContent = 'ES256, for ' + t.impi + ' (' + t.impus.join(', ')
      + '), valid until ' + until;
  }

  // Registration refresh (JsSIP leaves it to us once we listen to
  // registrationExpiring). The eP-CSCF caps a token registration at the
  // token's remaining lifetime, so a token past half its life (or with less
  // than a minute left) is replaced by a fresh one from the WWSF first: the
  // registration (and every request, which carries the token too) never
  // outlives its token.
  async function refreshRegistration(self) {
    let fresh = false;
    if (wic.auth === 'token' && wic.token) {
      const now = Date.now() / 1000;
      const left = wic.token.exp - now;
      if (left < Math.max(60, (wic.token.exp - wic.token.iat) / 2)) {
        try {
          const n = await api('/token');
          if (ua !== self) return;
          self.set('authorization_jwt', 'Bearer ' + n.token);
          showToken(n);
          fresh = true;
        } catch (e) {
          if (ua !== self) return;
          showError('Token refresh failed', e.message + ' - sign in again');
          return;
        }
      }
    }
    wic.refreshes++;
    log('refreshing the registration' + (fresh ? ' with a new token from the WWSF' : ''));
    self.register();
  }

  async function signInToken(ev) {
    ev.preventDefault();
    clearError();
    const user = $('tk-user').value.trim();
    let t;
    try {
      $('tk-go').disabled = true;
      log('signing in to the WWSF as ' + user);
      t = await api('/login', { user, password: $('tk-pass').value });
    } catch (e) {
      $('tk-go').disabled = false;
      showError('Sign-in failed', e.message);
      return;
    }
    $('tk-pass').value = '';
    log('WWSF issued a token for ' + t.impi + ' (' + t.impus.join(', ') + ')');
    showToken(t);
    const uri = t.impus.find((u) => /^sips?:/.test(u)) || t.impus[0];
    startUA({ uri, token: t.token });
  }

  function registerIms(ev) {
    ev.preventDefault();
    let impu = $('ims-impu').value.trim();
    if (impu && !/^(sips?|tel):/.test(impu)) impu = 'sip:' + impu;
    const impi = $('ims-impi').value.trim() || impu.replace(/^sips?:/, '');
    startUA({ uri: impu, impi, password: $('ims-pass').value });
  }

  // ---- calls ----
  function target(t) {
    t = t.trim();
    if (/^(sips?|tel):/.test(t)) return t;
    if (/^\+?[0-9][0-9().\- ]*$/.test(t)) return 'tel:' + t.replace(/[^0-9+]/g, '');
    return t.includes('@') ? 'sip:' + t : 'sip:' + t + '@' + cfg.domain;
  }

  function attach(pc) {
    pc.addEventListener('track', (ev) => {
      const a = $('remote-audio');
      a.srcObject = (ev.streams && ev.streams[0]) || new MediaStream([ev.track]);
      const p = a.play();
      if (p && p.catch) p.catch(() => {});
    });
    pc.addEventListener('connectionstatechange', () => {
      $('m-ice').textContent = pc.connectionState;
      log('media (ICE + DTLS-SRTP to the eIMS-AGW): ' + pc.connectionState);
      if (pc.connectionState === 'failed') {
        showError('Media failed', 'ICE/DTLS-SRTP toward the eIMS-AGW did not complete');
      }
    });
    clearInterval(statsTimer);
    statsTimer = setInterval(() => collectStats(pc), 1000);
  }

  async function collectStats(pc) {
    let rep;
    try { rep = await pc.getStats(); } catch (e) { return; }
    const byId = {};
    rep.forEach((r) => { byId[r.id] = r; });
    const s = { packetsReceived: 0, packetsSent: 0, audioLevelIn: 0, audioLevelOut: 0,
      totalAudioEnergyIn: 0, codec: null, path: null };
    rep.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        s.packetsReceived = r.packetsReceived || 0;
        s.audioLevelIn = r.audioLevel || 0;
        s.totalAudioEnergyIn = r.totalAudioEnergy || 0;
        const c = byId[r.codecId];
        if (c) s.codec = c.mimeType.replace(/^audio\//, '') + '/' + c.clockRate;
      } else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
        s.packetsSent = r.packetsSent || 0;
      } else if (r.type === 'media-source' && r.kind === 'audio') {
        s.audioLevelOut = r.audioLevel || 0;
      } else if (r.type === 'transport' && r.selectedCandidatePairId) {
        const p = byId[r.selectedCandidatePairId];
        const l = p && byId[p.localCandidateId];
        const m = p && byId[p.remoteCandidateId];
        if (l && m) s.path = l.address + ':' + l.port + ' \u2194 ' + m.address + ':' + m.port;
      }
    });
    const prev = wic.stats || {};
    s.maxAudioLevelIn = Math.max(prev.maxAudioLevelIn || 0, s.audioLevelIn);
    wic.stats = s;
    $('m-codec').textContent = s.codec || '\u2013';
    $('m-packets').textContent = s.packetsReceived + ' / ' + s.packetsSent;
    $('m-level-in').value = s.audioLevelIn;
    $('m-level-out').value = s.audioLevelOut;
    if (s.path) $('m-ice').textContent = pc.connectionState + ', ' + s.path;
    if (callStart) {
      const sec = Math.floor((Date.now() - callStart) / 1000);
      $('call-time').textContent = Math.floor(sec / 60) + ':' + String(sec % 60).padStart(2, '0');
    }
  }

  function endCall(s, text, e) {
    clearInterval(statsTimer);
    statsTimer = null;
    if (session && session.connection) collectStats(session.connection);
    session = null;
    callStart = 0;
    setCall(s, text);
    $('remote-audio').srcObject = null;
    const cause = e && e.cause;
    log('call ' + s + ': ' + sipCause(e) + (e && e.originator ? ' (by ' + e.originator + ')' : ''));
    if (s === 'failed' && cause && !NORMAL_ENDS.includes(cause)) {
      showError('Call failed', sipCause(e));
    }
  }

  function onSession(e) {
    const s = e.session;
    if (session) {
      if (e.originator === 'remote') s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    session = s;
    wic.calls++;
    wic.stats = null;
    const peer = s.remote_identity.uri.toString();
    $('call-peer').textContent = peer;
    $('call-time').textContent = '';
    if (e.originator === 'remote') {
      $('incoming-from').textContent = peer;
      setCall('incoming', 'Incoming call');
      log('incoming call from ' + peer);
      s.on('peerconnection', (ev) => attach(ev.peerconnection));
    } else {
      setCall('calling', 'Calling\u2026');
      log('calling ' + peer);
      if (s.connection) attach(s.connection);
    }
    s.on('progress', () => { if (e.originator === 'local') setCall('ringing', 'Ringing\u2026'); });
    s.on('accepted', () => { callStart = Date.now(); setCall('active', 'In call'); log('call answered'); });
    s.on('ended', (ev) => endCall('ended', 'Call ended', ev));
    s.on('failed', (ev) => endCall('failed', 'Call failed: ' + sipCause(ev), ev));
  }

  function placeCall(ev) {
    ev.preventDefault();
    if (!ua || session) return;
    clearError();
    const t = target($('target').value);
    if (!t || /^sip:@/.test(t)) return;
    try {
      ua.call(t, { mediaConstraints: MEDIA, pcConfig: PC_CONFIG });
    } catch (e) {
      showError('Cannot place the call', String(e && e.message || e));
    }
  }

  // ---- start ----
  async function init() {
    $('error-close').onclick = clearError;
    try {
      cfg = await (await fetch('/config.json')).json();
    } catch (e) {
      showError('No configuration', 'cannot load /config.json from the WWSF');
      return;
    }
    $('wss').textContent = cfg.wss;
    $('wwsf').textContent = cfg.wwsf + (cfg.auth === 'token' ? ' (web login)' : ' (IMS credentials)');
    const form = cfg.auth === 'token' ? $('form-token') : $('form-ims');
    form.hidden = false;
    if (cfg.hint) $('tk-hint').textContent = cfg.hint;
    if (cfg.other) {
      const a = document.createElement('a');
      a.href = cfg.other.url;
      a.textContent = cfg.other.auth === 'token'
        ? 'Sign in with a web account instead (another WWSF)'
        : 'Register with IMS credentials instead (another WWSF)';
      $('other').appendChild(a);
      $('other').hidden = false;
    }
    if (typeof JsSIP === 'undefined') {
      showError('WIC not built', 'the JsSIP bundle (/vendor/jssip.min.js) is missing: run scripts/build-wic.sh (make run does)');
      for (const el of form.elements) el.disabled = true;
      return;
    }
    $('jssip-version').textContent = JsSIP.version;
    if (new URLSearchParams(location.search).has('debug')) JsSIP.debug.enable('JsSIP:*');
    $('form-token').addEventListener('submit', signInToken);
    $('form-ims').addEventListener('submit', registerIms);
    $('ims-impu').addEventListener('input', () => {
      const v = $('ims-impu').value.trim();
      if (/^(sips?:)?[^@\s]+@[^@\s]+$/.test(v)) $('ims-impi').value = v.replace(/^sips?:/, '');
    });
    $('form-call').addEventListener('submit', placeCall);
    $('unregister').onclick = stopUA;
    $('hangup').onclick = () => { if (session) session.terminate(); };
    $('answer').onclick = () => {
      if (session) session.answer({ mediaConstraints: MEDIA, pcConfig: PC_CONFIG });
    };
    $('decline').onclick = () => {
      if (session) session.terminate({ status_code: 603, reason_phrase: 'Decline' });
    };
    window.addEventListener('beforeunload', () => { if (ua) ua.stop(); });
    setReg('unregistered', 'Not registered');
    setCall('idle', 'No call');
    body.dataset.ready = 'yes';
    log('WIC loaded from ' + location.origin + ' (WWSF ' + cfg.wwsf + ')');
  }
  init();
}());
