/**
 * Bench-only child process: the "limit" a backup is compared with. Downloads
 * a list of URLs with N parallel workers, streaming each body straight into
 * its own file, with no metadata, no state, no checks and no fsync. Prints
 * one JSON line: `{"ms", "bytes", "files"}`.
 *
 * With `durable`, it is instead the I/O floor of a backup that keeps its
 * durability: each body is read into memory and written by the backup's own
 * `atomicWriteFile` (a temporary name, write, fsync, rename; a ~1.5 KB
 * sidecar the same way), in 60 folders, each fsynced once at the end.
 * No checks, metadata or state: what any tool with the same guarantee pays in
 * Deno and the kernel.
 *
 * Usage: deno run --allow-net=127.0.0.1 --allow-read=DIR,FILE
 *        --allow-write=DIR bench/_plain_download.ts URLS_JSON OUT_DIR N
 *        [durable]
 *
 * @module
 */

import { join } from "node:path";
import { atomicWriteFile, fsyncDir } from "../src/platform/fs.ts";

const [urlsFile = "", outDir = "", concurrencyArg = "4"] = Deno.args;
const urls: string[] = JSON.parse(await Deno.readTextFile(urlsFile));
const concurrency = Math.max(1, Number(concurrencyArg));
const durable = Deno.args[3] === "durable";
const FOLDERS = 60;
const SIDECAR = new TextEncoder().encode(JSON.stringify({
  note: "x".repeat(1500),
}));

let next = 0;
let bytes = 0;
let files = 0;

/** The next URL's index and its response (with a body), or undefined. */
async function nextResponse(): Promise<
  | { index: number; body: ReadableStream<Uint8Array>; response: Response }
  | undefined
> {
  const index = next++;
  const url = urls[index];
  if (url === undefined) return undefined;
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`Cannot download "${url}": status ${response.status}`);
  }
  return { index, body: response.body, response };
}

async function durableWorker(): Promise<void> {
  for (let got = await nextResponse(); got; got = await nextResponse()) {
    const { index, response } = got;
    const body = new Uint8Array(await response.arrayBuffer());
    const path = join(outDir, String(index % FOLDERS), `${index}.jpg`);
    // Written as the backup writes a small file and its sidecar (the same
    // function: temp name, fsync as the disk allows, rename).
    await atomicWriteFile(path, body, { syncDir: false });
    await atomicWriteFile(`${path}.json`, SIDECAR, { syncDir: false });
    bytes += body.length;
    files++;
  }
}

async function worker(): Promise<void> {
  for (let got = await nextResponse(); got; got = await nextResponse()) {
    const { index, body } = got;
    const file = await Deno.open(join(outDir, String(index)), {
      write: true,
      create: true,
      truncate: true,
    });
    let size = 0;
    await body
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
if (durable) {
  for (let folder = 0; folder < FOLDERS; folder++) {
    await Deno.mkdir(join(outDir, String(folder)), { recursive: true });
  }
  await Promise.all(Array.from({ length: concurrency }, () => durableWorker()));
  for (let folder = 0; folder < FOLDERS; folder++) {
    await fsyncDir(join(outDir, String(folder)));
  }
} else {
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
}
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, bytes, files }));
