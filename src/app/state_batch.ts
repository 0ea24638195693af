/**
 * Groups the state writes of finished photos into one SQLite transaction per
 * batch instead of one per photo. A write is queued only after its files are
 * fsynced and renamed into folders marked with {@link StateBatch.needsSync};
 * each commit first fsyncs the folders marked since the last one (one fsync
 * per folder and batch instead of one per photo), so committing can only
 * leave the state behind the disk (a photo recorded as done on the next
 * flush, or recognised from its file by the next run after a crash), never
 * ahead of it.
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
  /**
   * Queued writes that trigger a commit. Default 512: a commit fsyncs every
   * folder touched since the last one, so small batches of small photos cost
   * a dozen folder fsyncs per few dozen photos; what a crash leaves
   * uncommitted is recognised from its files by the next run, not
   * downloaded again.
   */
  maxItems?: number;
  /** Age of the oldest queued write that triggers a commit. Default 1 s. */
  maxAgeMs?: number;
  /** Fsyncs a folder (its renames made durable) before a commit. */
  syncDir?: (dir: string) => Promise<void>;
}

/** Queued state writes, committed together. */
export class StateBatch {
  #store: BatchStore;
  #clock: Clock;
  #maxItems: number;
  #maxAgeMs: number;
  #syncDir: (dir: string) => Promise<void>;
  #queue: (() => void)[] = [];
  #dirs = new Set<string>();
  #oldest = 0;

  constructor(
    store: BatchStore,
    clock: Clock,
    options: StateBatchOptions = {},
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#maxItems = Math.max(1, options.maxItems ?? 512);
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
    this.#syncDir = options.syncDir ?? (() => Promise.resolve());
  }

  /** Writes waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Marks a folder whose renames the next commit makes durable first (call
   * it after the renames).
   */
  needsSync(dir: string): void {
    this.#dirs.add(dir);
  }

  /**
   * Queues `write` (it runs inside the batch's transaction); commits at once
   * when `urgent`, when the batch is full, or when its oldest write waited
   * long enough.
   */
  async add(write: () => void, urgent = false): Promise<void> {
    const now = this.#clock.now();
    if (this.#queue.length === 0) this.#oldest = now;
    this.#queue.push(write);
    if (
      urgent || this.#queue.length >= this.#maxItems ||
      now - this.#oldest >= this.#maxAgeMs
    ) await this.flush();
  }

  /**
   * Fsyncs the folders marked so far, then commits every queued write in
   * one transaction.
   */
  async flush(): Promise<void> {
    if (this.#queue.length === 0) return;
    const queue = this.#queue;
    const dirs = this.#dirs;
    this.#queue = [];
    this.#dirs = new Set();
    for (const dir of dirs) await this.#syncDir(dir);
    this.#store.transaction(() => {
      for (const write of queue) write();
    });
  }
}
