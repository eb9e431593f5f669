// An investigator's morning in the web UI, in a real browser: log in (after a typo in the
// password), search for cocaine shipped to Lima, open the listing, its vendor, the same
// vendor on a forum, put the vendor on a watchlist, glance at alerts, sites and the audit
// log, switch to English, log out. A screenshot at each step.
//
//   BASE_URL=http://127.0.0.1:PORT/ CENTINELA_USER=... CENTINELA_PASSWORD=... \
//   SCREENSHOT_DIR=... NODE_PATH=/var/cache/centinela-node/node_modules node tests/browser/story.cjs
'use strict';

const {
  assert, chain, checks, env, launch, offServerRequests, ownPageIsInert, record, shot, submitLogin, url,
} = require('./common.cjs');

const USER = env('CENTINELA_USER');
const PASSWORD = env('CENTINELA_PASSWORD');
const QUERY = 'cocaina envio lima';
const LISTING_TITLE = 'Cocaína — envío a Lima';
// Unique, so that the story can be run again against the same server.
const RULE = `browser-story-${Date.now().toString(36)}`;

/** A message of the captured page in its sandboxed frame (the browser refusing it things). */
function fromCapture(message) {
  try {
    return new URL(message.at).pathname === '/capture/raw';
  } catch (_) {
    return false;
  }
}

/** Chromium logs a page answered with an error status: the wrong password's 401 is one. */
function expectedStatus(message) {
  return /^Failed to load resource: the server responded with a status of 401\b/.test(message.text) &&
    new URL(message.at || message.page).pathname === '/login';
}

async function main() {
  const browser = await launch();
  const log = record(browser.context);
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  const { check, note, finish } = checks('story');
  const pathOf = () => new URL(page.url()).pathname;

  await check('without a session / redirects (303) to /login?next=...', async () => {
    const steps = await chain(await page.goto(url('/')));
    assert(steps.length >= 2, `no redirect: ${JSON.stringify(steps)}`);
    assert(steps[0].status === 303, `first answer ${steps[0].status}, want 303`);
    const at = new URL(page.url());
    assert(at.pathname === '/login', `landed on ${page.url()}`);
    assert(at.searchParams.has('next'), `no next= in ${page.url()}`);
    await shot(page, 'login');
  });

  await check('login form has user, password, csrf and submit', async () => {
    const form = page.locator('form#login[method=post][action="/login"]');
    assert((await form.count()) === 1, 'no form#login method=post action=/login');
    for (const sel of ['input[name=user]', 'input[name=password]', 'input[type=hidden][name=csrf]', 'button[type=submit]']) {
      assert((await form.locator(sel).count()) === 1, `no ${sel} in form#login`);
    }
    assert((await form.locator('input[name=password]').getAttribute('type')) === 'password', 'password input is not type=password');
    await ownPageIsInert(page);
  });

  await check('a wrong password shows #login-error', async () => {
    await submitLogin(page, USER, `${PASSWORD}-wrong`);
    assert(pathOf() === '/login', `after a wrong password the browser is on ${page.url()}`);
    assert(await page.locator('#login-error').isVisible(), 'no visible #login-error');
    await shot(page, 'login-error');
  });

  const loggedIn = await check('the right password logs in (303 to /)', async () => {
    if (pathOf() !== '/login') await page.goto(url('/login'));
    const steps = await chain(await submitLogin(page, USER, PASSWORD));
    const post = steps.find((s) => s.method === 'POST');
    assert(post && post.status === 303, `POST /login answered ${post && post.status}, want 303`);
    assert(pathOf() === '/', `after login the browser is on ${page.url()}`);
    assert((await page.locator('form#logout[method=post][action="/logout"]').count()) === 1, 'no form#logout in the header');
    await ownPageIsInert(page);
    await shot(page, 'home');
  });

  if (!loggedIn) {
    await browser.close();
    return finish();
  }

  await check(`search "${QUERY}" finds "${LISTING_TITLE}" with <mark>`, async () => {
    if (pathOf() !== '/') await page.goto(url('/'));
    const form = page.locator('form#search[method=get][action="/search"]');
    assert((await form.count()) === 1, 'no form#search method=get action=/search');
    await form.locator('input[name=q]').fill(QUERY);
    await Promise.all([page.waitForNavigation(), form.locator('input[name=q]').press('Enter')]);
    const at = new URL(page.url());
    assert(at.pathname === '/search' && at.searchParams.get('q') === QUERY, `searched at ${page.url()}`);
    await page.locator('ol#results li.hit').first().waitFor();
    assert((await page.locator('#result-count').count()) === 1, 'no #result-count');
    assert((await page.locator('#facets').count()) === 1, 'no #facets');
    const hit = page.locator('ol#results li.hit.hit-listing', { has: page.locator('a.hit-title', { hasText: LISTING_TITLE }) });
    assert((await hit.count()) >= 1, `no li.hit.hit-listing titled ${LISTING_TITLE}; hits: ${(await page.locator('ol#results li.hit a.hit-title').allTextContents()).join(' | ')}`);
    const marks = await hit.first().locator('mark').allTextContents();
    assert(marks.length > 0, 'the hit has no <mark>');
    const href = await hit.first().locator('a.hit-title').getAttribute('href');
    const target = new URL(href, page.url());
    assert(target.pathname === '/listing' && target.searchParams.get('site') === 'mercado-andino' && target.searchParams.get('url'),
      `hit links to ${href}, want /listing?site=mercado-andino&url=...`);
    await ownPageIsInert(page);
    console.log(`     marked: ${marks.join(', ')}; ${(await page.locator('#result-count').innerText()).trim()}`);
    await shot(page, 'search');
  });

  await check('a facet (site mercado-andino) narrows the results to that site', async () => {
    await page.goto(url(`/search?q=${encodeURIComponent(QUERY)}`));
    const facet = page.locator('#facets a', { hasText: 'mercado-andino' }).first();
    assert((await facet.count()) === 1, `no link for mercado-andino in #facets: ${await page.locator('#facets').innerText()}`);
    await Promise.all([page.waitForNavigation(), facet.click()]);
    const at = new URL(page.url());
    assert(at.pathname === '/search' && at.searchParams.get('site') === 'mercado-andino' && at.searchParams.get('q') === QUERY, `the facet went to ${page.url()}`);
    const sites = await page.locator('ol#results li.hit a.hit-title').evaluateAll((as) => as.map((a) => new URL(a.href).searchParams.get('site')));
    assert(sites.length > 0 && sites.every((x) => x === 'mercado-andino'), `hits from ${sites}`);
    await shot(page, 'search-facet');
  });

  await check('vendor and post hits link to their pages (li.hit-vendor, li.hit-post)', async () => {
    await page.goto(url('/search?q=CondorBlanco'));
    const vendor = page.locator('ol#results li.hit.hit-vendor a.hit-title').first();
    assert((await vendor.count()) === 1, `no li.hit.hit-vendor for CondorBlanco; hits: ${await page.locator('ol#results li.hit').evaluateAll((l) => l.map((e) => e.className))}`);
    const v = new URL(await vendor.getAttribute('href'), page.url());
    assert(v.pathname === '/vendor' && v.searchParams.get('site') && v.searchParams.get('handle'), `the vendor hit links to ${v}`);
    const post = page.locator('ol#results li.hit.hit-post a.hit-title').first();
    assert((await post.count()) === 1, 'no li.hit.hit-post for CondorBlanco (dread-board talks about him)');
    const p = new URL(await post.getAttribute('href'), page.url());
    assert(p.pathname === '/post', `the post hit links to ${p}`);
    await shot(page, 'search-kinds');
    const res = await page.goto(p.toString());
    assert(res.status() === 200, `${p} answered ${res.status()}`);
    await ownPageIsInert(page);
    await shot(page, 'post');
  });

  let listingUrl = null;
  await check('the listing page: title, vendor link, Peru signals, capture', async () => {
    await page.goto(url(`/search?q=${encodeURIComponent(QUERY)}`));
    const link = page.locator('ol#results li.hit a.hit-title', { hasText: LISTING_TITLE }).first();
    await Promise.all([page.waitForNavigation(), link.click()]);
    listingUrl = page.url();
    assert(pathOf() === '/listing', `on ${page.url()}`);
    assert((await page.locator('h1#title').innerText()).includes(LISTING_TITLE), `h1#title is ${await page.locator('h1#title').innerText()}`);
    const vendor = new URL(await page.locator('a#vendor-link').getAttribute('href'), page.url());
    assert(vendor.pathname === '/vendor' && vendor.searchParams.get('site') === 'mercado-andino' && vendor.searchParams.get('handle') === 'CondorBlanco',
      `a#vendor-link goes to ${vendor}`);
    assert((await page.locator('#peru').innerText()).trim().length > 0, '#peru is empty');
    const capture = await page.locator('#capture').innerText();
    assert(/\b[0-9a-f]{64}\b/i.test(capture), `#capture shows no SHA-256: ${capture}`);
    const cap = new URL(await page.locator('#capture a#capture-link').getAttribute('href'), page.url());
    assert(cap.pathname === '/capture' && cap.searchParams.get('kind') === 'listing' && cap.searchParams.get('site') === 'mercado-andino' && cap.searchParams.get('url'),
      `a#capture-link goes to ${cap}`);
    await ownPageIsInert(page);
    await shot(page, 'listing');
  });

  await check('the listing\'s capture: escaped text and a sandboxed frame', async () => {
    if (!listingUrl) throw new Error('no listing page to start from');
    await page.goto(listingUrl);
    const [raw] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/capture/raw'),
      Promise.all([page.waitForNavigation(), page.locator('a#capture-link').click()]),
    ]);
    assert((await page.locator('pre#capture-text').innerText()).includes('<'), 'pre#capture-text shows no HTML source');
    const csp = raw.headers()['content-security-policy'] || '';
    assert(/\bsandbox\b/.test(csp) && /default-src 'none'/.test(csp), `/capture/raw CSP is "${csp}"`);
    await ownPageIsInert(page);
    await shot(page, 'capture');
  });

  await check('the vendor page of CondorBlanco links to Kondor_Lima on foro-sur', async () => {
    if (listingUrl) await page.goto(listingUrl);
    if ((await page.locator('a#vendor-link').count()) === 1) {
      await Promise.all([page.waitForNavigation(), page.locator('a#vendor-link').click()]);
    } else {
      await page.goto(url('/vendor?site=mercado-andino&handle=CondorBlanco'));
    }
    assert((await page.locator('h1#handle').innerText()).includes('CondorBlanco'), `h1#handle is ${await page.locator('h1#handle').innerText()}`);
    assert((await page.locator('#listings').count()) === 1, 'no #listings');
    assert((await page.locator('#listings').innerText()).includes(LISTING_TITLE), `#listings does not show ${LISTING_TITLE}`);
    const linked = page.locator('ul#linked li.linked-vendor a', { hasText: 'Kondor_Lima' });
    assert((await linked.count()) >= 1, `no ul#linked li.linked-vendor a for Kondor_Lima; linked: ${(await page.locator('ul#linked li.linked-vendor').allInnerTexts()).join(' | ')}`);
    await ownPageIsInert(page);
    await shot(page, 'vendor');
  });

  await check('following the linked vendor opens Kondor_Lima on foro-sur', async () => {
    const linked = page.locator('ul#linked li.linked-vendor a', { hasText: 'Kondor_Lima' }).first();
    await Promise.all([page.waitForNavigation(), linked.click()]);
    const at = new URL(page.url());
    assert(at.pathname === '/vendor' && at.searchParams.get('site') === 'foro-sur' && at.searchParams.get('handle') === 'Kondor_Lima',
      `on ${page.url()}`);
    assert((await page.locator('h1#handle').innerText()).includes('Kondor_Lima'), `h1#handle is ${await page.locator('h1#handle').innerText()}`);
    await ownPageIsInert(page);
    await shot(page, 'linked-vendor');
  });

  await note('Kondor_Lima links back to CondorBlanco', async () => {
    const back = page.locator('ul#linked li.linked-vendor a', { hasText: 'CondorBlanco' });
    assert((await back.count()) >= 1, `linked: ${(await page.locator('ul#linked li.linked-vendor').allInnerTexts()).join(' | ')}`);
  });

  await check('an address page shows sightings and explorer links', async () => {
    // A wallet from the samples (see tests/search.rs).
    await page.goto(url('/address/185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk'));
    await shot(page, 'address');
    await ownPageIsInert(page);
    const problems = [];
    const h1 = page.locator('h1#address');
    if ((await h1.count()) !== 1) problems.push(`no h1#address (the h1 is ${await page.locator('h1').first().evaluate((e) => e.outerHTML).catch(() => 'missing')})`);
    else if (!(await h1.innerText()).includes('185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk')) problems.push('h1#address does not show the address');
    if ((await page.locator('#sightings').count()) !== 1 || !(await page.locator('#sightings').innerText()).trim()) problems.push('no #sightings, or it is empty');
    if ((await page.locator('a.explorer').count()) < 1) problems.push('no a.explorer');
    assert(problems.length === 0, problems.join('; '));
  });

  await check(`a new watchlist rule through form#new-rule shows as tr.rule[data-name=${RULE}]`, async () => {
    await page.goto(url('/watchlists'));
    await shot(page, 'watchlists');
    const form = page.locator('form#new-rule[method=post][action="/watchlists"]');
    assert((await form.count()) === 1, 'no form#new-rule method=post action=/watchlists');
    assert((await form.locator('input[type=hidden][name=csrf]').count()) === 1, 'no hidden csrf in form#new-rule');
    const kinds = await form.locator('select[name=kind] option').evaluateAll((os) => os.map((o) => o.value));
    for (const k of ['vendor', 'address', 'contact', 'pgp', 'query', 'peru_score']) assert(kinds.includes(k), `select[name=kind] lacks ${k} (has ${kinds})`);
    const severities = await form.locator('select[name=severity] option').evaluateAll((os) => os.map((o) => o.value));
    for (const s of ['info', 'warning', 'critical']) assert(severities.includes(s), `select[name=severity] lacks ${s} (has ${severities})`);
    await form.locator('input[name=name]').fill(RULE);
    await form.locator('select[name=kind]').selectOption('vendor');
    await form.locator('input[name=value]').fill('CondorBlanco');
    await form.locator('select[name=severity]').selectOption('warning');
    await form.locator('input[name=recipients]').fill('supervisor@example.org, jefe@example.org');
    const steps = await chain((await Promise.all([page.waitForNavigation(), form.locator('[type=submit]').click()]))[0]);
    const post = steps.find((s) => s.method === 'POST');
    assert(post && post.status === 303, `POST /watchlists answered ${post && post.status}, want 303 (${JSON.stringify(steps.map((s) => s.status))})`);
    assert(pathOf() === '/watchlists', `after adding the rule the browser is on ${page.url()}`);
    const row = page.locator(`tr.rule[data-name="${RULE}"]`);
    assert((await row.count()) === 1, `no tr.rule[data-name=${RULE}]; rows: ${await page.locator('tr.rule').evaluateAll((rs) => rs.map((r) => r.dataset.name))}`);
    const text = await row.innerText();
    assert(text.includes('CondorBlanco'), `the new row does not show its value: ${text}`);
    await ownPageIsInert(page);
    await row.scrollIntoViewIfNeeded();
    await shot(page, 'watchlist-added');
  });

  for (const [route, name] of [['/alerts', 'alerts'], ['/sites', 'sites'], ['/audit', 'audit']]) {
    await check(`${route} answers 200 for an admin`, async () => {
      const res = await page.goto(url(route));
      assert(res.status() === 200, `${route} answered ${res.status()}`);
      assert(new URL(page.url()).pathname === route, `${route} went to ${page.url()}`);
      await ownPageIsInert(page);
      await shot(page, name);
    });
  }

  await note('the audit log shows this login and the new rule', async () => {
    if (pathOf() !== '/audit') await page.goto(url('/audit'));
    const text = await page.locator('body').innerText();
    assert(text.includes(USER), `the audit log does not name ${USER}`);
    assert(text.includes(RULE), `the audit log does not name the rule ${RULE}`);
  });

  const ENGLISH = /\b(Search|Alerts|Log out|Sign out|Sites|Watchlists)\b/;
  await check('switching to English (a#lang-en) shows English and sticks (cookie lang)', async () => {
    await page.goto(url('/watchlists'));
    const spanish = await page.locator('body').innerText();
    assert(!ENGLISH.test(spanish), `the default page is in English: ${spanish.slice(0, 200)}`);
    const link = page.locator('a#lang-en');
    assert((await link.count()) === 1, 'no a#lang-en');
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert(new URL(page.url()).pathname === '/watchlists', `switching language left /watchlists for ${page.url()}`);
    const english = await page.locator('body').innerText();
    assert(english !== spanish, 'the page did not change');
    assert(ENGLISH.test(english), `no English word on the page: ${english.slice(0, 200)}`);
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'lang');
    assert(cookie && cookie.value === 'en', `cookie lang is ${cookie && cookie.value}`);
    await page.goto(url(`/search?q=${encodeURIComponent(QUERY)}`));
    assert(ENGLISH.test(await page.locator('body').innerText()), 'the next page is not in English: the choice did not stick');
    await ownPageIsInert(page);
    await shot(page, 'english');
  });

  await note('<html lang> follows the language', async () => {
    const en = await page.evaluate(() => document.documentElement.lang);
    assert(en.startsWith('en'), `English page has <html lang="${en}">`);
    await page.goto(url('/watchlists?lang=es'));
    const es = await page.evaluate(() => document.documentElement.lang);
    assert(es.startsWith('es'), `Spanish page (?lang=es) has <html lang="${es}">`);
  });

  await check('?lang=es switches back to Spanish', async () => {
    await page.goto(url('/watchlists?lang=es'));
    assert(!ENGLISH.test(await page.locator('body').innerText()), '?lang=es still shows English');
  });

  await check('logging out (form#logout) ends the session', async () => {
    await page.goto(url('/'));
    await Promise.all([page.waitForNavigation(), page.locator('form#logout [type=submit]').click()]);
    const res = await page.goto(url('/watchlists'));
    assert(new URL(page.url()).pathname === '/login', `after logout /watchlists shows ${page.url()} (${res.status()})`);
    await shot(page, 'logged-out');
  });

  await check('the browser talked to nothing but the server', async () => {
    const off = offServerRequests(log, { allowRefused: true }).concat(browser.offServer.map((u) => ({ url: u })));
    assert(off.length === 0, `requests off the server: ${off.map((r) => r.url).join(', ')}`);
    assert(log.sockets.length === 0, `web sockets: ${log.sockets}`);
  });

  await check('no console error, page error, dialog or popup on our pages', async () => {
    const bad = [
      ...log.console.filter((m) => (m.type === 'error' || m.type === 'warning') && !fromCapture(m) && !expectedStatus(m)).map((m) => `console ${m.type}: ${m.text} (${m.at || m.page})`),
      ...log.errors.map((e) => `pageerror: ${e}`),
      ...log.dialogs.map((d) => `dialog: ${d}`),
      ...log.popups.map((p) => `popup: ${p}`),
    ];
    assert(bad.length === 0, bad.join('\n'));
  });

  console.log(`  ${log.requests.length} requests, all to ${new URL(url('/')).host}`);
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
