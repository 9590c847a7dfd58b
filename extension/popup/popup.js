// The popup: pairing, backend connection, Vinted session, the command running and the pace. It only talks to the service worker.
import { describeBackend, describePause, describeRunning, describeUsage, describeVinted } from '../src/status.js';

const $ = (id) => document.getElementById(id);
const ask = (message) => chrome.runtime.sendMessage(message);

function render({ status, paired }) {
  $('paired-text').hidden = !paired;
  $('unpair').hidden = !paired;
  $('pair-form').hidden = paired;
  const backend = describeBackend(status, paired);
  $('backend-state').textContent = backend.text;
  $('backend-dot').className = `dot ${backend.tone}`;
  const vinted = describeVinted(status.vinted);
  $('vinted-state').textContent = vinted.text;
  $('vinted-dot').className = `dot ${vinted.tone}`;
  const now = Date.now();
  const pause = describePause(status.pausedUntil, now, { reason: status.pauseReason, resumeRequired: status.resumeRequired });
  $('paused').hidden = !pause;
  $('paused').textContent = pause ?? '';
  $('running').textContent = describeRunning(status.running) ?? 'Nothing running.';
  $('usage').textContent = describeUsage(status.usage, now) ?? '';
}

async function refresh() {
  const answer = await ask({ type: 'status' });
  if (answer?.ok) render(answer);
}

$('pair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('pair-error').textContent = '';
  const answer = await ask({ type: 'pair', apiBase: $('api-base').value, code: $('code').value, deviceName: navigator.userAgent.includes('Chromium') ? 'Chromium' : 'Chrome' });
  if (!answer?.ok) $('pair-error').textContent = answer?.error ?? 'pairing failed';
  await refresh();
});
$('unpair').addEventListener('click', async () => {
  await ask({ type: 'unpair' });
  await refresh();
});
$('check-vinted').addEventListener('click', async () => {
  await ask({ type: 'check_vinted' });
  await refresh();
});
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes.status) refresh();
});
refresh();
