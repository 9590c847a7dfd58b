import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, NotPaired } from '../src/connection.js';
import { FakeTimers, FakeWebSocket, settle } from './fakes.js';

beforeEach(() => FakeWebSocket.reset());

function make(timers, opts = {}) {
  const states = [];
  const received = [];
  const connection = new Connection({
    WebSocketImpl: FakeWebSocket,
    timers,
    now: timers.now,
    openUrl: opts.openUrl ?? (async () => 'ws://127.0.0.1:3001/?ticket=t'),
    onMessage: (m) => received.push(m),
    onOpen: () => connection.send({ action: 'hello' }),
    onState: (s) => states.push(s),
  });
  return { connection, states, received };
}

test('backoff starts at 1 s, doubles to 30 s and resets once connected', async () => {
  const timers = new FakeTimers();
  const { connection } = make(timers);
  connection.start();
  await settle();
  const delays = [];
  for (let i = 0; i < 7; i += 1) {
    FakeWebSocket.last.serverClose();
    delays.push(connection.nextDelayMs);
    await timers.advance(connection.nextDelayMs);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  FakeWebSocket.last.serverOpen();
  FakeWebSocket.last.serverClose();
  assert.equal(connection.nextDelayMs, 1000);
});

test('hello on open, heartbeat every 20 s, one socket only', async () => {
  const timers = new FakeTimers();
  const { connection } = make(timers);
  connection.start();
  connection.start();
  await settle();
  connection.start();
  assert.equal(FakeWebSocket.instances.length, 1);
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  assert.deepEqual(ws.sent, [{ action: 'hello' }]);
  await timers.advance(20_000);
  ws.serverSend({ type: 'heartbeat_ack' });
  await timers.advance(20_000);
  ws.serverSend({ type: 'heartbeat_ack' });
  assert.equal(ws.sentActions('heartbeat').length, 2);
  connection.start();
  assert.equal(FakeWebSocket.instances.length, 1);
});

test('a silent socket is dropped and replaced', async () => {
  const timers = new FakeTimers();
  const { connection, states } = make(timers);
  connection.start();
  await settle();
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  await timers.advance(80_000); // no answer to any heartbeat
  assert.equal(ws.readyState, 3);
  assert.ok(states.includes('disconnected'));
  await timers.advance(1000);
  assert.equal(FakeWebSocket.instances.length, 2);
});

test('ticket failures retry with backoff; an unpaired extension waits for pairing', async () => {
  const timers = new FakeTimers();
  let calls = 0;
  const flaky = make(timers, {
    openUrl: async () => {
      calls += 1;
      throw new Error('backend down');
    },
  });
  flaky.connection.start();
  await settle();
  await timers.advance(1000);
  await timers.advance(2000);
  assert.equal(calls, 3);
  assert.equal(FakeWebSocket.instances.length, 0);

  const unpaired = make(new FakeTimers(), {
    openUrl: async () => {
      throw new NotPaired();
    },
  });
  unpaired.connection.start();
  await settle();
  assert.equal(unpaired.states.at(-1), 'unpaired');
  assert.equal(unpaired.connection.reconnectTimer, null);
});

test('stop closes and does not reconnect', async () => {
  const timers = new FakeTimers();
  const { connection } = make(timers);
  connection.start();
  await settle();
  FakeWebSocket.last.serverOpen();
  connection.stop();
  await timers.advance(60_000);
  assert.equal(FakeWebSocket.instances.length, 1);
  assert.equal(connection.send({ action: 'heartbeat' }), false);
});
