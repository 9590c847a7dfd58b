// `make bench` (bench/dashboard.py): API calls the dashboard makes to show the products page and
// a product, and the products page with 500 products, in Chromium against a running local cloud.
// Prints one JSON object.
import { parseArgs } from 'node:util';
import { launch } from './browser.mjs';

const { values: opts } = parseArgs({
  options: { dashboard: { type: 'string' }, api: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, products: { type: 'string' } },
});
const DASH = opts.dashboard;
const API = opts.api;
const PRODUCTS = Number(opts.products ?? 500);

async function call(method, path, token, body) {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const login = await call('POST', '/auth/login', null, { email: opts.email, password: opts.password });
const token = login.access_token;
const existing = (await call('GET', '/products?limit=1', token)).total;
for (let i = existing; i < PRODUCTS; i += 10) {
  await Promise.all(
    Array.from({ length: Math.min(10, PRODUCTS - i) }, (_, k) => call('POST', '/products', token, { title: `Bench product ${i + k}`, price: 10 + ((i + k) % 90) })),
  );
}
// The product shown: brand, category, size, condition and colours set (their names are shown).
const someProduct = (
  await call('POST', '/products', token, {
    title: 'Bench jacket',
    price: 40,
    brand_id: 14,
    category_id: 3,
    size_id: 4,
    condition_id: 1,
    color_ids: [1, 2],
  })
).id;

const browser = await launch();
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(`${DASH}/sign-in`);
await page.getByLabel(/^(Email|E-mail)$/).fill(opts.email);
await page.getByLabel(/^(Password|Mot de passe)$/).fill(opts.password);
await page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click();
await page.waitForURL(/\/products/);
await page.waitForLoadState('networkidle');

/** API requests (not preflights) while `path` loads from scratch, and the time to `ready`. */
async function visit(path, ready) {
  const calls = [];
  const listen = (request) => {
    if (request.url().startsWith(API) && request.method() !== 'OPTIONS') calls.push(`${request.method()} ${new URL(request.url()).pathname}`);
  };
  context.on('request', listen);
  const started = Date.now();
  await page.goto(`${DASH}${path}`);
  await ready();
  const ms = Date.now() - started;
  await page.waitForLoadState('networkidle');
  context.off('request', listen);
  return { calls, ms };
}

const products = await visit('/products', () => page.locator('tbody tr a').first().waitFor());
const product = await visit(`/products/${someProduct}`, () => page.getByLabel('Title').waitFor());
// Again: the catalogues are now this browser's copy.
const productWarm = await visit(`/products/${someProduct}`, () => page.getByLabel('Title').waitFor());
const largePage = await visit('/products?limit=100', () => page.locator('tbody tr:nth-child(100)').waitFor());
const signIn = await (async () => {
  const other = await browser.newContext();
  const p = await other.newPage();
  const started = Date.now();
  await p.goto(`${DASH}/sign-in`);
  await p.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).waitFor();
  const ms = Date.now() - started;
  await other.close();
  return { ms };
})();
const total = (await call('GET', '/products?limit=1', token)).total;
await browser.close();
process.stdout.write(`${JSON.stringify({ products, product, productWarm, largePage, signIn, total })}\n`);
