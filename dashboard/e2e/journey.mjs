// The dashboard's browser tests, in one Chromium against one running local cloud (`make run`'s
// stack). Run by tests/e2e/test_dashboard.py; by hand:
//   node e2e/journey.mjs --dashboard http://127.0.0.1:5173 --api http://127.0.0.1:3000 \
//        --sandbox http://127.0.0.1:3002 --vinted-port 3003 --extension ../extension \
//        --cloud-log .stoflow-data/run.log --screenshots e2e/screenshots
// With --extension, the browser is a reseller's: the StoFlow extension loaded and www.vinted.fr
// answered by the local cloud's Vinted sandbox; the journey then connects eBay and Etsy through
// the sandboxes' consent pages, pairs the extension, publishes everywhere and sells on Etsy.
// Each scenario prints one JSON line {scenario, ok, ...}; the exit status is 1 if any failed.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, launchWithExtension } from './browser.mjs';
import { png } from './png.mjs';

const { values: opts } = parseArgs({
  options: {
    dashboard: { type: 'string' },
    api: { type: 'string' },
    'cloud-log': { type: 'string' },
    screenshots: { type: 'string' },
    only: { type: 'string' },
    email: { type: 'string' },
    sandbox: { type: 'string' },
    'vinted-port': { type: 'string' },
    extension: { type: 'string' },
  },
});
const SANDBOX = opts.sandbox?.replace(/\/$/, '');
const MARKETS = ['vinted', 'ebay', 'etsy'];
// Publishing and delisting run through the job queue, the extension and the sandboxes.
const JOB_TIMEOUT = 120_000;
const DASH = opts.dashboard.replace(/\/$/, '');
const API = opts.api.replace(/\/$/, '');
const SHOTS = opts.screenshots;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TIMEOUT = 30_000;
const password = 'correct-horse-battery-42';
const email = opts.email ?? `reseller-${Date.now()}@example.com`;

const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  // A tab in the background draws no frame to capture (several tabs share one window here).
  await page.bringToFront();
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The verification link the local cloud printed for `address` (it sends no mail). */
async function verificationLink(address) {
  const pattern = new RegExp(`\\[stoflow\\] verify ${address.replace(/[.+]/g, '\\$&')}: (\\S+)`);
  for (let i = 0; i < 200; i += 1) {
    const found = readFileSync(opts['cloud-log'], 'utf8').match(pattern);
    if (found) return found[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no verification link for ${address} in the local cloud's output`);
}

async function signIn(page, who = email) {
  await page.goto(`${DASH}/sign-in`);
  await page.getByLabel(/^(Email|E-mail)$/).fill(who);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click();
  await page.waitForURL(/\/products/, { timeout: TIMEOUT });
}

async function apiCall(method, path, token, body) {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json().catch(() => null) };
}

const session = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('stoflow.session') ?? 'null'));

/** The marketplace sandboxes' control API (what `stoflow sandbox sell ...` calls). */
async function sandboxAct(marketplace, action, params) {
  const response = await fetch(`${SANDBOX}/sandbox/api/${marketplace}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = await response.json();
  check(response.ok, `sandbox ${marketplace} ${action}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** Save a marketplace's settings form; the API must take them. */
async function saveSettings(page, marketplace) {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/marketplaces/${marketplace}/settings`)),
    page.locator(`section[data-marketplace=${marketplace}]`).getByRole('button', { name: 'Save' }).click(),
  ]);
  check(answer.status() === 200, `${marketplace} settings: ${answer.status()} ${await answer.text()}`);
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
}

/** The product page's marketplace panel row, once it shows `status` (the panel follows the jobs live). */
async function listingShows(page, marketplace, status) {
  await page
    .locator(`tr[data-marketplace=${marketplace}] [data-testid=listing-state] .badge`)
    .filter({ hasText: new RegExp(`^\\s*${status}\\s*$`) })
    .waitFor({ timeout: JOB_TIMEOUT });
}

const state = { productId: null, productPage: null, extensionId: null };
const contextOptions = { locale: 'en-GB', viewport: { width: 1280, height: 860 } };
const profile = opts.extension ? await mkdtemp(join(tmpdir(), 'stoflow-dashboard-profile-')) : null;
const browser = opts.extension ? null : await launch();
const context = opts.extension
  ? await launchWithExtension({
      userDataDir: profile,
      extensionDir: resolve(opts.extension),
      vintedPort: opts['vinted-port'],
      ...contextOptions,
    })
  : await browser.newContext(contextOptions);
context.setDefaultTimeout(TIMEOUT);
const cspViolations = [];
context.on('console', (message) => {
  if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
});

const scenarios = {
  async 'sign up, verify the email, sign in'() {
    const page = await context.newPage();
    await page.goto(`${DASH}/sign-up`);
    await shot(page, 'sign-up');
    await page.getByLabel(/^(Email|E-mail)$/).fill(email);
    await page.getByLabel(/^(Password|Mot de passe)/).fill(password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.getByText('We sent a confirmation link').waitFor();
    const link = await verificationLink(email);
    check(link.startsWith(`${DASH}/verify-email?token=`), `the link opens the dashboard: ${link}`);
    await page.goto(link);
    await page.getByText('Your email address is confirmed').waitFor();
    await signIn(page);
    await shot(page, 'sign-in-done-products-empty');
    await page.close();
  },

  async 'create a product with three photos and a label'() {
    const page = await context.newPage();
    await page.goto(`${DASH}/products`);
    await page.getByRole('link', { name: 'New product' }).click();
    await page.getByLabel('Title').fill('Levi’s 501 jeans');
    await page.getByLabel('Price (€)', { exact: true }).fill('35');
    await page.getByLabel('SKU').fill('JEAN-501');
    const brand = page.locator('#pick-brand');
    await brand.fill('Lev');
    await page.getByRole('option', { name: /Levi/ }).first().click();
    const category = page.locator('#pick-category');
    await category.fill('Jeans');
    await page.getByRole('option', { name: /Jeans/ }).first().click();
    await page.locator('#pick-condition').fill('Very good');
    await page.getByRole('option', { name: /^Very good/ }).first().click();
    // What the marketplaces require (the readiness check refuses a publish without it): a size and a
    // colour for Vinted, a size type for eBay, a year made for Etsy (vintage: twenty years or more).
    await page.locator('#pick-size').fill('M');
    await page.getByRole('option', { name: /^M\b/ }).first().click();
    await page.locator('#pick-size-type').fill('Regular');
    await page.getByRole('option', { name: /Regular/ }).first().click();
    await page.locator('#pick-colors').fill('Blue');
    await page.getByRole('option', { name: /Blue/ }).first().click();
    await page.getByLabel('Year made').fill('1995');
    await page.getByRole('button', { name: 'Create the product' }).click();
    await page.waitForURL(/\/products\/\d+$/);
    state.productId = Number(page.url().split('/').pop());
    const files = [
      { name: 'front.png', mimeType: 'image/png', buffer: png(320, 320, [30, 60, 160]) },
      { name: 'back.png', mimeType: 'image/png', buffer: png(320, 320, [160, 60, 30]) },
      { name: 'label.png', mimeType: 'image/png', buffer: png(320, 320, [230, 230, 230]) },
    ];
    await page.locator('input[type=file]').setInputFiles(files);
    await page.locator('[data-testid=photo]').nth(2).waitFor();
    check((await page.locator('[data-testid=photo]').count()) === 3, 'three photos');
    await page.locator('[data-testid=photo]').nth(2).getByRole('button', { name: 'This is the label' }).click();
    await page.locator('[data-testid=label-badge]').waitFor();
    check((await page.locator('[data-testid=label-badge]').count()) === 1, 'one label badge');
    await page.getByText('labels are never published').waitFor();
    // Reorder: the label first, then back (the server keeps the order).
    await page.locator('[data-testid=photo]').nth(1).getByRole('button', { name: 'Move photo 2 earlier' }).click();
    await page.waitForLoadState('networkidle');
    await shot(page, 'product-editor');
    await page.goto(`${DASH}/products`);
    await page.getByRole('link', { name: 'Levi’s 501 jeans' }).waitFor();
    await shot(page, 'products');
    await page.close();
  },

  async 'an optimistic-lock conflict is explained with a reload'() {
    const page = await context.newPage();
    await page.goto(`${DASH}/products/${state.productId}`);
    await page.getByLabel('Title').waitFor();
    await page.waitForLoadState('networkidle');
    const { access_token: token } = await session(page);
    const current = await apiCall('GET', `/products/${state.productId}`, token);
    const changed = await apiCall('PATCH', `/products/${state.productId}`, token, { version: current.body.version, sku: 'JEAN-501-B' });
    check(changed.status === 200, `PATCH elsewhere: ${changed.status}`);
    await page.getByLabel('Title').fill('Levi’s 501 jeans, W32');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Someone changed this product').waitFor();
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'GET' && r.url().endsWith(`/products/${state.productId}`)),
      page.getByRole('button', { name: 'Reload the product' }).click(),
    ]);
    await page.getByText('Someone changed this product').waitFor({ state: 'detached' });
    // (The SKU, not the stock: one unit left, a sale delists it everywhere else.)
    const sku = page.getByLabel('SKU');
    await sku.and(page.locator(':not([aria-busy=true]) *')).waitFor();
    check((await sku.inputValue()) === 'JEAN-501-B', `the reload shows the other change: ${await sku.inputValue()}`);
    await shot(page, 'conflict-reloaded');
    await page.close();
  },

  async "a failed job's reason in plain words"() {
    const page = await context.newPage();
    await page.goto(`${DASH}/products/${state.productId}`);
    const row = page.locator('tr[data-marketplace=etsy]');
    await row.getByRole('button', { name: 'Publish' }).click();
    // Refused at once (e.g. the marketplace is not connected): the panel says why; queued: the
    // job fails later and the activity page says why.
    const refused = page.locator('section[aria-labelledby=mp-title] [role=alert]');
    const queued = row.getByText('Publish queued');
    await Promise.race([refused.waitFor(), queued.waitFor()]);
    let reason;
    if (await refused.count()) {
      reason = (await refused.textContent()).trim();
    } else {
      await page.goto(`${DASH}/activity`);
      reason = (await page.locator('[data-testid=job-reason]').first().textContent()).trim();
    }
    check(reason.length > 10 && !/http_\d+/.test(reason), `a reason in words: ${reason}`);
    await shot(page, 'failed-job-reason');
    await page.goto(`${DASH}/activity`);
    // Live status: a ticket from POST /ws/tickets, then the WebSocket API.
    await page.getByRole('status').filter({ hasText: /^live$/ }).waitFor();
    await shot(page, 'activity');
    await page.close();
    return { reason };
  },

  async 'connect eBay and Etsy through the sandboxes\' consent pages, then their settings'() {
    if (!SANDBOX) return { skipped: 'no --sandbox' };
    const page = await context.newPage();
    await page.goto(`${DASH}/marketplaces`);
    for (const [m, approve] of [
      ['ebay', 'Approve'],
      ['etsy', 'Allow access'],
    ]) {
      const section = page.locator(`section[data-marketplace=${m}]`);
      await section.getByRole('button', { name: 'Connect' }).click();
      // The marketplace's own page (the sandbox's), then back to the dashboard's callback route.
      await page.waitForURL((url) => url.href.startsWith(SANDBOX));
      if (m === 'ebay') await shot(page, 'ebay-consent');
      await page.getByRole('button', { name: approve }).click();
      await page.waitForURL(new RegExp(`/marketplaces\\?connected=${m}$`));
      await section.getByTestId('connection-state').filter({ hasText: /^connected$/ }).waitFor();
    }
    const ebay = page.locator('section[data-marketplace=ebay]');
    await ebay.locator('summary').click();
    await ebay.getByRole('button', { name: 'Load the business policies' }).click();
    for (const policy of ['Shipping policy', 'Payment policy', 'Return policy']) {
      const select = ebay.getByLabel(policy);
      await select.locator('option:nth-child(2)').waitFor({ state: 'attached' });
      await select.selectOption({ index: 1 });
    }
    await ebay.getByLabel('Default eBay category id').fill('11483');
    await ebay.getByLabel('Shipping from (country code)').fill('FR');
    await ebay.getByLabel('Postal code').fill('75011');
    await saveSettings(page, 'ebay');
    const etsy = page.locator('section[data-marketplace=etsy]');
    await etsy.locator('summary').click();
    await etsy.getByLabel('Shipping profile id').fill('9001');
    await etsy.getByLabel('Default taxonomy id').fill('2825');
    await etsy.getByLabel('Processing profile (readiness state) id').fill('7001');
    await saveSettings(page, 'etsy');
    await page.close();
  },

  async 'Vinted: pair the extension with the code the dashboard shows'() {
    const page = await context.newPage();
    await page.goto(`${DASH}/marketplaces`);
    await page.getByRole('button', { name: 'Show a pairing code' }).click();
    // (A hang guard: the extension function's first request starts its container.)
    const code = (await page.getByTestId('pairing-code').textContent({ timeout: JOB_TIMEOUT })).trim();
    check(/^[A-Z0-9-]{6,}$/.test(code), `a pairing code: ${code}`);
    await page.getByText('No paired browser.').waitFor();
    // The Vinted lane from GET /vinted/lane: the publish queued earlier waits for a browser, no pause.
    const lane = (await page.locator('[data-testid=lane-state]').textContent()).trim();
    check(lane.startsWith('Waiting for the extension') || lane === 'Nothing waiting', `the Vinted lane: ${lane}`);
    check((await page.locator('[data-testid=lane-writes-hour]').textContent()).trim() === '0 / 40', 'writes 0 / 40 this hour');
    await shot(page, 'marketplaces');
    if (!opts.extension) return { code };
    // The seller's Vinted tab (the extension works in it), then the extension's popup.
    state.vintedTab = await context.newPage();
    await state.vintedTab.goto('https://www.vinted.fr/');
    const worker = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ?? (await context.waitForEvent('serviceworker'));
    state.extensionId = new URL(worker.url()).host;
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${state.extensionId}/popup/popup.html`);
    await popup.locator('#api-base').fill(API);
    await popup.locator('#code').fill(code);
    await popup.locator('#pair-form button[type=submit]').click();
    await popup.locator('#paired-text:not([hidden]), #pair-error:not(:empty)').first().waitFor();
    const refused = (await popup.locator('#pair-error').textContent()).trim();
    check(!refused, `the extension paired: ${refused}`);
    await popup.close();
    await page.reload();
    await page.getByRole('button', { name: 'Revoke' }).waitFor();
    await shot(page, 'marketplaces-paired');
    await page.close();
    return { code };
  },

  async "eBay suggests a category from the product's title, one click fills it in"() {
    if (!SANDBOX || !state.productId) return { skipped: 'needs --sandbox and a product' };
    const page = await context.newPage();
    await page.goto(`${DASH}/products/${state.productId}`);
    const categories = page.getByTestId('marketplace-categories');
    await categories.getByRole('button', { name: 'Suggest from the title' }).click();
    const first = page.getByRole('region', { name: "eBay's suggestions" }).locator('button[data-category]').first();
    await first.waitFor({ timeout: JOB_TIMEOUT });
    const id = await first.getAttribute('data-category');
    await shot(page, 'category-suggestions');
    await first.click();
    const field = categories.getByLabel('eBay category id');
    check((await field.inputValue()) === id, `the suggestion ${id} filled in: ${await field.inputValue()}`);
    await page.close(); // not saved: the publish below uses the account's default category
    return { suggested: id };
  },

  async "the seller's own eBay item specifics are kept with the product"() {
    if (!state.productId) return { skipped: 'needs a product' };
    const page = await context.newPage();
    await page.goto(`${DASH}/products/${state.productId}`);
    const specifics = page.getByTestId('ebay-item-specifics');
    await specifics.getByRole('button', { name: 'Add an item specific' }).click();
    await specifics.locator('input[name=aspect_name_0]').fill('Model');
    await specifics.locator('input[name=aspect_values_0]').fill('501, 501 Original');
    await specifics.locator('input[name=aspect_values_0]').blur();
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/products/${state.productId}`)),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    await page.reload();
    const values = page.getByTestId('ebay-item-specifics').locator('input[name=aspect_values_0]');
    await values.waitFor();
    check((await values.inputValue()) === '501, 501 Original', `the item specific saved: ${await values.inputValue()}`);
    await shot(page, 'ebay-item-specifics');
    await page.close();
    return {};
  },

  async 'publish to Vinted, eBay and Etsy from the product page'() {
    if (!opts.extension || !SANDBOX) return { skipped: 'needs --extension and --sandbox' };
    const page = await context.newPage();
    state.productPage = page;
    await page.goto(`${DASH}/products/${state.productId}`);
    for (const m of MARKETS) {
      const row = page.locator(`tr[data-marketplace=${m}]`);
      await row.getByRole('button', { name: 'Publish' }).click();
      // The notice, or already the listing's next state (the extension can take a Vinted job at once).
      const queued = row.getByText('Publish queued').or(row.locator('[data-testid=listing-state] .badge').filter({ hasText: /^\s*(queued|listed)\s*$/ }));
      await queued.first().waitFor().catch(async (e) => {
        throw new Error(`${m}: no "Publish queued" (${await page.locator('main').innerText()}): ${e.message}`);
      });
    }
    for (const m of MARKETS) await listingShows(page, m, 'listed');
    await shot(page, 'product-listed-everywhere');
  },

  async 'a sale on Etsy: the product is sold, and delisted from Vinted and eBay'() {
    if (!state.productPage) return { skipped: 'nothing published' };
    const page = state.productPage;
    const { access_token: token } = await session(page);
    const product = await apiCall('GET', `/products/${state.productId}`, token);
    const etsy = product.body.listings.find((l) => l.marketplace === 'etsy');
    const sale = await sandboxAct('etsy', 'sell', { listing: etsy.external_id });
    // Etsy tells nobody: StoFlow sees the sale when it checks the shop's receipts (the schedule
    // does it every few minutes; here, at once). (Etsy, not eBay: eBay's order index lags, so its
    // sync never reads the last minute.)
    const sync = await apiCall('POST', '/jobs', token, { marketplace: 'etsy', action: 'sync_orders' });
    check(sync.status === 202, `sync_orders: ${sync.status} ${JSON.stringify(sync.body)}`);
    await listingShows(page, 'etsy', 'sold');
    await listingShows(page, 'vinted', 'delisted');
    await listingShows(page, 'ebay', 'delisted');
    // The open form follows: the product is sold (it held no unsaved edit).
    await page
      .waitForFunction(() => document.querySelector('select[name=status]')?.value === 'sold', null, { timeout: JOB_TIMEOUT })
      .catch(async () => check(false, `the open form says ${await page.locator('select[name=status]').inputValue()} after the sale`));
    await shot(page, 'product-sold-delisted');
    await page.goto(`${DASH}/products`);
    const row = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: /Levi’s 501 jeans/ }) });
    await row.getByText('Sold', { exact: true }).waitFor();
    for (const badge of ['Vinted: delisted', 'eBay: delisted', 'Etsy: sold']) await row.getByText(badge).waitFor();
    await shot(page, 'products-after-sale');
    await page.goto(`${DASH}/orders`);
    await page.getByTestId('order').filter({ hasText: String(sale.receipt_id) }).waitFor();
    await shot(page, 'orders');
    await page.close();
    state.productPage = null;
    return { receipt: sale.receipt_id };
  },

  async 'token refresh across two tabs: one refresh, both tabs stay signed in'() {
    // Mark the stored access token as expiring from a page where the app does not run, then
    // open two tabs of the app at once: both need a refresh, one may do it.
    const setter = await context.newPage();
    await setter.goto(`${DASH}/config.json`);
    const before = await session(setter);
    await setter.evaluate(async () => {
      const stored = JSON.parse(localStorage.getItem('stoflow.session'));
      const expiring = { ...stored, expires_at: Date.now() };
      localStorage.setItem('stoflow.session', JSON.stringify(expiring));
      const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('stoflow', 1);
        request.onupgradeneeded = () => request.result.createObjectStore('session');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise((resolve, reject) => {
        const transaction = db.transaction('session', 'readwrite');
        transaction.objectStore('session').put(expiring, 'tokens');
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
      });
      db.close();
    });
    const expiresAt = await setter.evaluate(() => JSON.parse(localStorage.getItem('stoflow.session')).expires_at);
    await setter.close();
    // Another renderer sees a localStorage write a moment later: wait until a new page does.
    for (let seen = null, tries = 0; seen !== expiresAt; tries += 1) {
      check(tries < 100, 'the expiring token never reached other pages');
      const probe = await context.newPage();
      await probe.goto(`${DASH}/config.json`);
      seen = await probe.evaluate(() => JSON.parse(localStorage.getItem('stoflow.session')).expires_at);
      await probe.close();
    }
    const first = await context.newPage();
    const second = await context.newPage();
    const refreshes = [];
    const count = (request) => {
      if (request.method() !== 'POST' || !request.url().endsWith('/auth/refresh')) return;
      const tab = request.frame().page() === first ? 'first' : request.frame().page() === second ? 'second' : 'other';
      refreshes.push(`${tab}: ${JSON.parse(request.postData() ?? '{}').refresh_token?.slice(0, 8)}`);
    };
    context.on('request', count);
    // Each tab has its products (the table itself is drawn before they arrive).
    const listed = (page) => page.waitForResponse((r) => r.url().startsWith(`${API}/products`) && r.request().method() === 'GET' && r.ok());
    await Promise.all([listed(first), listed(second), first.goto(`${DASH}/products`), second.goto(`${DASH}/products`)]);
    context.off('request', count);
    // The shared copy (IndexedDB): each tab's localStorage catches up with the others a moment later.
    const after = await second.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const request = indexedDB.open('stoflow', 1);
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const get = request.result.transaction('session').objectStore('session').get('tokens');
            get.onsuccess = () => resolve(get.result);
            get.onerror = () => reject(get.error);
          };
        }),
    );
    check(refreshes.length === 1, `one refresh for two tabs, saw ${JSON.stringify(refreshes)} (stored before: ${before.refresh_token.slice(0, 8)})`);
    check(after && after.refresh_token !== before.refresh_token, `the refresh token was rotated: ${JSON.stringify(refreshes)}, before ${before.refresh_token.slice(0, 8)}, after ${after?.refresh_token?.slice(0, 8)}`);
    check(!/sign-in/.test(first.url()) && !/sign-in/.test(second.url()), 'both tabs stay signed in');
    await first.close();
    await second.close();
    return { refreshes: refreshes.length };
  },

  async 'a revoked session sends the user to sign in'() {
    const page = await context.newPage();
    await page.goto(`${DASH}/products`);
    await page.getByRole('table').waitFor();
    const { access_token: token } = await session(page);
    const logout = await apiCall('POST', '/auth/logout', token);
    check(logout.status === 204, `logout elsewhere: ${logout.status}`);
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(/\/sign-in\?/);
    await page.getByText('Your session has ended').waitFor();
    check((await session(page)) === null, 'the tokens are gone');
    await signIn(page);
    // A session that "sign out everywhere" must end later (the accessibility scenario).
    state.otherToken = (await session(page)).access_token;
    await page.close();
  },

  async 'accessibility: no serious or critical axe violation on any page'() {
    const signedIn = await context.newPage();
    await signIn(signedIn);
    const pages = [
      'products',
      'products/new',
      `products/${state.productId}`,
      'activity',
      'marketplaces',
      'orders',
      'messages',
      'account',
    ];
    const publicPages = ['sign-in', 'sign-up', 'forgot-password', 'reset-password?token=x', 'verify-email'];
    const found = {};
    const audit = async (page, path) => {
      await page.goto(`${DASH}/${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => globalThis.axe.run({ resultTypes: ['violations'] }));
      const bad = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
      if (bad.length) found[path] = bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    };
    for (const path of pages) await audit(signedIn, path);
    await shot(signedIn, 'account');
    await signedIn.setViewportSize({ width: 390, height: 800 });
    await signedIn.goto(`${DASH}/products`);
    await signedIn.getByRole('button', { name: 'Menu' }).click();
    await shot(signedIn, 'products-phone-menu');
    await signedIn.setViewportSize(contextOptions.viewport);
    // The public pages as a signed-out visitor: sign out everywhere from the account page first,
    // which ends the other sessions too.
    await signedIn.goto(`${DASH}/account`);
    await signedIn.getByTestId('sessions').getByText('this device').waitFor();
    await signedIn.getByRole('button', { name: 'Sign out everywhere' }).click();
    await signedIn.waitForURL(/\/sign-in/);
    if (state.otherToken) {
      const other = await apiCall('GET', '/auth/me', state.otherToken);
      check(other.status === 401, `another session after signing out everywhere: ${other.status}`);
    }
    for (const path of publicPages) await audit(signedIn, path);
    await signedIn.close();
    check(Object.keys(found).length === 0, `axe violations: ${JSON.stringify(found, null, 1)}`);
    return { pages: pages.length + publicPages.length };
  },
};

let failed = false;
if (opts.email) {
  const page = await context.newPage();
  await signIn(page);
  await page.close();
}
for (const [name, run] of Object.entries(scenarios)) {
  if (opts.only && !name.includes(opts.only)) continue;
  const started = Date.now();
  try {
    const extra = (await run()) ?? {};
    say({ scenario: name, ok: true, ms: Date.now() - started, ...extra });
  } catch (error) {
    failed = true;
    say({ scenario: name, ok: false, ms: Date.now() - started, error: String(error?.stack ?? error) });
    if (!state.productId && name.startsWith('sign up')) break;
  }
}
if (cspViolations.length) {
  failed = true;
  say({ scenario: 'content security policy', ok: false, error: cspViolations.slice(0, 5) });
}
await context.close();
await browser?.close();
if (profile) await rm(profile, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
