/**
 * Keeps API calls under Flickr's limit ("3600 queries per hour across the
 * whole key", FLICKR_API.md §5) with a token bucket, and lets a 429 pause
 * every worker until the instant Flickr named.
 *
 * The maths is pure ({@link nextDelay}, {@link reserve}, rclone `Calculator`
 * style) and table-tested; {@link Pacer} only adds waiting through the
 * injected {@link Clock}.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";

/** Pacer settings. */
export interface PacerOptions {
  /** Sustained rate, calls per hour. Default 3600 (Flickr's per-key limit). */
  perHour?: number;
  /** Calls allowed back to back before pacing starts. Default 20. */
  burst?: number;
}

/** Default sustained rate: Flickr's documented per-key limit. */
export const DEFAULT_PER_HOUR = 3600;
/** Default burst. */
export const DEFAULT_BURST = 20;

/** The bucket at one instant. */
export interface PacerState {
  /** Sustained rate, calls per hour. */
  readonly perHour: number;
  /** Bucket size. */
  readonly burst: number;
  /** Tokens at `updatedAt`; negative when calls are reserved ahead. */
  readonly tokens: number;
  /** When `tokens` was computed, in ms. */
  readonly updatedAt: number;
  /** No call starts before this instant (a 429's Retry-After), in ms. */
  readonly blockedUntil: number;
}

/** Returns a full bucket at `now`. */
export function initialPacerState(
  now: number,
  options: PacerOptions = {},
): PacerState {
  const perHour = options.perHour ?? DEFAULT_PER_HOUR;
  const burst = options.burst ?? DEFAULT_BURST;
  if (!(perHour > 0) || !Number.isFinite(perHour)) {
    throw new RangeError(
      `Pacer rate must be a positive number, got ${perHour}`,
    );
  }
  if (!(burst >= 1) || !Number.isFinite(burst)) {
    throw new RangeError(`Pacer burst must be at least 1, got ${burst}`);
  }
  return { perHour, burst, tokens: burst, updatedAt: now, blockedUntil: 0 };
}

/** Milliseconds one token takes to refill. */
export function msPerToken(state: Pick<PacerState, "perHour">): number {
  return 3_600_000 / state.perHour;
}

/** Adds the tokens earned since `updatedAt`, capped at `burst`. */
export function refill(state: PacerState, now: number): PacerState {
  const elapsed = Math.max(0, now - state.updatedAt);
  const tokens = Math.min(
    state.burst,
    state.tokens + elapsed / msPerToken(state),
  );
  return { ...state, tokens, updatedAt: Math.max(now, state.updatedAt) };
}

/**
 * Returns how long a call arriving at `now` must wait: until one token is in
 * the bucket and any block has passed. 0 means it may go at once.
 */
export function nextDelay(state: PacerState, now: number): number {
  const current = refill(state, now);
  const forToken = current.tokens >= 1
    ? 0
    : Math.ceil((1 - current.tokens) * msPerToken(current));
  return Math.max(forToken, state.blockedUntil - now, 0);
}

/**
 * Takes one token for a call arriving at `now`, possibly going into debt, and
 * returns the new state with the wait that call must serve. Successive
 * reservations queue up: the n-th caller in a drained bucket waits n token
 * periods, so concurrent workers share the rate instead of racing.
 */
export function reserve(
  state: PacerState,
  now: number,
): { state: PacerState; delayMs: number } {
  const delayMs = nextDelay(state, now);
  const current = refill(state, now);
  return { state: { ...current, tokens: current.tokens - 1 }, delayMs };
}

/** Moves the block forward to `until` (never back). */
export function blockUntil(state: PacerState, until: number): PacerState {
  return until > state.blockedUntil ? { ...state, blockedUntil: until } : state;
}

/** A token-bucket pacer shared by every API caller of a run. */
export class Pacer {
  #clock: Clock;
  #state: PacerState;
  #waitedMs = 0;

  /** Starts with a full bucket; waits go through `options.clock`. */
  constructor(options: PacerOptions & { clock: Clock }) {
    this.#clock = options.clock;
    this.#state = initialPacerState(options.clock.now(), options);
  }

  /** The current bucket (for tests and status output). */
  get state(): PacerState {
    return this.#state;
  }

  /** Total time callers spent waiting in {@link acquire}, in ms. */
  get waitedMs(): number {
    return this.#waitedMs;
  }

  /**
   * Waits until the caller may send one request. Rejects with the signal's
   * reason when aborted (the reserved token is given back).
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const start = this.#clock.now();
    const reserved = reserve(this.#state, start);
    this.#state = reserved.state;
    const readyAt = start + reserved.delayMs;
    try {
      // Loop because a 429 seen by another worker may push the block past
      // the instant this caller was going to wake at.
      for (;;) {
        const now = this.#clock.now();
        const wait = Math.max(readyAt, this.#state.blockedUntil) - now;
        if (wait <= 0) return;
        this.#waitedMs += wait;
        await this.#clock.sleep(wait, signal);
      }
    } catch (error) {
      this.#state = {
        ...this.#state,
        tokens: Math.min(this.#state.burst, this.#state.tokens + 1),
      };
      throw error;
    }
  }

  /**
   * Stops every caller until `untilMs` (an absolute time, e.g. now plus a
   * 429's Retry-After). Later calls never shorten an existing block.
   */
  blockUntil(untilMs: number): void {
    this.#state = blockUntil(this.#state, untilMs);
  }
}
