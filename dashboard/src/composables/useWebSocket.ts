// The dashboard's WebSocket: a single-use ticket from POST /ws/tickets, then `$connect?ticket=…`.
// Reconnects with exponential backoff (and jitter) after a drop; API Gateway closes connections
// after 2 hours or 10 idle minutes, so a heartbeat keeps it open and a close is routine.
import { onScopeDispose, ref } from 'vue';
import { api, unwrap } from '../api/client';
import { config } from '../config';
import { useAlertsStore, type AlertEvent } from '../stores/alerts';
import { useJobsStore, type JobStatusEvent } from '../stores/jobs';

export type SocketState = 'idle' | 'connecting' | 'open' | 'waiting';

export interface SocketDeps {
  ticket: () => Promise<string>;
  open: (url: string) => WebSocket;
  url: () => string;
  schedule: (fn: () => void, ms: number) => unknown;
  cancel: (handle: unknown) => void;
  random: () => number;
}

export const MAX_BACKOFF_MS = 30_000;

export function backoff(attempt: number, random: () => number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const defaultDeps = (): SocketDeps => ({
  ticket: async () => (await unwrap(api().POST('/ws/tickets', { body: { client: 'dashboard' } }))).ticket,
  open: (url) => new WebSocket(url),
  url: () => config().wsUrl,
  schedule: (fn, ms) => setTimeout(fn, ms),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: Math.random,
});

/** A connection manager; `useWebSocket` wires it to a component's lifetime and the jobs store. */
export function createSocket(onMessage: (message: Record<string, unknown>) => void, deps: SocketDeps = defaultDeps()) {
  const state = ref<SocketState>('idle');
  const attempts = ref(0);
  let socket: WebSocket | null = null;
  let timer: unknown = null;
  let heartbeat: unknown = null;
  let stopped = false;

  function retry(): void {
    if (stopped) return;
    state.value = 'waiting';
    timer = deps.schedule(() => void connect(), backoff(attempts.value, deps.random));
    attempts.value += 1;
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    state.value = 'connecting';
    let ticket: string;
    try {
      ticket = await deps.ticket();
    } catch {
      retry();
      return;
    }
    if (stopped) return;
    socket = deps.open(`${deps.url()}?ticket=${encodeURIComponent(ticket)}`);
    socket.onopen = () => {
      state.value = 'open';
      attempts.value = 0;
      socket?.send(JSON.stringify({ action: 'hello', client: 'dashboard', version: '0.1.0', capabilities: [] }));
      const beat = (): void => {
        heartbeat = deps.schedule(() => {
          if (socket?.readyState === 1) socket.send(JSON.stringify({ action: 'heartbeat' }));
          beat();
        }, 5 * 60_000);
      };
      beat();
    };
    socket.onmessage = (event: MessageEvent) => {
      try {
        onMessage(JSON.parse(String(event.data)) as Record<string, unknown>);
      } catch {
        /* not JSON: not for us */
      }
    };
    socket.onclose = () => {
      socket = null;
      if (heartbeat !== null) deps.cancel(heartbeat);
      retry();
    };
  }

  function stop(): void {
    stopped = true;
    if (timer !== null) deps.cancel(timer);
    if (heartbeat !== null) deps.cancel(heartbeat);
    socket?.close();
    socket = null;
    state.value = 'idle';
  }

  return { state, attempts, connect, stop };
}

let shared: ReturnType<typeof createSocket> | null = null;
let users = 0;

/**
 * Live job status for as long as the calling component lives (one socket shared by all).
 * `lazy`: connect only when `start()` is called (a page that needs live status only once it has
 * queued a job, so showing it costs no ticket).
 */
export function useWebSocket(options: { lazy?: boolean } = {}) {
  const jobs = useJobsStore();
  const alerts = useAlertsStore();
  shared ??= createSocket((message) => {
    if (message.type === 'job_status') jobs.receive(message as unknown as JobStatusEvent);
    else if (message.type === 'alert') alerts.receive(message as unknown as AlertEvent);
  });
  const socket = shared;
  let holding = false;
  function start(): void {
    if (holding) return;
    holding = true;
    users += 1;
    if (users === 1) void socket.connect();
  }
  if (!options.lazy) start();
  onScopeDispose(() => {
    if (!holding) return;
    users -= 1;
    if (users === 0) {
      socket.stop();
      if (shared === socket) shared = null;
    }
  });
  return { state: socket.state, start };
}
