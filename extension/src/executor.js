// Runs execute_job commands one at a time and answers each with exactly one job_result.
// Results go through an outbox that survives a lost socket (and a service worker restart):
// the server completes a job idempotently per (job, attempt), so a re-sent result is harmless.
import { COMMAND_HANDLERS } from './commands.js';
import { Paced, Paused } from './pacing.js';
import { byteLength, jobProgress, jobResultError, jobResultOk, MAX_MESSAGE_BYTES, WRITE_COMMANDS } from './protocol.js';
import { EndpointRefused } from './allowlist.js';
import { ValidationError } from './validate.js';
import { PLAIN, VintedError } from './vinted.js';

// Answers that mean Vinted never ran the command (no page, a dropped connection, our own pause or
// pace, a sign of trouble, a logged-out session): the server parks the job with its attempt
// unspent and sends the same attempt again later, so it must run again, not be answered from
// memory.
const RUN_AGAIN_CODES = new Set([
  'page_unavailable',
  'network_error',
  'paused',
  'paced',
  'datadome',
  'captcha',
  'forbidden',
  'rate_limited',
  'vinted_logged_out',
]);

export class DeadlinePassed extends Error {
  constructor() {
    super('The time allowed for this command ran out before its next step; nothing more was sent.');
    this.name = 'DeadlinePassed';
  }
}

// Splits items into pages whose JSON (with the envelope) stays under maxBytes.
export function chunkItems(items, envelopeBytes, maxBytes = MAX_MESSAGE_BYTES) {
  const budget = maxBytes - envelopeBytes - 64;
  const chunks = [];
  let current = [];
  let size = 2;
  for (const item of items) {
    const itemBytes = byteLength(item) + 1;
    if (itemBytes > budget) throw new Error('one item is larger than a message');
    if (current.length && size + itemBytes > budget) {
      chunks.push(current);
      current = [];
      size = 2;
    }
    current.push(item);
    size += itemBytes;
  }
  if (current.length || !chunks.length) chunks.push(current);
  return chunks;
}

export class Outbox {
  constructor({ load = async () => [], store = async () => {}, limit = 200 } = {}) {
    this.load = load;
    this.store = store;
    this.limit = limit;
    this.items = null;
  }

  async all() {
    if (this.items === null) this.items = (await this.load()) ?? [];
    return this.items;
  }

  async add(message) {
    const items = await this.all();
    items.push(message);
    while (items.length > this.limit) items.shift();
    await this.store(items);
  }

  // Sends what it can, keeps the rest (in order).
  async flush(send) {
    const items = await this.all();
    while (items.length) {
      if (!send(items[0])) break;
      items.shift();
    }
    await this.store(items);
  }
}

export class Executor {
  constructor({ send, outbox, makeContext, now = () => Date.now(), handlers = COMMAND_HANDLERS, log = () => {}, onRunning = () => {} }) {
    Object.assign(this, { send, outbox, makeContext, now, handlers, log, onRunning });
    this.queue = Promise.resolve();
    this.seen = new Map(); // "job:attempt" -> last job_result, to answer a repeated execute_job
    this.running = null;
  }

  // Deliver a message now if the socket takes it, else keep it for the next connection.
  async deliver(message, { durable = true } = {}) {
    if (this.send(message)) return true;
    if (durable) await this.outbox.add(message);
    return false;
  }

  // An invalid execute_job: answered when it names its job, dropped otherwise.
  async rejectInvalid(err) {
    if (err instanceof ValidationError && err.jobId && err.attempt) {
      await this.deliver(jobResultError(err.jobId, err.attempt, 'invalid_request', err.message));
    }
  }

  handle(job) {
    const key = `${job.job_id}:${job.attempt}`;
    if (this.seen.has(key)) {
      const previous = this.seen.get(key);
      if (previous) return this.deliver(previous);
      return Promise.resolve(false); // running: its result will come
    }
    this.seen.set(key, null);
    if (this.seen.size > 200) this.seen.delete(this.seen.keys().next().value);
    const run = this.queue.then(() => this.run(job, key));
    this.queue = run.catch(() => {});
    return run;
  }

  async run(job, key) {
    this.running = job;
    this.onRunning({ job_id: job.job_id, command: job.command, since: this.now() });
    let result;
    try {
      if (this.now() >= job.deadlineMs) throw new DeadlinePassed();
      const handler = this.handlers[job.command];
      if (!handler) throw new ValidationError('command', 'unsupported command');
      let seq = 0;
      const context = await this.makeContext(job);
      const ctx = {
        ...context,
        jobId: job.job_id,
        attempt: job.attempt,
        checkDeadline: () => {
          if (this.now() >= job.deadlineMs) throw new DeadlinePassed();
        },
        progress: async (fields) => {
          const { items = [], ...rest } = fields;
          const envelope = byteLength(jobProgress(job.job_id, job.attempt, 999999, { ...rest, items: [] }));
          for (const chunk of chunkItems(items, envelope)) {
            seq += 1;
            await this.deliver(jobProgress(job.job_id, job.attempt, seq, { ...rest, items: chunk }));
          }
        },
      };
      const data = await handler(ctx, job.request);
      result = jobResultOk(job.job_id, job.attempt, { ...data, progress_messages: seq });
      if (byteLength(result) > MAX_MESSAGE_BYTES) {
        result = jobResultError(job.job_id, job.attempt, 'result_too_large', 'the result does not fit a message');
      }
    } catch (err) {
      result = this.errorResult(job, err);
    } finally {
      this.running = null;
      this.onRunning(null);
    }
    if (!result.ok && RUN_AGAIN_CODES.has(result.error.code)) this.seen.delete(key);
    else this.seen.set(key, result);
    await this.deliver(result);
    return result;
  }

  errorResult(job, err) {
    const { job_id: jobId, attempt } = job;
    if (err instanceof Paused) return jobResultError(jobId, attempt, 'paused', err.message, err.remainingMs / 1000);
    if (err instanceof Paced) return jobResultError(jobId, attempt, 'paced', err.message, err.waitMs / 1000);
    if (err instanceof DeadlinePassed) {
      // Checked only before a step starts: nothing of that step was sent.
      return jobResultError(jobId, attempt, 'deadline_passed', err.message);
    }
    if (err instanceof ValidationError) return jobResultError(jobId, attempt, 'invalid_request', err.message);
    if (err instanceof EndpointRefused) return jobResultError(jobId, attempt, 'endpoint_refused', err.message);
    if (err instanceof VintedError) return jobResultError(jobId, attempt, err.code, err.message, err.retryAfterS);
    // The detail goes to the log; the seller reads plain words.
    this.log('command failed', err);
    const code = WRITE_COMMANDS.includes(job.command) ? 'unknown_outcome' : 'extension_error';
    return jobResultError(jobId, attempt, code, code === 'unknown_outcome' ? PLAIN.unknown_outcome : PLAIN.unexpected);
  }
}
