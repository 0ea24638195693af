/**
 * A full garbage collection when the JS heap has grown, for long single
 * flows: the import, and a backup's listing and plan (looked at after each
 * batch of 500 photos).
 *
 * Over thousands of entries the import makes a steady trickle of
 * short-lived objects (zip.js entry records, JSON, sidecars) that live
 * across an await or two and are promoted to V8's old space. V8 collects
 * old space only when it reaches a limit set from the live heap (~14 MB
 * here) times a growth factor, so its garbage, and the process's peak RSS,
 * grew with the size of the export (136–159 MB at 300–2,400 photos). A
 * full collection once the heap holds {@link SLACK} more than after the
 * last one keeps the peak flat instead (about one per 100 photos, a few %
 * of the CPU; one every 100 entries, whatever the heap, cost ~40 % more
 * CPU; 8 MB of slack let the peak drift by ~10 % from 300 to 2,400 photos).
 *
 * The release flags (deno.json's `backup` and `compile:*` tasks) include
 * `--expose-gc`: its `gc()` is one full mark-compact. Without the flag (tests,
 * `deno run` by hand) the flag is set at run time and a fresh context gets
 * `gc` (the Node.js idiom), which in Deno is V8's low-memory notification:
 * two compacting collections that also shrink the heap, about twice the
 * cost (a 6,000-photo backup used ~8 % more CPU with it). Where both fail,
 * collection is left to V8.
 *
 * @module
 */

import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Entries listed or read between two looks at the heap. */
export const GC_CHECK_EVERY = 25;
/** Heap growth since the last collection that triggers the next. */
const SLACK = 4 * 1024 * 1024;

let gc: (() => void) | null | undefined;
let floor = 0;

/** A full GC if the heap grew by {@link SLACK} since the last one. */
export function collectGarbageIfGrown(): void {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === "function") gc = exposed as () => void;
  }
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const found = runInNewContext("gc");
      gc = typeof found === "function" ? found as () => void : null;
    } catch {
      gc = null;
    }
  }
  if (!gc || getHeapStatistics().used_heap_size < floor + SLACK) return;
  gc();
  floor = getHeapStatistics().used_heap_size;
}

/**
 * Frees the memory behind `view` at once (detaches its buffer), if the view
 * is the whole of an ordinary buffer: one shared with other views is left
 * to the garbage collector.
 */
export function releaseBytes(view: Uint8Array): void {
  const buffer = view.buffer;
  if (
    buffer instanceof ArrayBuffer && !buffer.detached &&
    view.byteOffset === 0 && view.byteLength === buffer.byteLength
  ) {
    buffer.transfer(0);
  }
}
