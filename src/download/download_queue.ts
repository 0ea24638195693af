/**
 * Runs a worker over a stream of items with bounded concurrency.
 *
 * Items are pulled lazily, one per free worker, so a listing of 100k photos
 * is never held in memory. Workers handle (record, report, skip) their own
 * per-item failures; an error a worker lets escape ends the run.
 *
 * @module
 */

import { AppError, AuthError, ExitCode, LocalFatalError } from "../errors.ts";

/** Options of {@link runQueue}. */
export interface QueueOptions {
  /** Workers running at once (an integer ≥ 1). */
  concurrency: number;
  /** Stops taking new items; in-flight workers see it on their signal. */
  signal?: AbortSignal;
}

const FATAL_EXIT_CODES: ReadonlySet<number> = new Set([
  ExitCode.Auth,
  ExitCode.LocalFatal,
  ExitCode.Locked,
  ExitCode.Interrupted,
  ExitCode.Terminated,
]);

/**
 * True for errors that must stop the whole run: `fatal: true`, a
 * {@link LocalFatalError} (disk full, read-only), an {@link AuthError}, or
 * another AppError whose exit code ends runs (locked, interrupted).
 */
export function isFatalError(err: unknown): boolean {
  if (err instanceof LocalFatalError || err instanceof AuthError) return true;
  if (err instanceof AppError && FATAL_EXIT_CODES.has(err.exitCode)) {
    return true;
  }
  return typeof err === "object" && err !== null &&
    (err as { fatal?: unknown }).fatal === true;
}

/** Items pulled between two turns of the event loop (see `pull`). */
const TURN_EVERY = 256;

/** Resolves on the next turn of the event loop (a timer of 0 ms). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Calls `worker(item, signal)` for every item, at most `concurrency` at once.
 *
 * - Pulls the next item only when a worker is free; `items.next()` is never
 *   called concurrently.
 * - When `options.signal` aborts: no new item is taken, the workers' signal
 *   aborts, the queue waits for the in-flight workers, then rejects with the
 *   signal's reason.
 * - When a worker throws a fatal error ({@link isFatalError}): the other
 *   workers' signal aborts with it, no new item is taken, and once the
 *   in-flight workers settle the queue rejects with that error.
 * - When a worker throws any other error (it should have handled it): no new
 *   item is taken, in-flight workers finish normally, and the queue rejects
 *   with the first such error.
 * - When the item source throws: the same as the previous case.
 *
 * @returns When every item was processed.
 */
export async function runQueue<T>(
  items: AsyncIterable<T> | Iterable<T>,
  worker: (item: T, signal: AbortSignal) => Promise<void>,
  options: QueueOptions,
): Promise<void> {
  const { concurrency, signal } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot run the queue: concurrency must be an integer of at least 1, got ${concurrency}`,
    );
  }
  signal?.throwIfAborted();

  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });

  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in items
    ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (items as Iterable<T>)[Symbol.iterator]();
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  // Every TURN_EVERY items the next pull waits for one turn of the event
  // loop: items that finish at once (skipped, already done) would otherwise
  // run as one long stretch of promise callbacks in which no timer fires and
  // no signal (Ctrl-C) is seen.
  let pulled = 0;
  function pull(): Promise<IteratorResult<T>> {
    pulled++;
    const before = pulled % TURN_EVERY === 0 ? chain.then(nextTurn) : chain;
    const next = before.then(() => iterator.next());
    chain = next.catch(() => {});
    return next;
  }

  function stopped(): boolean {
    return exhausted || failure !== undefined || controller.signal.aborted;
  }

  async function lane(): Promise<void> {
    while (!stopped()) {
      let result: IteratorResult<T>;
      try {
        result = await pull();
      } catch (err) {
        failure ??= { error: err };
        exhausted = true;
        return;
      }
      if (result.done) {
        exhausted = true;
        return;
      }
      if (stopped()) return;
      try {
        await worker(result.value, controller.signal);
      } catch (err) {
        if (isFatalError(err)) {
          failure ??= { error: err };
          controller.abort(err);
        } else if (!controller.signal.aborted) {
          failure ??= { error: err };
        }
        // Otherwise the worker stopped because of the abort: expected.
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, () => lane()));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!exhausted) {
      // Let a generator run its cleanup (close a listing, a cursor).
      await chain;
      try {
        await iterator.return?.();
      } catch {
        // The source's own cleanup failed; the run is ending anyway.
      }
    }
  }
  if (failure !== undefined) throw failure.error;
  if (signal?.aborted) throw signal.reason;
}

/**
 * A counting semaphore with a limit that may change: at most `limit` calls
 * of {@link Gate.run} are inside at once, the others wait in arrival order.
 * A backup run uses one to keep its downloads going while finished files
 * are checked, tagged and recorded outside it; `settled` sees each result,
 * so the run can adapt the limit to what was downloaded (see
 * `download_pace.ts`).
 */
export class Gate<R = unknown> {
  #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #settled: ((result: R) => void) | undefined;

  constructor(limit: number, options: { settled?: (result: R) => void } = {}) {
    this.#limit = checkedLimit(limit);
    this.#settled = options.settled;
  }

  /** How many calls may be inside at once. */
  get limit(): number {
    return this.#limit;
  }

  /** How many calls are inside now. */
  get active(): number {
    return this.#active;
  }

  /**
   * Changes the limit: a higher one lets waiting calls in at once, a lower
   * one lets no more in until fewer than `limit` are inside (calls already
   * inside are never stopped).
   */
  setLimit(limit: number): void {
    this.#limit = checkedLimit(limit);
    this.#admit();
  }

  /** Runs `fn` once a place is free; gives up waiting when `signal` aborts. */
  async run<T extends R>(
    fn: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    await this.#enter(signal);
    try {
      const result = await fn();
      this.#settled?.(result);
      return result;
    } finally {
      this.#active--;
      this.#admit();
    }
  }

  #admit(): void {
    while (this.#active < this.#limit && this.#waiting.length > 0) {
      this.#active++;
      this.#waiting.shift()!();
    }
  }

  #enter(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.#limit && this.#waiting.length === 0) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const admit = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(admit);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(admit);
    });
  }
}

function checkedLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`A gate needs a limit of at least 1, got ${limit}`);
  }
  return limit;
}
