/**
 * How the fsync of a small file waits. An awaited `file.sync()` hands the
 * call to a blocking thread and its answer back to the event loop: tens to
 * hundreds of µs of CPU, most of it on the main thread, however fast the
 * disk. Where the fsync itself takes less than that (tmpfs, a fast SSD),
 * waiting for it in place costs less CPU and holds the event loop no longer
 * than the hand-off would.
 *
 * So an fsync waits in place while the last one that did took under
 * {@link FAST_MS}; after a slower one, the next {@link HAND_OFF_RUN} are
 * handed off (the event loop keeps serving downloads meanwhile), and the
 * one after them waits in place again to measure the disk anew. On a slow
 * disk the event loop is held once per run of handed-off calls, for one
 * fsync.
 *
 * @module
 */

/**
 * Longest fsync, in ms, after which the next one still waits in place: a few
 * times what a hand-off costs (~0.06 ms of CPU back to back, ~0.09 ms between
 * downloads, on a 2-core VM), so that waiting in place never holds the event
 * loop much longer than the hand-off would have cost. An ext4 fsync of a
 * small new file (0.4 ms and up there) is handed off.
 */
export const FAST_MS = 0.25;
/** Handed-off fsyncs after a slow in-place one, before the next probe. */
export const HAND_OFF_RUN = 64;

/** The two ways a file can be fsynced. */
export interface SyncableFile {
  sync(): Promise<void>;
  syncSync(): void;
}

/** Chooses, call by call, whether an fsync waits in place or is handed off. */
export class FsyncPace {
  #now: () => number;
  #handOffs = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** True when the next fsync will be handed off to a thread. */
  get handingOff(): boolean {
    return this.#handOffs > 0;
  }

  /** Fsyncs `file` the way the last measured fsync calls for. */
  async sync(file: SyncableFile): Promise<void> {
    if (this.#handOffs > 0) {
      this.#handOffs--;
      await file.sync();
      return;
    }
    const start = this.#now();
    // Waiting in place is the point here (see the module's comment).
    file.syncSync();
    if (this.#now() - start >= FAST_MS) this.#handOffs = HAND_OFF_RUN;
  }
}

/** The pace shared by every small-file fsync of this process. */
export const smallFileFsync = new FsyncPace();
