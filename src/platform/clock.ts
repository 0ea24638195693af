/**
 * The clock seam: code below `main.ts` waits and reads time only through it,
 * so tests can run retry and pacing logic without sleeping.
 *
 * @module
 */

/** Time source and sleeper. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once after `ms` unless the returned function cancels it first
   * (deadlines and idle timeouts; a test clock fires it when its time passes).
   * Optional for small test clocks; use {@link startTimer}.
   */
  setTimer?(ms: number, fn: () => void): () => void;
}

/** `clock.setTimer`, or a real timer for a clock without one. */
export function startTimer(
  clock: Clock,
  ms: number,
  fn: () => void,
): () => void {
  if (clock.setTimer) return clock.setTimer(ms, fn);
  const timer = setTimeout(fn, Math.max(0, ms));
  return () => clearTimeout(timer);
}

/** The real clock, backed by `Date.now` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      function onAbort() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
  setTimer(ms: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** A clock for tests: `sleep` advances virtual time at once and records it. */
export class FakeClock implements Clock {
  #now: number;
  /** Every duration passed to `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    this.advance(Math.max(0, ms));
    return Promise.resolve();
  }

  /** Moves virtual time forward without a sleep; due timers fire. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#now)
      .sort((a, b) => a.at - b.at);
    this.#timers = this.#timers.filter((t) => t.at > this.#now);
    for (const timer of due) timer.fn();
  }

  #timers: { at: number; fn: () => void }[] = [];

  /** Fires when virtual time reaches `now() + ms` (by sleep or advance). */
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Timers waiting to fire (for tests). */
  get pendingTimers(): number {
    return this.#timers.length;
  }
}
