// Chromium for the dashboard's browser tests and benchmark: the machine's own (/usr/bin/chromium,
// or STOFLOW_CHROMIUM), headless, without the sandbox (containers) or the GPU, and with nothing
// fetched from the network behind the tests' back.
import { chromium } from 'playwright-core';

const executablePath = process.env.STOFLOW_CHROMIUM ?? '/usr/bin/chromium';
const QUIET = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launch() {
  return chromium.launch({ executablePath, headless: true, args: QUIET });
}

/**
 * One browser context as a reseller's: the StoFlow extension loaded (extensions need a persistent
 * profile and the new headless mode) and www.vinted.fr answered by the local cloud's Vinted
 * sandbox, whose self-signed certificate is accepted.
 */
export async function launchWithExtension({ userDataDir, extensionDir, vintedPort, ...options }) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: false, // the new headless mode comes from the flag below
    ignoreHTTPSErrors: true,
    ...options,
    args: [
      '--headless=new',
      ...QUIET,
      '--ignore-certificate-errors',
      `--host-resolver-rules=MAP www.vinted.fr 127.0.0.1:${vintedPort}`,
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
    ],
  });
}
