/**
 * Bench-only child process: the "limit" a backup is compared with. Downloads
 * a list of URLs with N parallel workers, streaming each body straight into
 * its own file, with no metadata, no state, no checks and no fsync. Prints
 * one JSON line: `{"ms", "bytes", "files"}`.
 *
 * Usage: deno run --allow-net=127.0.0.1 --allow-read=DIR,FILE
 *        --allow-write=DIR bench/_plain_download.ts URLS_JSON OUT_DIR N
 *
 * @module
 */

import { join } from "node:path";

const [urlsFile = "", outDir = "", concurrencyArg = "4"] = Deno.args;
const urls: string[] = JSON.parse(await Deno.readTextFile(urlsFile));
const concurrency = Math.max(1, Number(concurrencyArg));

let next = 0;
let bytes = 0;
let files = 0;

async function worker(): Promise<void> {
  while (next < urls.length) {
    const index = next++;
    const url = urls[index];
    if (url === undefined) return;
    const response = await fetch(url);
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(`Cannot download "${url}": status ${response.status}`);
    }
    const file = await Deno.open(join(outDir, String(index)), {
      write: true,
      create: true,
      truncate: true,
    });
    let size = 0;
    await response.body
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            size += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      )
      .pipeTo(file.writable);
    bytes += size;
    files++;
  }
}

const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, bytes, files }));
