// Reusable headless browser driver for the eP-CSCF tests.
//
// Launches Debian's own Chromium (/usr/bin/chromium) or Firefox ESR
// (/usr/bin/firefox-esr) through puppeteer-core - never a browser downloaded
// by a tool - with a fresh profile directory, fake media devices and
// loopback-only ICE, and opens a blank page served from 127.0.0.1 (a secure
// context, so getUserMedia works). Every wait is bounded; close() stops the
// browser and removes the profile.
//
//   const { launch } = require('./lib/browser');
//   const b = await launch({ kind: 'chromium' });
//   const offer = await b.page.evaluate(...);   // or the helpers in webrtc.js
//   await b.close();
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const CHROMIUM = process.env.EPC_CHROMIUM || '/usr/bin/chromium';
const FIREFOX = process.env.EPC_FIREFOX || '/usr/bin/firefox-esr';

// Flags that work on this machine kind (see doc/testing.md): without the
// background-networking ones Chromium's own connections get refused; real
// time (no --virtual-time-budget) so ICE gathering completes.
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--no-default-browser-check',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

// Firefox equivalents: fake devices, no permission prompt, loopback and
// plain (not mDNS-obfuscated) host candidates, no network chatter.
const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.default_address_only': false,
  'network.proxy.type': 0,
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

function available(kind) {
  const exe = kind === 'firefox' ? FIREFOX : CHROMIUM;
  try {
    fs.accessSync(exe, fs.constants.X_OK);
    return exe;
  } catch (e) {
    return null;
  }
}

// A one-page HTTP server on 127.0.0.1 (free port) so the page is a secure
// context; extra routes can be added by tests later (pages: {path: html}).
function startServer(pages) {
  const all = Object.assign({ '/': '<!doctype html><title>epc</title><body></body>' }, pages || {});
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      const body = all[req.url.split('?')[0]];
      if (body === undefined) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/**
 * Launch a browser and open a blank secure page.
 * opts.kind: 'chromium' (default) or 'firefox'; opts.timeoutMs: launch bound;
 * opts.args: extra Chromium flags; opts.pages: extra pages for the server.
 * Returns { kind, version, browser, page, url, close() }.
 */
async function launch(opts = {}) {
  const kind = opts.kind || 'chromium';
  const exe = available(kind);
  if (!exe) throw new Error(`${kind} is not installed`);
  const timeoutMs = opts.timeoutMs || 30000;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `epc-${kind}-`));
  const srv = await startServer(opts.pages);
  const url = `http://127.0.0.1:${srv.address().port}/`;
  let browser;
  try {
    if (kind === 'firefox') {
      browser = await withTimeout(puppeteer.launch({
        browser: 'firefox',
        executablePath: exe,
        headless: true,
        userDataDir: profile,
        extraPrefsFirefox: FIREFOX_PREFS,
        protocolTimeout: timeoutMs,
      }), timeoutMs, 'firefox launch');
    } else {
      browser = await withTimeout(puppeteer.launch({
        executablePath: exe,
        headless: true,
        userDataDir: profile,
        args: CHROMIUM_ARGS.concat(opts.args || []),
        ignoreDefaultArgs: ['--headless'],
        protocolTimeout: timeoutMs,
      }), timeoutMs, 'chromium launch');
    }
    const page = await browser.newPage();
    await withTimeout(page.goto(url), timeoutMs, 'page load');
    const version = await browser.version();
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      const proc = browser.process();
      try {
        await withTimeout(browser.close(), 10000, 'browser close');
      } catch (e) {
        if (proc && proc.pid) {
          try { process.kill(proc.pid, 'SIGKILL'); } catch (e2) { /* gone */ }
        }
      }
      srv.close();
      fs.rmSync(profile, { recursive: true, force: true });
    };
    return { kind, version, browser, page, url, close };
  } catch (e) {
    if (browser) {
      const proc = browser.process();
      if (proc && proc.pid) {
        try { process.kill(proc.pid, 'SIGKILL'); } catch (e2) { /* gone */ }
      }
    }
    srv.close();
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

module.exports = { launch, available, withTimeout, CHROMIUM_ARGS, FIREFOX_PREFS };
