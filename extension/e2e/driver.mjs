// Drives headless Chromium with the unpacked extension for the end-to-end tests (tests/e2e).
// Commands arrive as JSON lines on stdin, answers leave as JSON lines on stdout:
//   {"cmd":"pair","apiBase":"http://127.0.0.1:3000","code":"ABCD-2345"}
//   {"cmd":"open","url":"https://www.vinted.fr/"}
//   {"cmd":"status"}            the popup's view (pairing, backend, Vinted session)
//   {"cmd":"stop_workers"}      CDP ServiceWorker.stopAllWorkers
//   {"cmd":"quit"}
// Arguments: --user-data-dir DIR --vinted-port N (www.vinted.fr is mapped to 127.0.0.1:N)
// [--extension-dir DIR] (a copy of the extension, e.g. with its Vinted pace sped up for the sandbox).
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: { 'user-data-dir': { type: 'string' }, 'vinted-port': { type: 'string' }, 'extension-dir': { type: 'string' } },
});
const extensionDir = values['extension-dir'] ?? fileURLToPath(new URL('..', import.meta.url));
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const context = await chromium.launchPersistentContext(values['user-data-dir'], {
  executablePath: process.env.STOFLOW_CHROMIUM ?? '/usr/bin/chromium',
  headless: false, // the new headless mode comes from the flag below (extensions need it)
  ignoreHTTPSErrors: true,
  args: [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--ignore-certificate-errors',
    `--host-resolver-rules=MAP www.vinted.fr 127.0.0.1:${values['vinted-port']}`,
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
  ],
});

async function serviceWorker() {
  const existing = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  return existing ?? context.waitForEvent('serviceworker', { timeout: 60_000 });
}
const extensionId = new URL((await serviceWorker()).url()).host;

async function popup() {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/popup/popup.html`);
  return page;
}

async function handle(message) {
  switch (message.cmd) {
    case 'pair': {
      const page = await popup();
      await page.fill('#api-base', message.apiBase);
      await page.fill('#code', message.code);
      await page.click('button[type=submit]');
      // Selectors, not waitForFunction: the extension's CSP forbids string evaluation.
      await page.waitForSelector('#paired-text:not([hidden]), #pair-error:not(:empty)', { timeout: 60_000 });
      const error = await page.textContent('#pair-error');
      await page.close();
      return { ok: !error, error };
    }
    case 'open': {
      const page = await context.newPage();
      await page.goto(message.url);
      return { ok: true, title: await page.title() };
    }
    case 'status': {
      const page = await popup();
      const answer = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'status' }));
      await page.close();
      return answer;
    }
    case 'stop_workers': {
      const page = context.pages()[0] ?? (await context.newPage());
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
      return { ok: true };
    }
    case 'quit':
      await context.close();
      say({ ok: true });
      process.exit(0);
      break;
    default:
      return { ok: false, error: `unknown command ${message.cmd}` };
  }
  return { ok: false };
}

say({ event: 'ready', extensionId });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  let message;
  try {
    message = JSON.parse(line);
    say(await handle(message));
  } catch (err) {
    say({ ok: false, error: String(err?.stack ?? err) });
  }
}
await context.close();
