/**
 * Groups the state writes of finished photos into one SQLite transaction per
 * batch instead of one per photo. A write is queued only after the files it
 * describes are durable, so committing it later can only leave the state
 * behind the disk (a photo recorded as done on the next flush, or recognised
 * from its file by the next run after a crash), never ahead of it.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";

/** The store operations a batch needs. */
export interface BatchStore {
  transaction<T>(fn: () => T): T;
}

/** When a batch is committed. */
export interface StateBatchOptions {
  /** Queued writes that trigger a commit. Default 64. */
  maxItems?: number;
  /** Age of the oldest queued write that triggers a commit. Default 1 s. */
  maxAgeMs?: number;
}

/** Queued state writes, committed together. */
export class StateBatch {
  #store: BatchStore;
  #clock: Clock;
  #maxItems: number;
  #maxAgeMs: number;
  #queue: (() => void)[] = [];
  #oldest = 0;

  constructor(
    store: BatchStore,
    clock: Clock,
    options: StateBatchOptions = {},
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#maxItems = Math.max(1, options.maxItems ?? 64);
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
  }

  /** Writes waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues `write` (it runs inside the batch's transaction); commits at once
   * when `urgent`, when the batch is full, or when its oldest write waited
   * long enough.
   */
  add(write: () => void, urgent = false): void {
    const now = this.#clock.now();
    if (this.#queue.length === 0) this.#oldest = now;
    this.#queue.push(write);
    if (
      urgent || this.#queue.length >= this.#maxItems ||
      now - this.#oldest >= this.#maxAgeMs
    ) this.flush();
  }

  /** Commits every queued write in one transaction. */
  flush(): void {
    if (this.#queue.length === 0) return;
    const queue = this.#queue;
    this.#queue = [];
    this.#store.transaction(() => {
      for (const write of queue) write();
    });
  }
}
