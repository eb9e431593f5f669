// What the browser scripts share: starting Debian's chromium through playwright-core so that
// it can reach nothing but the server under test, logging in, screenshots, and a small
// runner of named checks that goes on after a failure (to report every mismatch at once).
//
// Environment: BASE_URL (http://127.0.0.1:PORT/), CENTINELA_USER, CENTINELA_PASSWORD,
// SCREENSHOT_DIR, CENTINELA_CHROMIUM (default /usr/bin/chromium). playwright-core is found
// through NODE_PATH (scripts/test installs it outside the clone).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

function env(name, fallback) {
  const value = process.env[name] || fallback;
  if (value === undefined) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

const BASE = new URL(env('BASE_URL'));
if (BASE.hostname !== '127.0.0.1') {
  console.error(`BASE_URL must be on 127.0.0.1, not ${BASE.hostname}`);
  process.exit(2);
}
const SHOTS = env('SCREENSHOT_DIR', path.join(os.tmpdir(), 'centinela-browser'));
const SCRIPT = path.basename(process.argv[1] || 'browser', '.cjs');
fs.mkdirSync(SHOTS, { recursive: true });
// This script's screenshots of an earlier run would mix with this run's.
for (const f of fs.readdirSync(SHOTS)) {
  if (f.startsWith(`${SCRIPT}-`) && f.endsWith('.png')) fs.rmSync(path.join(SHOTS, f));
}

/** An absolute URL on the server. */
function url(pathAndQuery) {
  return new URL(pathAndQuery, BASE).toString();
}

/** Whether `u` is on the server under test (same scheme, host and port). */
function onServer(u) {
  try {
    return new URL(u).origin === BASE.origin;
  } catch (_) {
    return false;
  }
}

/**
 * Starts chromium with a fresh profile. Three fences keep it on the server: every request
 * is routed through `guard` (which aborts anything off the server), a proxy nobody listens
 * on takes whatever is not loopback, and host names resolve to nothing.
 */
async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env('CENTINELA_CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    chromiumSandbox: false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-domain-reliability',
      '--dns-prefetch-disable',
      '--proxy-server=http://127.0.0.1:9',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
    locale: 'es-PE',
    viewport: { width: 1280, height: 900 },
    acceptDownloads: false,
    serviceWorkers: 'block',
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(20000);
  const offServer = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (onServer(u)) return route.continue();
    offServer.push(u);
    return route.abort('blockedbyclient');
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, offServer, close };
}

/**
 * Records what the browser does: every request of every page and frame, console messages,
 * uncaught errors, dialogs (dismissed), new windows and web sockets.
 */
function record(context) {
  const log = { requests: [], console: [], errors: [], dialogs: [], popups: [], sockets: [] };
  const watch = (page) => {
    page.on('console', (m) =>
      log.console.push({ type: m.type(), text: m.text(), at: m.location().url || '', page: page.url() }),
    );
    page.on('pageerror', (e) => log.errors.push(`${e.message} (on ${page.url()})`));
    page.on('dialog', (d) => {
      log.dialogs.push(`${d.type()}: ${d.message()} (on ${page.url()})`);
      d.dismiss().catch(() => {});
    });
    page.on('websocket', (ws) => log.sockets.push(ws.url()));
    page.on('popup', (p) => log.popups.push(p.url()));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  context.on('request', (r) =>
    log.requests.push({ method: r.method(), url: r.url(), frame: safeFrameUrl(r), request: r }),
  );
  return log;
}

function safeFrameUrl(request) {
  try {
    return request.frame().url();
  } catch (_) {
    return '';
  }
}

/** Whether the browser itself refused the request before it was sent (CSP). */
function refusedByBrowser(r) {
  const failure = r.request && r.request.failure();
  return Boolean(failure && ['csp', 'net::ERR_BLOCKED_BY_CSP'].includes(failure.errorText));
}

/**
 * Requests for anything off the server (data: and about: load nothing). Chromium reports
 * a request that its Content-Security-Policy then refuses (it fails with "csp", i.e.
 * net::ERR_BLOCKED_BY_CSP, and never reaches the network): those are left out when
 * `allowRefused`, and listed by `refusedRequests`.
 */
function offServerRequests(log, { allowRefused = false } = {}) {
  return log.requests.filter(
    (r) => !onServer(r.url) && !/^(data|about|blob):/.test(r.url) && !(allowRefused && refusedByBrowser(r)),
  );
}

function refusedRequests(log) {
  return log.requests.filter(refusedByBrowser);
}

let shotNumber = 0;
async function shot(page, name) {
  shotNumber += 1;
  const file = path.join(SHOTS, `${SCRIPT}-${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
  return file;
}

/** Named checks: each failure is reported and counted; the script goes on. */
function checks(title) {
  const failures = [];
  let passed = 0;
  const check = async (name, fn) => {
    try {
      await fn();
      passed += 1;
      console.log(`ok   ${name}`);
      return true;
    } catch (e) {
      failures.push(name);
      console.log(`FAIL ${name}\n     ${String((e && e.message) || e).split('\n').join('\n     ')}`);
      return false;
    }
  };
  // What users would expect but the contract does not promise: reported, never failed.
  const warnings = [];
  const note = async (name, fn) => {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (e) {
      warnings.push(name);
      console.log(`WARN ${name}\n     ${String((e && e.message) || e).split('\n').join('\n     ')}`);
    }
  };
  const finish = () => {
    if (warnings.length) console.log(`\nwarnings (not failures): ${warnings.join('; ')}`);
    console.log(`\n${title}: ${passed} passed, ${failures.length} failed`);
    if (failures.length) console.log(`failed: ${failures.join('; ')}`);
    return failures.length ? 1 : 0;
  };
  return { check, note, finish };
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Response of a navigation and the redirects that led to it, oldest first. */
async function chain(response) {
  const steps = [];
  let req = response ? response.request() : null;
  while (req) {
    const res = await req.response();
    steps.unshift({ url: req.url(), method: req.method(), status: res ? res.status() : 0, headers: res ? res.headers() : {} });
    req = req.redirectedFrom();
  }
  return steps;
}

/** Fills and submits form#login; waits until the browser has left /login. */
async function submitLogin(page, user, password) {
  const form = page.locator('form#login');
  await form.locator('input[name=user]').fill(user);
  await form.locator('input[name=password]').fill(password);
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    form.locator('button[type=submit]').click(),
  ]);
  return response;
}

/**
 * Checks a page of our own UI: it has no script, no inline event handler, no javascript:
 * URL, no meta refresh, and loads nothing (images, styles, frames, forms) from elsewhere.
 */
async function ownPageIsInert(page) {
  const problems = await page.evaluate(() => {
    const out = [];
    if (document.querySelectorAll('script').length) out.push(`${document.querySelectorAll('script').length} <script>`);
    if (document.querySelector('meta[http-equiv]')) out.push(`meta http-equiv: ${document.querySelector('meta[http-equiv]').outerHTML}`);
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        const name = a.name.toLowerCase();
        if (name.startsWith('on')) out.push(`<${el.localName} ${name}=...>`);
        const v = a.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
        if (['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'xlink:href'].includes(name) && /^(javascript|vbscript|data:text\/html)/.test(v)) {
          out.push(`<${el.localName} ${name}="${a.value}">`);
        }
      }
    }
    // Attributes, not properties: a form with an input named "action" shadows form.action.
    const here = location.origin;
    const loads = [];
    const pairs = [['img', 'src'], ['iframe', 'src'], ['frame', 'src'], ['embed', 'src'], ['object', 'data'],
      ['source', 'src'], ['video', 'src'], ['audio', 'src'], ['link', 'href'], ['form', 'action'], ['button', 'formaction'], ['input', 'formaction']];
    for (const [tag, attr] of pairs) {
      for (const el of document.querySelectorAll(`${tag}[${attr}]`)) loads.push(el.getAttribute(attr));
    }
    for (const u of loads) {
      if (u && !u.trim().startsWith('data:') && new URL(u, location.href).origin !== here) out.push(`loads ${u}`);
    }
    return out;
  });
  assert(problems.length === 0, `not inert: ${problems.join(', ')}`);
}

module.exports = {
  BASE,
  assert,
  chain,
  checks,
  env,
  launch,
  offServerRequests,
  onServer,
  ownPageIsInert,
  record,
  refusedRequests,
  shot,
  submitLogin,
  url,
};
