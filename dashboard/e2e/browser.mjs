// Chromium for the dashboard's browser tests and benchmark: the machine's own (/usr/bin/chromium,
// or STOFLOW_CHROMIUM), headless, without the sandbox (containers) or the GPU, and with nothing
// fetched from the network behind the tests' back.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.STOFLOW_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
