/**
 * What the download engine tests share: a temp folder, a test server and a
 * FakeClock per test, and the invariants every test checks (nothing under
 * the final name unless complete and equal to the source, no part file
 * after success).
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../assert.ts";
import { fetchClient } from "../../src/http/http_client.ts";
import { FakeClock } from "../../src/platform/clock.ts";
import {
  fakeJpeg,
  type Resource,
  startTestServer,
  type TestServer,
} from "./download_server.ts";
import {
  createDownloader,
  type DownloaderOptions,
  partPathsFor,
} from "../../src/download/file_download.ts";

/** The repository root. */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../..",
);

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface Ctx {
  dir: string;
  server: TestServer;
  clock: FakeClock;
  dest: string;
  downloader(options?: Partial<DownloaderOptions>): ReturnType<
    typeof createDownloader
  >;
}

/** Runs `fn` with a temp dir, a test server and a FakeClock. */
export async function withCtx(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb_dl_test_" });
  const server = await startTestServer();
  const clock = new FakeClock();
  try {
    await fn({
      dir,
      server,
      clock,
      dest: path.join(dir, "album", "photo.jpg"),
      downloader: (options = {}) =>
        createDownloader({
          http: fetchClient,
          clock,
          random: () => 1,
          ...options,
        }),
    });
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every file under `dir`, relative, sorted. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    for await (const entry of Deno.readDir(current)) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory) await walk(full);
      else out.push(path.relative(dir, full));
    }
  }
  await walk(dir);
  return out.sort();
}

export async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * I1/I2: `dest` holds exactly `expected` (or nothing when undefined), and
 * no part file remains unless `partKept`.
 */
export async function assertInvariants(
  dir: string,
  dest: string,
  expected: Uint8Array | undefined,
  partKept = false,
): Promise<void> {
  if (expected === undefined) {
    assert(!(await exists(dest)), "nothing may sit under the final name");
  } else {
    const actual = await Deno.readFile(dest);
    assertEquals(actual.length, expected.length, "final size");
    assert(sha256(actual) === sha256(expected), "final bytes equal source");
  }
  const leftovers = (await tree(dir)).filter((f) =>
    f.endsWith(".fbpart") || f.endsWith(".fbpart.json") ||
    f.endsWith(".fbtmp")
  );
  if (partKept) {
    const { part, meta } = partPathsFor(dest);
    assertEquals(
      leftovers,
      [path.relative(dir, part), path.relative(dir, meta)].sort(),
      "resumable part and its resume data are kept",
    );
  } else {
    assertEquals(leftovers, [], "no temp files left");
  }
}

export function jpegResource(
  size = 200_000,
  etag: string | null = '"v1"',
): Resource {
  return { body: fakeJpeg(size), etag, contentType: "image/jpeg" };
}
