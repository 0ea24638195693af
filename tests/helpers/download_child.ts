/**
 * Test-only child process: runs one download with the real fetch and clock
 * under whatever permissions the parent test grants, and prints one JSON
 * line with the result or the error. Used to test `NotCapable` redirects
 * (a scoped `--allow-net`) and `kill -9` mid-download.
 *
 * Usage: deno run ... download_child.ts <url> <dest> <expect> [attempts]
 *
 * @module
 */

import { fetchClient } from "../../src/http/http_client.ts";
import { systemClock } from "../../src/platform/clock.ts";
import {
  createDownloader,
  DownloadFailedError,
} from "../../src/download/file_download.ts";

const [url = "", dest = "", expect = "any", attempts = "5"] = Deno.args;
const downloader = createDownloader({
  http: fetchClient,
  clock: systemClock,
  attempts: Number(attempts),
  baseDelayMs: 10,
  maxDelayMs: 20,
});
let reported = 0;
try {
  const result = await downloader.download({
    url,
    dest,
    expect: expect as "image" | "video" | "any",
    onProgress(delta) {
      reported += delta;
      console.log(JSON.stringify({ progress: reported }));
    },
  });
  console.log(JSON.stringify({ ok: true, result }));
} catch (err) {
  const e = err as Error;
  console.log(JSON.stringify({
    ok: false,
    name: e.name,
    message: e.message,
    transient: err instanceof DownloadFailedError ? err.transient : undefined,
    status: err instanceof DownloadFailedError ? err.status : undefined,
  }));
}
