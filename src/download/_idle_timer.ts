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
  kick(bytes = 0): void {
    if (this.#stopped) return;
    this.#windowBytes += bytes;
    this.#cancelIdle?.();
    this.#cancelIdle = startTimer(this.clock, this.ms, () => {
      this.#cancelIdle = undefined;
      this.onIdle();
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
