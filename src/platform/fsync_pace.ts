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
 * Longest fsync, in ms, after which the next one still waits in place: about
 * what a hand-off costs the main thread (0.07 ms for back-to-back calls,
 * ~0.2 ms between downloads, measured on a 2-core VM).
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
