/**
 * Bench-only child process: the "limit" a backup is compared with. Downloads
 * a list of URLs with N parallel workers, streaming each body straight into
 * its own file, with no metadata, no state, no checks and no fsync. Prints
 * one JSON line: `{"ms", "bytes", "files"}`.
 *
 * With `durable`, it is instead the I/O floor of a backup that keeps its
 * durability: each body is read into memory and written as the backup writes
 * a small photo and its sidecar (a temporary name, write, fsync, rename; a
 * ~1.5 KB sidecar the same way), in 60 folders, each fsynced once at the end.
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

/** Written as the backup writes a small file: temp name, fsync, rename. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  // Synchronous where the backup's atomicWriteFile is (only fsync awaits).
  // deno-lint-ignore no-sync-fn-in-async-fn
  const file = Deno.openSync(temp, { write: true, createNew: true });
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
  await file.sync();
  file.close();
  // deno-lint-ignore no-sync-fn-in-async-fn
  Deno.renameSync(temp, path);
}

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
    await writeDurably(path, body);
    await writeDurably(`${path}.json`, SIDECAR);
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
    const dir = await Deno.open(join(outDir, String(folder)), { read: true });
    await dir.sync();
    dir.close();
  }
} else {
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
}
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, bytes, files }));
