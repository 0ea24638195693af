/**
 * The idle and minimum-progress timer of a transfer, on the injected clock.
 *
 * @module
 */

import { type Clock, startTimer } from "../platform/clock.ts";

/**
 * Aborts a transfer when no byte arrives for `ms`, or when fewer than
 * `min.bytes` arrive in a `min.windowMs` window (a drip never goes idle).
 * Runs on the injected clock.
 */
export class IdleTimer {
  #cancelIdle: (() => void) | undefined;
  #cancelWindow: (() => void) | undefined;
  #windowBytes = 0;
  #lastActive = 0;
  #stopped = false;
  constructor(
    readonly clock: Clock,
    readonly ms: number,
    readonly min: { bytes: number; windowMs: number },
    readonly onIdle: () => void,
    readonly onSlow: (bytes: number, ms: number) => void,
  ) {}
  start(): void {
    this.#stopped = false;
    this.kick();
  }
  /** The body starts: from now on, minimum progress is required too. */
  startBody(): void {
    if (!this.#stopped && !this.#cancelWindow) this.#armWindow();
  }
  /**
   * Activity: the idle deadline moves to `ms` from now. The armed timer is
   * kept (one timer per idle period, not one per chunk): when it fires
   * early for a deadline that moved, it is armed again for the rest.
   */
  kick(bytes = 0): void {
    if (this.#stopped) return;
    this.#windowBytes += bytes;
    this.#lastActive = this.clock.now();
    if (!this.#cancelIdle) this.#armIdle(this.ms);
  }
  #armIdle(ms: number): void {
    this.#cancelIdle = startTimer(this.clock, ms, () => {
      this.#cancelIdle = undefined;
      if (this.#stopped) return;
      const rest = this.#lastActive + this.ms - this.clock.now();
      if (rest > 0) this.#armIdle(rest);
      else this.onIdle();
    });
  }
  #armWindow(): void {
    this.#windowBytes = 0;
    this.#cancelWindow = startTimer(this.clock, this.min.windowMs, () => {
      this.#cancelWindow = undefined;
      if (this.#stopped) return;
      if (this.#windowBytes < this.min.bytes) {
        this.onSlow(this.#windowBytes, this.min.windowMs);
      } else this.#armWindow();
    });
  }
  stop(): void {
    this.#stopped = true;
    this.#cancelIdle?.();
    this.#cancelWindow?.();
    this.#cancelIdle = this.#cancelWindow = undefined;
  }
}
