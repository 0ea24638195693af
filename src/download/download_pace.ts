/**
 * How many downloads a backup keeps going at once, adapted to the files.
 *
 * A small file costs mostly the round trip (request, latency, first byte),
 * so many at once keep the line busy; a large one costs mostly bandwidth,
 * where more at once only splits it and leaves more files half done. So the
 * limit follows the size of the files just downloaded: about
 * {@link BYTES_IN_FLIGHT} bytes in flight up to {@link WIDE} at once, and
 * more at once only while {@link SMALL_BYTES_IN_FLIGHT} fit, within
 * `[floor, cap]`. With the defaults, files of 64 KB or less go 32 at once,
 * of 128 KB to 1 MB 16, of 4 MB or more 4. Bodies under 1 MB are held in
 * memory until written, so the budgets also bound that memory.
 *
 * Pure bookkeeping, no clock: the run feeds it the size of each finished
 * download and applies the limit it answers to its download gate.
 *
 * @module
 */

/** Bytes the downloads in flight may add up to (estimated from the mean). */
export const BYTES_IN_FLIGHT = 16_000_000;
/** Downloads at once that {@link BYTES_IN_FLIGHT} may reach. */
export const WIDE = 16;
/**
 * Bytes in flight beyond {@link WIDE} at once. Each download in flight
 * holds more memory than its body (copies, buffers): 32 files of 490 KB at
 * once peaked at 157 MB RSS, 16 at 129 MB (with a 2 MB young generation). And past ~100 KB a file costs
 * mostly bytes, which more at once do not make cheaper.
 */
export const SMALL_BYTES_IN_FLIGHT = 2_000_000;

/** Downloads at once with no `--concurrency`: from this many… */
export const AUTO_FLOOR = 4;
/**
 * …up to this many, for small files. They gain from many at once even after
 * the line is busy: the event loop handles several answers per wake-up, so
 * 32 cost ~15 % less CPU per 20 KB photo than 16 (and ~30 % less time) at
 * 20 ms latency, for ~6 MB more memory.
 */
export const AUTO_CAP = 32;

/** Finished downloads whose sizes the estimate is based on. */
const WINDOW = 16;

/** The adaptive limit of downloads in flight. */
export class DownloadPace {
  /** Fewest downloads at once (where it starts, and where large files keep it). */
  readonly floor: number;
  /** Most downloads at once. */
  readonly cap: number;
  /** Highest limit reached so far. */
  peak: number;
  #limit: number;
  readonly #sizes: number[] = [];
  #sum = 0;

  constructor(floor: number, cap: number) {
    if (
      !Number.isInteger(floor) || floor < 1 || !Number.isInteger(cap) ||
      cap < floor
    ) {
      throw new RangeError(
        `Download pace needs whole numbers 1 ≤ floor ≤ cap, got ${floor} and ${cap}`,
      );
    }
    this.floor = floor;
    this.cap = cap;
    this.#limit = floor;
    this.peak = floor;
  }

  /**
   * Photos a run works on at once: the most downloads plus `floor` more,
   * whose files are checked, tagged and recorded while the downloads go on
   * (twice `--concurrency` when it is given). Every photo being worked on
   * costs memory, so not twice the cap.
   */
  get workers(): number {
    return this.cap + this.floor;
  }

  /** How many downloads may be in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** Mean size of the recent downloads, or undefined before the first. */
  get meanBytes(): number | undefined {
    return this.#sizes.length ? this.#sum / this.#sizes.length : undefined;
  }

  /** Counts a finished download of `bytes`; returns the new limit. */
  record(bytes: number): number {
    const size = Math.max(0, bytes);
    this.#sizes.push(size);
    this.#sum += size;
    if (this.#sizes.length > WINDOW) this.#sum -= this.#sizes.shift()!;
    const mean = this.#sum / this.#sizes.length;
    const fits = mean > 0
      ? Math.max(
        Math.min(WIDE, Math.floor(BYTES_IN_FLIGHT / mean)),
        Math.floor(SMALL_BYTES_IN_FLIGHT / mean),
      )
      : this.cap;
    this.#limit = Math.min(this.cap, Math.max(this.floor, fits));
    this.peak = Math.max(this.peak, this.#limit);
    return this.#limit;
  }
}

/**
 * The pace of a run: automatic ({@link AUTO_FLOOR} to {@link AUTO_CAP} by
 * file size) when `concurrency` is undefined, else exactly `concurrency`
 * downloads at once (the user's number is kept, never exceeded).
 */
export function downloadPace(concurrency: number | undefined): DownloadPace {
  return concurrency === undefined
    ? new DownloadPace(AUTO_FLOOR, AUTO_CAP)
    : new DownloadPace(concurrency, concurrency);
}
