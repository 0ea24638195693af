/**
 * Helpers for end-to-end backup tests: a signed-in backup folder for a fake
 * account, the tree the backup must produce, and a snapshot of what is on
 * disk.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { albumFolderNames } from "../../src/app/folder_names.ts";
import { saveTokens } from "../../src/app/tokens_file.ts";
import {
  type Account,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  type FakeFlickr,
} from "../fake_flickr/mod.ts";

/** Environment pointing the CLI at the fake with the fake's key. */
export function fakeEnv(flickr: FakeFlickr): Record<string, string> {
  return {
    FLICKR_ENDPOINT: flickr.url,
    FLICKR_API_KEY: FAKE_API_KEY,
    FLICKR_API_SECRET: FAKE_API_SECRET,
  };
}

/** Writes a tokens file as `login` would, using a token issued by the fake. */
export async function signIn(flickr: FakeFlickr, dir: string): Promise<{
  token: string;
  tokenSecret: string;
}> {
  const issued = flickr.issueAccessToken("read");
  await saveTokens(dir, {
    apiKey: FAKE_API_KEY,
    apiSecret: FAKE_API_SECRET,
    oauthToken: issued.token,
    oauthTokenSecret: issued.tokenSecret,
    userNsid: flickr.account.nsid,
    username: flickr.account.username,
  }, new Date());
  return issued;
}

/** Extension the backup must use for a photo of the fake account. */
export function expectedExtension(
  photo: { media: string; originalAvailable: boolean; originalFormat: string },
): string {
  if (photo.originalAvailable) return photo.originalFormat.toLowerCase();
  return photo.media === "video" ? "mp4" : "jpg";
}

/** Every media file the backup must contain: relative path → photo id. */
export function expectedFiles(account: Account): Map<string, string> {
  const folders = albumFolderNames(
    account.albums.map((album) => ({ id: album.id, title: album.title })),
  );
  const files = new Map<string, string>();
  const inAlbum = new Set<string>();
  for (const album of account.albums) {
    for (const id of album.photoIds) {
      const photo = account.photos.get(id);
      if (!photo) continue;
      inAlbum.add(id);
      files.set(
        `${folders.get(album.id)}/${id}.${expectedExtension(photo)}`,
        id,
      );
    }
  }
  for (const [id, photo] of account.photos) {
    if (!inAlbum.has(id)) {
      files.set(`Unsorted/${id}.${expectedExtension(photo)}`, id);
    }
  }
  return files;
}

/** One file on disk. */
export interface DiskFile {
  size: number;
  sha256: string;
}

/** All files under `root` (relative "/" paths), excluding the given names. */
export async function snapshot(
  root: string,
  options: { skip?: (relPath: string) => boolean } = {},
): Promise<Map<string, DiskFile>> {
  const out = new Map<string, DiskFile>();
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const rel = relative(root, path).split("\\").join("/");
      if (options.skip?.(rel)) continue;
      if (entry.isDirectory) await walk(path);
      else {
        const bytes = await Deno.readFile(path);
        out.set(rel, {
          size: bytes.length,
          sha256: createHash("sha256").update(bytes).digest("hex"),
        });
      }
    }
  }
  await walk(root);
  return out;
}

/** Skips the run's own bookkeeping files (and the offline site) in snapshots. */
export function isBookkeeping(rel: string): boolean {
  return rel.startsWith(".flickr") || rel.startsWith("flickr_backup_") ||
    rel === "last_run.json" || rel === "index.html"; // index.html: the offline site
}

/** Media files only (no sidecars, no bookkeeping). */
export function mediaOnly(rel: string): boolean {
  return isBookkeeping(rel) || rel.endsWith(".json") || rel.endsWith(".xmp");
}

/** SHA-256 hex of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb-test-" });
  try {
    await fn(dir);
  } finally {
    // Some tests leave read-only folders behind; removal is best effort.
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  }
}

/**
 * The backup as two runs of the same account must leave it: media files as
 * size + hash, sidecars without their per-run time, no bookkeeping, no
 * `.trash/`.
 */
export async function comparableTree(
  dir: string,
): Promise<Map<string, DiskFile | string>> {
  const files = await snapshot(dir, {
    skip: (rel) => isBookkeeping(rel) || rel.startsWith(".trash"),
  });
  const out = new Map<string, DiskFile | string>();
  for (const [rel, file] of files) {
    if (rel.endsWith(".json")) {
      const sidecar = JSON.parse(await Deno.readTextFile(join(dir, rel)));
      delete sidecar.backed_up_at;
      out.set(rel, JSON.stringify(sidecar));
    } else out.set(rel, file);
  }
  return out;
}
