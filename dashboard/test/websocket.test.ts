import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, createSocket, MAX_BACKOFF_MS, type SocketDeps } from '../src/composables/useWebSocket';

class FakeSocket {
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.();
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let tickets = 0;
  const deps: SocketDeps = {
    ticket: vi.fn(async () => `t${++tickets}`),
    open: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    url: () => 'ws://example.test',
    schedule: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    cancel: () => {},
    random: () => 1,
  };
  return { sockets, timers, deps };
}

beforeEach(() => setActivePinia(createPinia()));

describe('backoff', () => {
  it('doubles up to a ceiling', () => {
    expect([0, 1, 2, 3].map((n) => backoff(n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoff(20, () => 1)).toBe(MAX_BACKOFF_MS);
    expect(backoff(0, () => 0)).toBe(500);
  });
});

describe('the dashboard socket', () => {
  it('connects with a fresh ticket, says hello and passes job_status events on', async () => {
    const { sockets, deps } = harness();
    const received: unknown[] = [];
    const socket = createSocket((m) => received.push(m), deps);
    await socket.connect();
    expect(sockets[0]?.url).toBe('ws://example.test?ticket=t1');
    sockets[0]?.open();
    expect(socket.state.value).toBe('open');
    expect(JSON.parse(sockets[0]?.sent[0] ?? '{}')).toMatchObject({ action: 'hello', client: 'dashboard' });
    sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'job_status', job_id: 7, status: 'running' }) });
    expect(received).toEqual([{ type: 'job_status', job_id: 7, status: 'running' }]);
  });

  it('reconnects after a drop with a new ticket and a growing delay, reset once open', async () => {
    const { sockets, timers, deps } = harness();
    const socket = createSocket(() => {}, deps);
    await socket.connect();
    sockets[0]?.drop();
    expect(socket.state.value).toBe('waiting');
    const first = timers.at(-1);
    expect(first?.ms).toBe(1000);
    first?.fn();
    await vi.waitFor(() => expect(sockets).toHaveLength(2));
    expect(sockets[1]?.url).toBe('ws://example.test?ticket=t2');
    sockets[1]?.drop();
    expect(timers.at(-1)?.ms).toBe(2000);
    timers.at(-1)?.fn();
    await vi.waitFor(() => expect(sockets).toHaveLength(3));
    sockets[2]?.open();
    expect(socket.attempts.value).toBe(0);
  });

  it('retries when no ticket can be had, and stops for good on stop()', async () => {
    const { sockets, timers, deps } = harness();
    deps.ticket = vi.fn(async () => {
      throw new Error('offline');
    });
    const socket = createSocket(() => {}, deps);
    await socket.connect();
    expect(sockets).toHaveLength(0);
    expect(socket.state.value).toBe('waiting');
    socket.stop();
    timers.at(-1)?.fn();
    expect(socket.state.value).toBe('idle');
  });
});
