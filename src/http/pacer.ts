/**
 * Keeps API calls under Flickr's limit ("3600 queries per hour across the
 * whole key", FLICKR_API.md §5) as an hourly budget, not a drip: calls go
 * at once until a large share of the budget is used in the rolling hour,
 * then slow down smoothly as the window fills, and never exceed the budget
 * in any rolling hour. A 429 pauses every worker until the instant Flickr
 * named.
 *
 * The window can be loaded from and recorded to a {@link CallLog} (the
 * backup folder's state), so that back-to-back runs (cron, a manual run,
 * `verify --repair`) share one budget.
 *
 * The maths is pure ({@link nextSlot}) and table-tested; {@link Pacer} only
 * adds waiting through the injected {@link Clock}.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";

/** The rolling window, in ms. */
export const HOUR_MS = 3_600_000;

/** Pacer settings. */
export interface PacerOptions {
  /**
   * Most calls in any rolling hour (`--api-budget`). Default 3600
   * (Flickr's per-key limit).
   */
  perHour?: number;
  /**
   * Calls in the rolling hour before the pacer starts to slow down.
   * Default {@link defaultBurst} (5/6 of `perHour`: 3,000 of 3,600).
   */
  burst?: number;
}

/** Default budget: Flickr's documented per-key limit. */
export const DEFAULT_PER_HOUR = 3600;

/** Calls that go at once: 5/6 of the budget (3,000 of 3,600). */
export function defaultBurst(perHour: number): number {
  return Math.max(1, Math.floor(perHour * 5 / 6));
}

/** Where the calls of earlier runs are remembered (the state). */
export interface CallLog {
  /** Start times (ms) of calls made after `since`, in any order. */
  callsSince(since: number): number[];
  /** Records that a call started at `at` (ms). */
  recordCall(at: number): void;
}

/** The pacer at one instant. */
export interface PacerState {
  /** Most calls in any rolling hour. */
  readonly perHour: number;
  /** Calls in the window that go without slowing down. */
  readonly burst: number;
  /**
   * Start times (ms, ascending) of the calls still in the window, including
   * the ones reserved by callers now waiting.
   */
  readonly calls: readonly number[];
  /** No call starts before this instant (a 429's Retry-After), in ms. */
  readonly blockedUntil: number;
}

/** Checks the settings and returns an empty window. */
export function initialPacerState(options: PacerOptions = {}): PacerState {
  const perHour = options.perHour ?? DEFAULT_PER_HOUR;
  if (!(perHour >= 1) || !Number.isFinite(perHour)) {
    throw new RangeError(
      `The API budget must be at least 1 call per hour, got ${perHour}`,
    );
  }
  const burst = options.burst ?? defaultBurst(perHour);
  if (!(burst >= 1) || !Number.isFinite(burst)) {
    throw new RangeError(`Pacer burst must be at least 1, got ${burst}`);
  }
  return {
    perHour: Math.floor(perHour),
    burst: Math.min(Math.floor(burst), Math.floor(perHour)),
    calls: [],
    blockedUntil: 0,
  };
}

/**
 * The gap (ms) after the latest call when `n` calls are already in the
 * window and `n >= burst`: it grows linearly from almost 0 to twice the
 * sustained spacing (`HOUR_MS / perHour`) as the window fills, so the calls
 * between `burst` and `perHour` take as long together as they would at the
 * sustained rate, without a step from "free" to "1 a second".
 */
export function gapMs(
  state: Pick<PacerState, "perHour" | "burst">,
  n: number,
): number {
  if (n < state.burst) return 0;
  const room = state.perHour - state.burst + 1;
  const step = Math.min(n - state.burst + 1, room) / room;
  return Math.ceil(2 * (HOUR_MS / state.perHour) * step);
}

/**
 * The earliest instant at or after `now` at which one more call may start:
 * after any block, after the gap the fill level asks for, and when fewer
 * than `perHour` calls (reserved ones included) lie in the hour before it.
 * Counting every call after `t - 1 h`, also those reserved later than `t`,
 * keeps every rolling hour that contains the new call within the budget.
 */
export function nextSlot(state: PacerState, now: number): number {
  const calls = state.calls;
  let t = Math.max(now, state.blockedUntil);
  for (;;) {
    const first = firstAfter(calls, t - HOUR_MS);
    const n = calls.length - first;
    let next = t;
    if (n >= state.perHour) {
      // Wait until enough of the oldest calls leave the window.
      next = calls[first + n - state.perHour]! + HOUR_MS;
    } else if (n >= state.burst) {
      next = Math.max(t, calls[calls.length - 1]! + gapMs(state, n));
    }
    if (next <= t) return t;
    t = next;
  }
}

/** Index of the first entry of the ascending `calls` that is after `time`. */
function firstAfter(calls: readonly number[], time: number): number {
  let low = 0;
  let high = calls.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (calls[mid]! > time) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Inserts `time` into the ascending `calls` (in place). */
function insertSorted(calls: number[], time: number): void {
  let i = calls.length;
  while (i > 0 && calls[i - 1]! > time) i--;
  calls.splice(i, 0, time);
}

/** Moves the block forward to `until` (never back). */
export function blockUntil(state: PacerState, until: number): PacerState {
  return until > state.blockedUntil ? { ...state, blockedUntil: until } : state;
}

/** The hourly-budget pacer shared by every API caller of a run. */
export class Pacer {
  #clock: Clock;
  #perHour: number;
  #burst: number;
  #calls: number[] = [];
  #blockedUntil = 0;
  #log: CallLog | undefined;
  /** Calls made before a log was attached, to record when it is. */
  #unlogged: number[] = [];
  #waitedMs = 0;

  /** Starts with an empty window; waits go through `options.clock`. */
  constructor(options: PacerOptions & { clock: Clock }) {
    this.#clock = options.clock;
    const initial = initialPacerState(options);
    this.#perHour = initial.perHour;
    this.#burst = initial.burst;
  }

  /** The current window (for tests and status output). */
  get state(): PacerState {
    return {
      perHour: this.#perHour,
      burst: this.#burst,
      calls: [...this.#calls],
      blockedUntil: this.#blockedUntil,
    };
  }

  /** Total time callers spent waiting in {@link acquire}, in ms. */
  get waitedMs(): number {
    return this.#waitedMs;
  }

  /**
   * Shares the budget with earlier runs: the calls `log` remembers from the
   * last hour join the window, and every call from now on (and those made
   * before) is recorded in it.
   */
  attachLog(log: CallLog): void {
    const now = this.#clock.now();
    for (const at of log.callsSince(now - HOUR_MS)) {
      insertSorted(this.#calls, at);
    }
    for (const at of this.#unlogged) log.recordCall(at);
    this.#unlogged = [];
    this.#log = log;
  }

  /**
   * Waits until the caller may send one request. Rejects with the signal's
   * reason when aborted (the reserved slot is given back).
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#clock.now();
      this.#forget(now);
      const slot = nextSlot({
        perHour: this.#perHour,
        burst: this.#burst,
        calls: this.#calls,
        blockedUntil: this.#blockedUntil,
      }, now);
      insertSorted(this.#calls, slot);
      if (slot > now) {
        try {
          this.#waitedMs += slot - now;
          await this.#clock.sleep(slot - now, signal);
        } catch (error) {
          this.#remove(slot);
          throw error;
        }
        if (this.#clock.now() < this.#blockedUntil) {
          // A 429 seen by another worker while this one slept: reserve
          // again after the block (the limits are checked afresh).
          this.#remove(slot);
          continue;
        }
      }
      if (this.#log) this.#log.recordCall(slot);
      else this.#unlogged.push(slot);
      return;
    }
  }

  /**
   * Stops every caller until `untilMs` (an absolute time, e.g. now plus a
   * 429's Retry-After). Later calls never shorten an existing block.
   */
  blockUntil(untilMs: number): void {
    if (untilMs > this.#blockedUntil) this.#blockedUntil = untilMs;
  }

  /** Drops calls that left the window. */
  #forget(now: number): void {
    const first = firstAfter(this.#calls, now - HOUR_MS);
    if (first > 0) this.#calls.splice(0, first);
  }

  #remove(slot: number): void {
    const index = this.#calls.lastIndexOf(slot);
    if (index >= 0) this.#calls.splice(index, 1);
  }
}
