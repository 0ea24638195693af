/**
 * A full garbage collection on request, for the import's long single flow.
 *
 * Over thousands of entries the import makes a steady trickle of
 * short-lived objects (zip.js entry records, JSON, sidecars) that live
 * across an await or two and are promoted to V8's old space. V8 collects
 * old space only when it reaches a limit set from the live heap (~14 MB
 * here) times a growth factor, so its garbage, and the process's peak RSS,
 * grew with the size of the export (136–159 MB at 300–2,400 photos). A
 * full collection every {@link GC_EVERY} entries (~10–20 ms each, a few %
 * of the time) keeps the peak flat instead. Deno has no `gc()` without
 * `--expose-gc`, and the flags of a compiled binary are fixed: the flag is
 * set at run time, and a fresh context gets `gc` (the Node.js idiom).
 * Where that fails, collection is left to V8 as before.
 *
 * @module
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Entries listed or read between two full collections. */
export const GC_EVERY = 100;

let gc: (() => void) | null | undefined;

/** Runs a full garbage collection (a no-op where the runtime cannot). */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const found = runInNewContext("gc");
      gc = typeof found === "function" ? found as () => void : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
