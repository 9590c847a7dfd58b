// The real extension logic (createApp: executor, commands, Vinted client, pacer, outbox) on a
// simulated clock, for the session-level simulation (tests/integration/test_vinted_simulation.py).
// Nothing here waits for real: the driver owns the clock. JSON lines both ways:
//
//   driver -> here   {"type":"open","now":ms}                      the socket opens (hello)
//                    {"type":"server","now":ms,"message":{...}}    a server message (execute_job)
//                    {"type":"answer","res":{...}}                 Vinted's answer to our last call
//                    {"type":"time","now":ms}                      the clock reached our sleep's end
//   here -> driver   {"type":"vinted","now":ms,"req":{...}}        a call to Vinted (photos summarised)
//                    {"type":"sleep","until":ms}                   the pacer waits until then
//                    {"type":"sent","message":{...}}               a WebSocket message to the server
//                    {"type":"idle","now":ms,"pacer":{...}}        nothing left to do until the driver speaks
import { createInterface } from 'node:readline';
import { createApp } from '../src/app.js';
import { FakeTimers, FakeWebSocket, fakeChrome, settle } from '../test/fakes.js';

let simNow = Number(process.argv[2] ?? Date.now());
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const waiting = { answer: null, time: null };
const ask = (kind, message) =>
  new Promise((resolve) => {
    waiting[kind] = resolve;
    say(message);
  });

// Vinted, as the page function would answer: the driver plays it.
const pageCall = async (req) => {
  const summary = { method: req.method, path: req.path, query: req.query };
  if (req.json !== undefined) summary.json = req.json;
  if (req.multipart) summary.photo = true;
  const res = await ask('answer', { type: 'vinted', now: simNow, req: summary });
  if (res.throw) throw new Error(res.throw); // e.g. Chrome's "Frame with ID 0 is showing error page"
  return { contentType: 'application/json', json: null, text: null, ...res };
};

const chrome = fakeChrome({ tabs: [{ id: 1, url: 'https://www.vinted.fr/', status: 'complete' }], pageCall });
chrome.storage.local.data.pairing = {
  apiBase: 'http://127.0.0.1:3000',
  wsUrl: 'ws://127.0.0.1:3001',
  deviceId: 1,
  accessToken: 'access-simulated',
  refreshToken: 'refresh-simulated',
  accessExpiresAt: Number.MAX_SAFE_INTEGER,
};
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0]);
const fetchImpl = async (target) => {
  if (String(target).endsWith('/ws/tickets')) return new Response(JSON.stringify({ ticket: 'ticket-simulated' }), { status: 201 });
  return new Response(JPEG, { status: 200, headers: { 'content-type': 'image/jpeg' } });
};
const timers = new FakeTimers(simNow); // heartbeats and reconnections never fire: the driver drives
const app = createApp({
  chrome,
  WebSocketImpl: FakeWebSocket,
  fetchImpl,
  timers,
  now: () => simNow,
  uuid: (() => {
    let n = 0;
    return () => `sim-${(n += 1)}`;
  })(),
  pacerOptions: {
    sleep: async (ms) => {
      const { now } = await ask('time', { type: 'sleep', until: simNow + ms });
      simNow = Math.max(simNow, now);
    },
  },
  log: (...args) => process.stderr.write(`${args.map(String).join(' ')}\n`),
});

let socket = null;
let forwarded = 0;
function forward() {
  if (!socket) return;
  while (forwarded < socket.sent.length) say({ type: 'sent', message: socket.sent[forwarded++] });
}

async function quiet() {
  await settle(50);
  forward();
  say({ type: 'idle', now: simNow, pacer: { ...app.pacer.snapshot(), usage: app.pacer.usage() } });
}

await app.wake();
await settle(50);
socket = FakeWebSocket.last;

createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  if (message.now !== undefined) simNow = Math.max(simNow, message.now);
  if (message.type === 'answer' || message.type === 'time') {
    const resolve = waiting[message.type];
    waiting[message.type] = null;
    resolve(message.type === 'answer' ? message.res : message);
    // The command goes on; its next call, sleep or result comes out on its own.
    setImmediate(forward);
    return;
  }
  if (message.type === 'open') {
    socket.serverOpen();
    quiet();
    return;
  }
  if (message.type === 'server') {
    socket.serverSend(message.message);
    // An execute_job is handed to the executor after a few microtasks; idle once it has run.
    settle(20)
      .then(() => app.executor.queue)
      .then(quiet);
    return;
  }
  if (message.type === 'quit') process.exit(0);
});
say({ type: 'ready', now: simNow });
