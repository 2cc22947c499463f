// Connection check of the WWSF demo page: WSS to the eP-CSCF, SIP OPTIONS.
'use strict';
(async function () {
  const cfg = await (await fetch('/config.json')).json();
  const $ = (id) => document.getElementById(id);
  $('wss').textContent = cfg.wss;
  const state = (cls, text) => { $('state').className = 'state ' + cls; $('state').textContent = text; };
  const log = (line) => { $('trace').textContent += line + '\n'; };
  const rnd = () => Math.random().toString(36).slice(2, 10);

  $('probe').onclick = () => {
    $('trace').textContent = '';
    state('idle', 'connecting…');
    let ws;
    try {
      ws = new WebSocket(cfg.wss, 'sip');
    } catch (e) {
      state('err', 'cannot open WebSocket: ' + e.message);
      return;
    }
    const timer = setTimeout(() => { state('err', 'no answer within 5 s'); ws.close(); }, 5000);
    ws.onopen = () => {
      const host = rnd() + '.invalid';
      const uri = cfg.wss.replace(/^wss?:\/\//, 'sip:').replace(/\/.*$/, '');
      const msg = [
        `OPTIONS ${uri};transport=ws SIP/2.0`,
        `Via: SIP/2.0/WSS ${host};branch=z9hG4bK${rnd()}`,
        'Max-Forwards: 70',
        `From: <sip:probe@${cfg.domain}>;tag=${rnd()}`,
        `To: <${uri}>`,
        `Call-ID: ${rnd()}@${host}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0', '', ''].join('\r\n');
      log('>>> ' + msg.split('\r\n')[0]);
      ws.send(msg);
    };
    ws.onmessage = (ev) => {
      clearTimeout(timer);
      const first = String(ev.data).split('\r\n')[0];
      log('<<< ' + first);
      state(/^SIP\/2\.0 200/.test(first) ? 'ok' : 'err', 'eP-CSCF answered: ' + first);
      ws.close();
    };
    ws.onerror = () => { clearTimeout(timer); state('err', 'WebSocket refused (origin not authorized, or certificate not trusted)'); };
  };
})();
