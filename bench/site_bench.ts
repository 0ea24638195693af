/**
 * Benchmark of the offline site (called by `bench/run.ts`, section "site";
 * also runnable alone:
 * `deno run -A --v8-flags=--expose-gc bench/site_bench.ts [--photos N]`,
 * `--expose-gc` as in the release flags: see `bench/run.ts`).
 *
 * On a generated account (tiny JPEGs, half with an EXIF thumbnail; albums of
 * about 500 photos) it measures:
 * - the first generation (in process) and the size of `.flickr_site/`;
 * - a refresh after nothing changed: in process (median of 3), and as the
 *   whole `flickr-backup site` command under the release permission set
 *   (process start included);
 * - what the largest album page transfers: its HTML plus every thumbnail it
 *   shows, once all are loaded.
 *
 * @module
 */

import { join } from "node:path";
import { generateSite } from "../src/site/generate_site.ts";
import { runCliProcess } from "../tests/helpers/cli.ts";
import { makeSiteAccount } from "../tests/helpers/site_fixture.ts";

/** What {@link siteBench} measured. */
export interface SiteBenchResult {
  photos: number;
  albums: number;
  firstMs: number;
  siteBytes: number;
  siteFiles: number;
  refreshMs: number;
  refreshCommandMs: number;
  largestAlbum: { photos: number; bytes: number };
}

function folderSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      const inner = folderSize(path);
      bytes += inner.bytes;
      files += inner.files;
    } else {
      bytes += Deno.statSync(path).size;
      files++;
    }
  }
  return { bytes, files };
}

/** HTML + thumbnails of the album page with the most photos. */
async function largestAlbum(
  root: string,
): Promise<{ photos: number; bytes: number }> {
  const dir = join(root, ".flickr_site", "a");
  let best = { photos: 0, bytes: 0 };
  for (const entry of await Array.fromAsync(Deno.readDir(dir))) {
    const path = join(dir, entry.name);
    const html = await Deno.readTextFile(path);
    const sources = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) =>
      decodeURIComponent(m[1]!)
    );
    if (sources.length <= best.photos) continue;
    let bytes = new TextEncoder().encode(html).length;
    for (const src of sources) bytes += (await Deno.stat(join(dir, src))).size;
    best = { photos: sources.length, bytes };
  }
  return best;
}

/** Runs the measurements on a new account of `photos` photos. */
export async function siteBench(photos: number): Promise<SiteBenchResult> {
  const albums = Math.max(1, Math.round(photos * 0.8 / 500));
  const account = makeSiteAccount({ photos, albums });
  try {
    let started = performance.now();
    const first = await generateSite(account.dir);
    const firstMs = performance.now() - started;
    const refreshes: number[] = [];
    for (let i = 0; i < 3; i++) {
      started = performance.now();
      const again = await generateSite(account.dir);
      refreshes.push(performance.now() - started);
      if (again.written !== 0) {
        throw new Error(`a no-change refresh wrote ${again.written} files`);
      }
    }
    refreshes.sort((a, b) => a - b);
    started = performance.now();
    const command = await runCliProcess(["site", "--dir", account.dir, "-q"]);
    const refreshCommandMs = performance.now() - started;
    if (command.code !== 0) {
      throw new Error(
        `flickr-backup site exited ${command.code}: ${command.stderr}`,
      );
    }
    const size = folderSize(join(account.dir, ".flickr_site"));
    return {
      photos: first.photos,
      albums: first.albums,
      firstMs,
      siteBytes: size.bytes + (await Deno.stat(first.indexPath)).size,
      siteFiles: size.files + 1,
      refreshMs: refreshes[1]!,
      refreshCommandMs,
      largestAlbum: await largestAlbum(account.dir),
    };
  } finally {
    await Deno.remove(account.dir, { recursive: true });
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--photos");
  const photos = at >= 0 ? Number(Deno.args[at + 1]) : 10_000;
  console.log(JSON.stringify(await siteBench(photos), null, 2));
}
