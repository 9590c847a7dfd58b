// The service worker. Listeners are registered synchronously at top level so Chrome can wake
// the worker for them (alarm, start-up, popup) after it was stopped.
import { ALARM, createApp } from './src/app.js';

const app = createApp({
  chrome,
  WebSocketImpl: WebSocket,
  fetchImpl: (...args) => fetch(...args),
  uuid: () => crypto.randomUUID(),
  log: (...args) => console.warn('[stoflow]', ...args),
});

chrome.runtime.onInstalled.addListener(() => app.wake());
chrome.runtime.onStartup.addListener(() => app.wake());
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) app.wake();
});
chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  app.onPopupMessage(message, sender).then(sendResponse, (err) => sendResponse({ ok: false, error: String(err) }));
  return true;
});

// Woken for any reason (including a worker restart): reconnect.
app.wake();
