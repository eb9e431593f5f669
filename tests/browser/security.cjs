// A hostile market page in the investigator's browser. Silk Lane's listing 1005 carries a
// script that sends the cookies away, a meta refresh to a phishing page, an <img onerror>
// that fetches, javascript: links and a remote image. Whatever the UI shows of it (the
// listing, search results, the capture as text and in its sandboxed frame, the vendor)
// must run none of it and make the browser request nothing outside the server. Also: forms
// without the CSRF token are refused, investigators may not change watchlists, and nothing
// is shown without a session.
//
//   BASE_URL=... CENTINELA_USER=... CENTINELA_PASSWORD=... HOSTILE_URL=http://<silk-lane>.onion/listing/1005.html \
//   [CENTINELA_INVESTIGATOR=... CENTINELA_INVESTIGATOR_PASSWORD=...] SCREENSHOT_DIR=... node tests/browser/security.cjs
'use strict';

const {
  BASE, assert, chain, checks, env, launch, offServerRequests, ownPageIsInert, record, refusedRequests, shot, submitLogin, url,
} = require('./common.cjs');

const USER = env('CENTINELA_USER');
const PASSWORD = env('CENTINELA_PASSWORD');
const HOSTILE = env('HOSTILE_URL');
const SITE = 'silk-lane';
const TITLE = 'LSD 150ug x 10 tabs';
const VENDOR = 'NorthernLights';
// Longer than the page's meta refresh (5 s).
const LINGER_MS = 6500;

// What Chromium says when it refuses the hostile page something: expected in the capture
// views, and proof that the sandbox is there. Anything else there means the page got to act.
const REFUSALS = [
  /^Blocked script execution in '.*' because the document's frame is sandboxed and the 'allow-scripts' permission is not set\.$/s,
  /violates the following Content Security Policy directive[^]*(The action has been blocked|Refused)/,
  /^Refused to [^]*because it violates the following Content Security Policy directive/,
  /^Refused to execute the redirect specified via '<meta http-equiv='refresh' content='.*'>'\. The document is sandboxed/s,
  /^Blocked form submission to '.*' because the form's frame is sandboxed/s,
];

async function main() {
  const browser = await launch();
  const log = record(browser.context);
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  const { check, note, finish } = checks('security');
  const listing = url(`/listing?site=${SITE}&url=${encodeURIComponent(HOSTILE)}`);
  const capture = url(`/capture?kind=listing&site=${SITE}&url=${encodeURIComponent(HOSTILE)}`);

  /** Everything the browser did while `fn` ran on `expected` (the URL it must stay on). */
  const watched = async (name, expected, fn, { capturePage = false } = {}) => {
    const from = { requests: log.requests.length, console: log.console.length, errors: log.errors.length, dialogs: log.dialogs.length, popups: log.popups.length, blocked: browser.offServer.length };
    await check(name, async () => {
      await fn();
      await page.waitForTimeout(LINGER_MS);
      const problems = [];
      if (page.url() !== expected()) problems.push(`the page moved from ${expected()} to ${page.url()}`);
      const since = { requests: log.requests.slice(from.requests) };
      const off = offServerRequests(since, { allowRefused: capturePage });
      off.forEach((r) => problems.push(`request off the server: ${r.method} ${r.url} (frame ${r.frame})`));
      const refusedUrls = [...new Set(refusedRequests(since).map((r) => r.url))];
      if (refusedUrls.length) console.log(`     refused by the browser before sending: ${refusedUrls.join(', ')}`);
      browser.offServer.slice(from.blocked).forEach((u) => problems.push(`blocked request: ${u}`));
      log.errors.slice(from.errors).forEach((e) => problems.push(`page error: ${e}`));
      log.dialogs.slice(from.dialogs).forEach((d) => problems.push(`dialog: ${d}`));
      log.popups.slice(from.popups).forEach((p) => problems.push(`popup: ${p}`));
      const messages = log.console.slice(from.console);
      for (const m of messages) {
        const refused = REFUSALS.some((re) => re.test(m.text));
        if (!(capturePage && refused)) problems.push(`console ${m.type}: ${m.text} (${m.at || m.page})`);
      }
      const said = {};
      messages.filter((m) => capturePage && REFUSALS.some((re) => re.test(m.text)))
        .forEach((m) => { const k = m.text.replace(/'http[^']*'/g, "'…'").slice(0, 70); said[k] = (said[k] || 0) + 1; });
      Object.entries(said).forEach(([k, n]) => console.log(`     browser refused (${n}x): ${k}…`));
      assert(problems.length === 0, problems.join('\n'));
    });
  };

  await check('without a session, the hostile listing redirects to /login?next=...', async () => {
    const steps = await chain(await page.goto(listing));
    assert(steps[0].status === 303, `first answer ${steps[0].status}, want 303`);
    const at = new URL(page.url());
    assert(at.pathname === '/login' && at.searchParams.get('next'), `landed on ${page.url()}`);
  });

  await check('the API without a token answers 401 JSON {"error":...}', async () => {
    const res = await page.goto(url('/api/v1/search?q=lsd'));
    assert(res.status() === 401, `/api/v1/search answered ${res.status()}`);
    assert(/json/.test(res.headers()['content-type'] || ''), `content-type ${res.headers()['content-type']}`);
    const body = JSON.parse(await res.text());
    assert(typeof body.error === 'string' && body.error, `body ${JSON.stringify(body)}`);
  });

  const loggedIn = await check('logging in goes back to next= (the hostile listing)', async () => {
    await page.goto(listing);
    await submitLogin(page, USER, PASSWORD);
    const at = new URL(page.url());
    assert(at.pathname === '/listing' && at.searchParams.get('url') === HOSTILE && at.searchParams.get('site') === SITE, `after login on ${page.url()}`);
  });
  if (!loggedIn && new URL(page.url()).pathname === '/login') {
    await browser.close();
    return finish();
  }

  await watched('search results containing the hostile listing stay inert', () => page.url(), async () => {
    await page.goto(url('/search?q=LSD'));
    const hit = page.locator('ol#results li.hit', { has: page.locator('a.hit-title', { hasText: TITLE }) });
    assert((await hit.count()) >= 1, `no hit titled ${TITLE}`);
    const href = new URL(await hit.first().locator('a.hit-title').getAttribute('href'), page.url());
    assert(href.pathname === '/listing' && href.searchParams.get('site') === SITE && href.searchParams.get('url') === HOSTILE, `the hit links to ${href}`);
    await ownPageIsInert(page);
    await shot(page, 'hostile-search');
  });

  let vendorHref = null;
  await watched('the hostile listing page stays inert', () => listing, async () => {
    await page.goto(listing);
    assert((await page.locator('h1#title').innerText()).includes(TITLE), `h1#title is ${await page.locator('h1#title').innerText()}`);
    await ownPageIsInert(page);
    vendorHref = await page.locator('a#vendor-link').getAttribute('href');
    await shot(page, 'hostile-listing');
  });

  await watched('the capture as text shows the page source, escaped', () => capture, async () => {
    await page.goto(listing);
    const link = new URL(await page.locator('a#capture-link').getAttribute('href'), page.url());
    assert(link.toString() === capture, `a#capture-link goes to ${link}, want ${capture}`);
    await page.goto(capture);
    const text = await page.locator('pre#capture-text').innerText();
    for (const s of ['<script>', 'document.location=', 'http://203.0.113.9/x.png', 'onerror=', '<meta http-equiv="refresh"']) {
      assert(text.includes(s), `pre#capture-text does not show ${s}`);
    }
    assert((await page.locator('pre#capture-text *').count()) === 0, 'pre#capture-text has child elements');
    await ownPageIsInert(page);
  }, { capturePage: true });

  let rawSrc = null;
  await watched('the capture in its frame: sandboxed, loaded, and nothing in it runs', () => capture, async () => {
    const [raw] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/capture/raw'),
      page.goto(capture),
    ]);
    const frameEl = page.locator('iframe#capture-frame');
    assert((await frameEl.count()) === 1, 'no iframe#capture-frame');
    rawSrc = new URL(await frameEl.getAttribute('src'), page.url());
    assert(rawSrc.origin === BASE.origin && rawSrc.pathname === '/capture/raw', `iframe src is ${rawSrc}`);
    assert(raw.url() === rawSrc.toString(), `the frame loaded ${raw.url()}`);
    const csp = raw.headers()['content-security-policy'] || '';
    assert(/(^|;)\s*sandbox\s*(;|$)/.test(csp), `/capture/raw CSP has no bare sandbox: "${csp}"`);
    assert(/default-src 'none'/.test(csp), `/capture/raw CSP "${csp}"`);
    assert(!/script-src|allow-scripts|unsafe/.test(csp), `/capture/raw CSP allows scripts: "${csp}"`);
    assert(raw.status() === 200, `/capture/raw answered ${raw.status()}`);
    assert((await raw.text()).includes(TITLE), 'the frame did not get the captured page');
    const frame = page.frames().find((f) => f.url() === rawSrc.toString());
    assert(frame, `no frame at ${rawSrc}; frames: ${page.frames().map((f) => f.url())}`);
    // The frame shows the capture (not an error page: a frame refused by X-Frame-Options
    // or frame-ancestors would be empty).
    const shown = await frame.locator('h2.listing-title').innerText({ timeout: 5000 });
    assert(shown.includes(TITLE), `the frame shows ${shown}`);
    // Try the bait: javascript: links, an onclick, an onmouseover.
    await frame.locator('a', { hasText: 'Click to reveal vendor contact' }).click({ timeout: 5000 });
    await frame.locator('a', { hasText: 'Free sample' }).click({ timeout: 5000 });
    await frame.locator('div[onmouseover]').hover({ timeout: 5000 });
    await shot(page, 'hostile-capture');
  }, { capturePage: true });

  await check('no script ran in the frame (its variables are unset, the top page unchanged)', async () => {
    const frame = rawSrc && page.frames().find((f) => f.url() === rawSrc.toString());
    assert(frame, 'no capture frame');
    const ran = await frame.evaluate(() => typeof window.w !== 'undefined');
    assert(!ran, 'the capture\'s inline script ran (window.w is set)');
    assert(page.url() === capture, `the top page is at ${page.url()}`);
    const top = await page.evaluate(() => window.location.href);
    assert(top === capture, `window.location is ${top}`);
  });

  await watched('the frame\'s URL opened on its own is still sandboxed', () => (rawSrc ? rawSrc.toString() : ''), async () => {
    assert(rawSrc, 'no frame URL');
    const res = await page.goto(rawSrc.toString());
    const csp = res.headers()['content-security-policy'] || '';
    assert(/\bsandbox\b/.test(csp), `CSP "${csp}"`);
    const ran = await page.evaluate(() => typeof window.w !== 'undefined');
    assert(!ran, 'the capture\'s inline script ran');
    await shot(page, 'hostile-raw');
  }, { capturePage: true });

  await watched(`the vendor page of ${VENDOR} (the hostile listing's vendor) stays inert`, () => page.url(), async () => {
    const target = vendorHref ? new URL(vendorHref, url('/')).toString() : url(`/vendor?site=${SITE}&handle=${VENDOR}`);
    await page.goto(target);
    assert((await page.locator('h1#handle').innerText()).includes(VENDOR), `h1#handle is ${await page.locator('h1#handle').innerText()}`);
    assert((await page.locator('#listings').innerText()).includes(TITLE), `#listings does not show ${TITLE}`);
    await ownPageIsInert(page);
    await shot(page, 'hostile-vendor');
  });

  await check('POST /watchlists without a csrf token is refused (403) and adds nothing', async () => {
    await page.goto(url('/watchlists'));
    const form = page.locator('form#new-rule');
    await form.locator('input[name=name]').fill('no-csrf');
    await form.locator('select[name=kind]').selectOption('vendor');
    await form.locator('input[name=value]').fill(VENDOR);
    await form.locator('input[name=recipients]').fill('x@example.org');
    await form.locator('input[name=csrf]').evaluate((e) => e.remove());
    const [res] = await Promise.all([page.waitForNavigation(), form.locator('[type=submit]').click()]);
    assert(res.status() === 403, `answered ${res.status()}`);
    await shot(page, 'csrf-missing');
    await page.goto(url('/watchlists'));
    assert((await page.locator('tr.rule[data-name="no-csrf"]').count()) === 0, 'the rule was added');
  });

  await check('POST /watchlists with a wrong csrf token is refused (403)', async () => {
    await page.goto(url('/watchlists'));
    const form = page.locator('form#new-rule');
    await form.locator('input[name=name]').fill('bad-csrf');
    await form.locator('select[name=kind]').selectOption('vendor');
    await form.locator('input[name=value]').fill(VENDOR);
    await form.locator('input[name=recipients]').fill('x@example.org');
    await form.locator('input[name=csrf]').evaluate((e) => { e.value = 'A'.repeat(e.value.length || 32); });
    const [res] = await Promise.all([page.waitForNavigation(), form.locator('[type=submit]').click()]);
    assert(res.status() === 403, `answered ${res.status()}`);
  });

  await note('a form on another origin cannot post to /watchlists with the session', async () => {
    // A page the browser got from elsewhere (here: a data: URL, an opaque origin) posts a
    // rule; whether the cookie is withheld (SameSite) or the token is missing, no rule.
    await page.goto(url('/watchlists'));
    const token = await page.locator('form#new-rule input[name=csrf]').inputValue();
    const html = `<form id=f method=post action="${url('/watchlists')}"><input name=name value=cross-site><input name=kind value=vendor>` +
      `<input name=value value=${VENDOR}><input name=severity value=info><input name=recipients value=x@example.org><input name=csrf value="${token}"><button>go</button></form>`;
    await page.goto(`data:text/html,${encodeURIComponent(html)}`);
    const [res] = await Promise.all([page.waitForNavigation(), page.locator('#f button').click()]);
    console.log(`     the cross-site post ended at ${page.url()} (${res && res.status()})`);
    await page.goto(url('/watchlists'));
    assert((await page.locator('tr.rule[data-name="cross-site"]').count()) === 0, 'the cross-site rule was added');
  });

  await note('our pages may not be framed by others', async () => {
    const res = await page.goto(url('/watchlists'));
    const h = res.headers();
    assert(/frame-ancestors 'none'/.test(h['content-security-policy'] || '') || /deny/i.test(h['x-frame-options'] || ''), `headers ${JSON.stringify(h)}`);
  });

  const investigator = process.env.CENTINELA_INVESTIGATOR;
  if (investigator) {
    await check('an investigator may read /watchlists but POST is refused (403)', async () => {
      await page.goto(url('/'));
      await Promise.all([page.waitForNavigation(), page.locator('form#logout [type=submit]').click()]);
      await page.goto(url('/watchlists'));
      await submitLogin(page, investigator, env('CENTINELA_INVESTIGATOR_PASSWORD'));
      assert(new URL(page.url()).pathname === '/watchlists', `after login on ${page.url()}`);
      if ((await page.locator('form#new-rule').count()) === 0) {
        // Not offered to investigators: post the same form anyway, with this session's
        // own token (the logout form carries it), as a crafted request would.
        console.log('     (no form#new-rule shown to investigators: posting one with their token)');
        const token = await page.locator('form#logout input[name=csrf]').inputValue();
        await page.evaluate((csrf) => {
          const f = document.createElement('form');
          f.id = 'new-rule';
          f.method = 'post';
          f.action = '/watchlists';
          for (const [name, value] of Object.entries({ name: '', value: '', recipients: '', kind: 'vendor', severity: 'info', csrf })) {
            const i = document.createElement('input');
            i.name = name;
            i.value = value;
            f.append(i);
          }
          const b = document.createElement('button');
          b.type = 'submit';
          b.textContent = 'add';
          f.append(b);
          document.body.append(f);
        }, token);
      }
      const form = page.locator('form#new-rule');
      await form.locator('[name=name]').fill('by-investigator');
      await form.locator('[name=kind]').evaluate((e) => { e.value = 'vendor'; });
      await form.locator('[name=value]').fill(VENDOR);
      await form.locator('[name=recipients]').fill('x@example.org');
      const [res] = await Promise.all([page.waitForNavigation(), form.locator('[type=submit]').click()]);
      assert(res.status() === 403, `answered ${res.status()}`);
      await page.goto(url('/watchlists'));
      assert((await page.locator('tr.rule[data-name="by-investigator"]').count()) === 0, 'the investigator\'s rule was added');
    });
    await note('an investigator is refused /audit (403)', async () => {
      const res = await page.goto(url('/audit'));
      assert(res.status() === 403, `/audit answered ${res.status()}`);
    });
  }

  await check('over the whole run: nothing but the server was asked for anything', async () => {
    // The capture's remote image is asked for and refused by the frame's CSP before it is
    // sent; anything else off the server, or anything that reached the network fence, fails.
    const off = offServerRequests(log, { allowRefused: true });
    assert(off.length === 0 && browser.offServer.length === 0, `off the server: ${off.map((r) => r.url).concat(browser.offServer).join(', ')}`);
    assert(log.sockets.length === 0, `web sockets: ${log.sockets}`);
    assert(log.dialogs.length === 0, `dialogs: ${log.dialogs}`);
  });

  console.log(`  ${log.requests.length} requests, all to ${BASE.host}`);
  await browser.close();
  return finish();
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
