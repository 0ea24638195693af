/**
 * Streaming memory, measured (not asserted in tests, where RSS depends on
 * the machine): peak RSS growth of this process while
 *
 * 1. the downloader (`createDownloader`) fetches a 300 MB generated body from
 *    the download test server to disk, and
 * 2. the fake Flickr serves a 200 MB generated video that is hashed as it
 *    arrives.
 *
 * Goal for each: less than 100 MB (10^6 bytes) of growth (the whole body never sits in
 * memory). Run as a child of `bench/run.ts` (a fresh process, so earlier
 * sections do not skew the baseline); prints one JSON object.
 *
 * Usage: deno run -A bench/streaming_bench.ts [--quick]
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { createDownloader } from "../src/download/file_download.ts";
import { fetchClient } from "../src/http/http_client.ts";
import { systemClock } from "../src/platform/clock.ts";
import {
  generatedBody,
  startTestServer,
} from "../tests/helpers/download_server.ts";
import {
  addPhoto,
  createAccount,
  startFakeFlickr,
} from "../tests/fake_flickr/mod.ts";

const MiB = 1024 * 1024;

/** One measurement: bytes moved and the peak RSS growth while moving them. */
export interface StreamingResult {
  measure: string;
  bytes: number;
  rssGrowthBytes: number;
  goalBytes: number;
}

/** Samples RSS; `peak()` is the largest sample minus the first. */
function rssSampler(): { sample(): void; growth(): number } {
  const before = Deno.memoryUsage().rss;
  let peak = before;
  return {
    sample: () => peak = Math.max(peak, Deno.memoryUsage().rss),
    growth: () => peak - before,
  };
}

async function downloaderRow(size: number): Promise<StreamingResult> {
  const dir = await Deno.makeTempDir({ prefix: "fb_bench_stream_" });
  await using server = await startTestServer();
  try {
    server.route("/big.bin", {
      body: generatedBody(size),
      contentType: "application/octet-stream",
    });
    const rss = rssSampler();
    let sinceSample = 0;
    const result = await createDownloader({
      http: fetchClient,
      clock: systemClock,
    }).download({
      url: server.url("/big.bin"),
      dest: join(dir, "big.bin"),
      expect: "any",
      onProgress(delta) {
        sinceSample += delta;
        if (sinceSample >= 8 * MiB) {
          sinceSample = 0;
          rss.sample();
        }
      },
    });
    rss.sample();
    if (result.bytes !== size) {
      throw new Error(`downloaded ${result.bytes} bytes, not ${size}`);
    }
    return {
      measure: `downloader, one ${size / MiB} MiB body to disk`,
      bytes: size,
      rssGrowthBytes: rss.growth(),
      goalBytes: 100_000_000,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function fakeFlickrRow(size: number): Promise<StreamingResult> {
  const account = createAccount();
  const video = addPhoto(account, {
    media: "video",
    originalFormat: "mov",
    content: { kind: "generated", size, seed: 99, format: "mov" },
  });
  await using flickr = await startFakeFlickr({ account });
  const rss = rssSampler();
  const res = await fetch(flickr.photoUrl(video.id, "orig"));
  const hash = createHash("sha256");
  let n = 0;
  for await (const chunk of res.body ?? []) {
    hash.update(chunk);
    n += chunk.length;
    if ((n & 0xffffff) < chunk.length) rss.sample();
  }
  rss.sample();
  if (n !== size || hash.digest("hex") !== await flickr.fileSha256(video.id)) {
    throw new Error(`the fake served ${n} bytes or the wrong ones`);
  }
  return {
    measure: `fake Flickr, one ${size / MiB} MiB video streamed and hashed`,
    bytes: size,
    rssGrowthBytes: rss.growth(),
    goalBytes: 100_000_000,
  };
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const results = [
    await downloaderRow((quick ? 200 : 300) * MiB),
    await fakeFlickrRow(200 * MiB),
  ];
  console.log(JSON.stringify(results));
}
