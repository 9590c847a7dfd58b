// Client-side pacing of Vinted calls: one at a time, a randomised gap between calls, and a
// doubling pause after DataDome, 429 or a captcha. The server paces commands per tenant too;
// this is the second fence, and it survives a service worker restart through `save`.

export class Paused extends Error {
  constructor(remainingMs) {
    super(`Vinted calls are paused for ${Math.ceil(remainingMs / 1000)} s`);
    this.name = 'Paused';
    this.remainingMs = remainingMs;
  }
}

export class Pacer {
  constructor({
    now = () => Date.now(),
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random = Math.random,
    minGapMs = 1500,
    jitterMs = 2000,
    basePauseMs = 60_000,
    maxPauseMs = 60 * 60_000,
    state = {},
    save = () => {},
  } = {}) {
    Object.assign(this, { now, sleep, random, minGapMs, jitterMs, basePauseMs, maxPauseMs, save });
    this.pausedUntil = state.pausedUntil ?? 0;
    this.pauseMs = state.pauseMs ?? 0;
    this.lastCallEnd = null;
    this.tail = Promise.resolve();
  }

  remainingPauseMs() {
    return Math.max(0, this.pausedUntil - this.now());
  }

  // Runs fn after the previous call and the gap; refuses (Paused) while a pause is on.
  run(fn) {
    const result = this.tail.then(async () => {
      const remaining = this.remainingPauseMs();
      if (remaining > 0) throw new Paused(remaining);
      if (this.lastCallEnd !== null) {
        const gap = this.minGapMs + Math.floor(this.random() * this.jitterMs);
        const wait = this.lastCallEnd + gap - this.now();
        if (wait > 0) await this.sleep(wait);
      }
      try {
        return await fn();
      } finally {
        this.lastCallEnd = this.now();
      }
    });
    this.tail = result.catch(() => {});
    return result;
  }

  // DataDome, 429 or captcha: pause, doubling from basePauseMs up to maxPauseMs (or retry-after).
  pause(retryAfterMs = 0) {
    this.pauseMs = this.pauseMs ? Math.min(this.pauseMs * 2, this.maxPauseMs) : this.basePauseMs;
    const length = Math.max(this.pauseMs, Math.min(retryAfterMs || 0, this.maxPauseMs));
    this.pausedUntil = this.now() + length;
    this.save({ pausedUntil: this.pausedUntil, pauseMs: this.pauseMs });
    return length;
  }

  // A call went through after a pause: the next pause starts small again.
  succeeded() {
    if (this.pauseMs && this.remainingPauseMs() === 0) {
      this.pauseMs = 0;
      this.save({ pausedUntil: this.pausedUntil, pauseMs: 0 });
    }
  }
}
