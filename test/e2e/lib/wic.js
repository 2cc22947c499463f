// Driving the WWSF demo's WebRTC IMS Client (kamailio-cfg/wwsf-demo/www) in
// a page opened by browser.js, the way a user does: fill the forms, click
// the buttons, read what the page shows. The page publishes its state on
// <body> (data-conn, data-reg, data-call, data-error) and in window.wic.
'use strict';

const fs = require('fs');
const path = require('path');
const { withTimeout } = require('./browser');

/** Chromium flags for the WIC against the test stack: trust exactly the
 * stack's certificate key (no blanket certificate bypass) and let the
 * remote audio element play without a user gesture. */
function chromiumArgs(info) {
  return [`--ignore-certificate-errors-spki-list=${info.spki}`,
    '--autoplay-policy=no-user-gesture-required'];
}

/** A new page (own browser context: own cookies) with the WIC at url. */
async function openWic(b, url, timeoutMs = 20000) {
  const ctx = await b.browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.__ctx = ctx;
  page.__console = [];
  page.on('console', (m) => page.__console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.__console.push(`pageerror: ${e.message}`));
  await withTimeout(page.goto(url), timeoutMs, `load ${url}`);
  await page.waitForSelector('body[data-ready="yes"], body[data-error="yes"]', { timeout: timeoutMs });
  return page;
}

async function closeWic(page) {
  try { await page.__ctx.close(); } catch (e) { /* gone */ }
}

/** The page's state: conn, reg, call, error, stats, counters. */
async function state(page) {
  return page.evaluate(() => {
    const w = window.wic || {};
    return { conn: w.conn, reg: w.reg, call: w.call, error: w.error, stats: w.stats,
      wsOpened: w.wsOpened, calls: w.calls, auth: w.auth, impu: w.impu,
      token: w.token, refreshes: w.refreshes,
      errorShown: !document.getElementById('error').hidden,
      regText: document.getElementById('reg-state').textContent,
      callText: document.getElementById('call-state').textContent };
  });
}

/** Wait until body[data-<attr>] is one of want (string or list). */
async function waitFor(page, attr, want, timeoutMs = 15000) {
  const list = Array.isArray(want) ? want : [want];
  const sel = list.map((w) => `body[data-${attr}="${w}"]`).join(', ');
  try {
    await page.waitForSelector(sel, { timeout: timeoutMs });
  } catch (e) {
    const s = await state(page).catch(() => ({}));
    throw new Error(`page never showed ${attr}=${list.join('|')} in ${timeoutMs} ms; `
      + `it shows conn=${s.conn} reg=${s.reg} call=${s.call}`
      + (s.error ? ` error="${s.error.title}: ${s.error.text}"` : ''));
  }
  return state(page);
}

/** Throw if the page shows an error (banner or window.wic.error). */
async function assertNoError(page, when) {
  const s = await state(page);
  if (s.error || s.errorShown) {
    throw new Error(`${when}: the page shows an error: `
      + (s.error ? `${s.error.title}: ${s.error.text}` : 'banner visible'));
  }
  return s;
}

async function fill(page, sel, text) {
  await page.$eval(sel, (el) => { el.value = ''; });
  await page.type(sel, text);
}

/** Web login on a token page (U.2.1.3): the WWSF issues the token and the
 * WIC registers with it. */
async function signInToken(page, user, password) {
  await fill(page, '#tk-user', user);
  await fill(page, '#tk-pass', password);
  await page.click('#tk-go');
}

/** IMS credentials on an IMS-authentication page (U.2.1.2). */
async function registerIms(page, impu, impi, password) {
  await fill(page, '#ims-impu', impu);
  await fill(page, '#ims-impi', impi);
  await fill(page, '#ims-pass', password);
  await page.click('#ims-go');
}

async function dial(page, target) {
  await fill(page, '#target', target);
  await page.click('#call-go');
}

let shotSeq = 0;
/** Full-page screenshot <dir>/<NN>-<name>.png; returns the path. */
async function screenshot(page, dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  shotSeq += 1;
  const file = path.join(dir, `${String(shotSeq).padStart(2, '0')}-${name}.png`);
  await withTimeout(page.screenshot({ path: file, fullPage: true }), 15000, 'screenshot');
  return file;
}

/** Poll fn() until it returns a truthy value (bounded); returns it. */
async function until(fn, timeoutMs, what, stepMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

module.exports = { chromiumArgs, openWic, closeWic, state, waitFor, assertNoError,
  signInToken, registerIms, dial, screenshot, until };
