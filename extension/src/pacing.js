// Client-side pacing of Vinted calls, by kind, per Vinted account (this browser's session): one
// call at a time; writes spaced 20-50 s (randomised) and capped per hour and per day; a publish's
// photo uploads inside its write slot; reads spaced and capped per hour; after DataDome, a
// captcha, a 403 or a 429, no call at all for at least an hour (doubling on repeat, up to a day)
// and until the server sends work again (it does once the seller resumed in the dashboard).
//
// The server paces commands per account too; this is the second fence. The server's plan
// (execute_job.pacing) can make it slower, never faster than FLOORS. State survives a service
// worker restart through `save`.
import { FLOORS } from './floors.js';

export class Paused extends Error {
  constructor(remainingMs, { resumeRequired = false } = {}) {
    const minutes = Math.max(1, Math.ceil(remainingMs / 60_000));
    super(
      resumeRequired && remainingMs <= 0
        ? 'Vinted work is paused until you confirm in StoFlow that your Vinted session is fine.'
        : `Vinted work is paused for about ${minutes} min to keep your account safe.`,
    );
    this.name = 'Paused';
    this.remainingMs = remainingMs;
  }
}

// The wait for this call would be too long to spend inside a command: nothing was sent.
export class Paced extends Error {
  constructor(waitMs) {
    super(`Vinted's pace for your account allows the next call in about ${Math.ceil(waitMs / 60_000)} min.`);
    this.name = 'Paced';
    this.waitMs = waitMs;
  }
}

export const KINDS = Object.freeze(['read', 'photo', 'write']);

// The stricter of the floors and the server's plan (seconds): larger gaps and pauses, smaller caps.
export function effectiveLimits(plan, floors = FLOORS) {
  const limits = { ...floors };
  if (!plan || typeof plan !== 'object') return limits;
  const ms = (value) => (Number.isFinite(value) && value > 0 ? value * 1000 : 0);
  const cap = (value, floor) => (Number.isSafeInteger(value) && value >= 1 ? Math.min(value, floor) : floor);
  limits.writeGapMinMs = Math.max(floors.writeGapMinMs, ms(plan.write_gap_min_s));
  limits.writeGapMaxMs = Math.max(floors.writeGapMaxMs, ms(plan.write_gap_max_s), limits.writeGapMinMs);
  limits.writesPerHour = cap(plan.writes_per_hour, floors.writesPerHour);
  limits.writesPerDay = cap(plan.writes_per_day, floors.writesPerDay);
  limits.pauseBaseMs = Math.max(floors.pauseBaseMs, ms(plan.pause_base_s));
  limits.pauseMaxMs = Math.max(floors.pauseMaxMs, ms(plan.pause_max_s), limits.pauseBaseMs);
  return limits;
}

export class Pacer {
  constructor({
    now = () => Date.now(),
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random = Math.random,
    floors = FLOORS,
    state = {},
    save = () => {},
  } = {}) {
    Object.assign(this, { now, sleep, random, floors, save });
    this.limits = effectiveLimits(null, floors);
    this.pausedUntil = state.pausedUntil ?? 0;
    this.pauseMs = state.pauseMs ?? 0;
    this.pauseReason = state.pauseReason ?? null;
    this.resumeRequired = state.resumeRequired ?? false;
    this.writes = state.writes ?? [];
    this.reads = state.reads ?? [];
    this.nextWriteAt = state.nextWriteAt ?? 0;
    this.lastCallEnd = state.lastCallEnd ?? null;
    this.lastKind = null;
    this.tail = Promise.resolve();
  }

  snapshot() {
    const { pausedUntil, pauseMs, pauseReason, resumeRequired, writes, reads, nextWriteAt, lastCallEnd } = this;
    return { pausedUntil, pauseMs, pauseReason, resumeRequired, writes, reads, nextWriteAt, lastCallEnd };
  }

  // What the popup shows.
  usage() {
    const now = this.now();
    const within = (log, ms) => log.filter((t) => t > now - ms).length;
    return {
      writesThisHour: within(this.writes, this.limits.hourMs),
      writesToday: within(this.writes, this.limits.dayMs),
      writesPerHour: this.limits.writesPerHour,
      writesPerDay: this.limits.writesPerDay,
      readsThisHour: within(this.reads, this.limits.hourMs),
      nextWriteAt: Math.max(this.nextWriteAt, this.capFrees('write', now) ?? 0),
    };
  }

  // The server's plan for this command (it can only slow us down).
  applyPlan(plan) {
    this.limits = effectiveLimits(plan, this.floors);
  }

  // The server sent work: the seller resumed (the server sends nothing before). The timer of the
  // pause still holds on its own.
  serverSentWork() {
    if (this.resumeRequired) {
      this.resumeRequired = false;
      this.save(this.snapshot());
    }
  }

  remainingPauseMs() {
    return Math.max(0, this.pausedUntil - this.now());
  }

  isPaused() {
    return this.remainingPauseMs() > 0 || this.resumeRequired;
  }

  gap(min, max) {
    return min + Math.floor(this.random() * Math.max(0, max - min));
  }

  // When a full rolling window lets one more call of this kind through (null: not full).
  capFrees(kind, now) {
    const { hourMs, dayMs, writesPerHour, writesPerDay, readsPerHour } = this.limits;
    const rules = kind === 'read' ? [[this.reads, readsPerHour, hourMs]] : [[this.writes, writesPerHour, hourMs], [this.writes, writesPerDay, dayMs]];
    let frees = null;
    for (const [log, limit, window] of rules) {
      const recent = log.filter((t) => t > now - window).sort((a, b) => a - b);
      if (recent.length >= limit) frees = Math.max(frees ?? 0, recent[recent.length - limit] + window);
    }
    return frees;
  }

  earliest(kind, now) {
    const { readGapMinMs, readGapMaxMs, photoGapMinMs, photoGapMaxMs } = this.limits;
    const moments = [now];
    if (this.lastCallEnd !== null) {
      const [low, high] = kind === 'read' ? [readGapMinMs, readGapMaxMs] : [photoGapMinMs, photoGapMaxMs];
      moments.push(this.lastCallEnd + this.gap(low, high));
    }
    if (kind !== 'read') moments.push(this.nextWriteAt);
    const frees = this.capFrees(kind === 'read' ? 'read' : 'write', now);
    if (frees !== null) moments.push(frees);
    return Math.max(...moments);
  }

  // Runs fn (one Vinted call of this kind) after the previous call and its kind's pace; refuses
  // (Paused) during a pause, and (Paced) when the pace would hold it longer than maxWaitMs.
  run(kind, fn) {
    if (!KINDS.includes(kind)) throw new Error(`unknown call kind ${kind}`);
    const result = this.tail.then(async () => {
      if (this.isPaused()) throw new Paused(this.remainingPauseMs(), { resumeRequired: this.resumeRequired });
      const wait = this.earliest(kind, this.now()) - this.now();
      if (wait > this.limits.maxWaitMs) throw new Paced(wait);
      if (wait > 0) await this.sleep(wait);
      if (this.isPaused()) throw new Paused(this.remainingPauseMs(), { resumeRequired: this.resumeRequired });
      const started = this.now();
      if (kind === 'write') this.writes = [...this.writes.filter((t) => t > started - this.limits.dayMs), started];
      if (kind === 'read') this.reads = [...this.reads.filter((t) => t > started - this.limits.hourMs), started];
      try {
        return await fn();
      } finally {
        this.lastCallEnd = this.now();
        if (kind === 'write') this.nextWriteAt = this.lastCallEnd + this.gap(this.limits.writeGapMinMs, this.limits.writeGapMaxMs);
        this.save(this.snapshot());
      }
    });
    this.tail = result.catch(() => {});
    return result;
  }

  // DataDome, a captcha, a 403 or a 429: pause. A signal during a running pause only lengthens it
  // to Vinted's retry-after; a new pause doubles the last one if trouble repeats within a day of
  // its end, else starts again from the base. Returns the pause's length from now.
  pause(retryAfterMs = 0, reason = 'trouble') {
    const now = this.now();
    const { pauseBaseMs, pauseMaxMs, dayMs } = this.limits;
    const retry = Math.min(Math.max(retryAfterMs || 0, 0), pauseMaxMs);
    if (this.pausedUntil > now) {
      this.pausedUntil = Math.max(this.pausedUntil, now + retry);
    } else {
      const repeat = this.pauseMs > 0 && now - this.pausedUntil < dayMs;
      this.pauseMs = repeat ? Math.min(Math.max(this.pauseMs * 2, pauseBaseMs), pauseMaxMs) : pauseBaseMs;
      this.pausedUntil = now + Math.max(this.pauseMs, retry);
      this.pauseReason = reason;
    }
    this.resumeRequired = true;
    this.save(this.snapshot());
    return this.pausedUntil - now;
  }
}
