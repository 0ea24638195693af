/**
 * The offline site's files: its manifest and quick check (what a refresh
 * remembers between generations), writing pages and large files a piece at
 * a time, listing and removing what the site folder holds. Used by
 * `generate_site.ts`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { tempPathFor, writeAllSync } from "../platform/fs.ts";
import type { SidecarCache } from "./backup_scan.ts";
import type { ThumbRef } from "./pages.ts";

/** Bump when pages or thumbnails change in a way old manifests miss. */
export const MANIFEST_VERSION = 2; // 2: large photos shown as they are, not as tiles
/** Everything remembered between generations (large: one entry per photo). */
export const MANIFEST = "manifest.json";
/** What a refresh after an unchanged run needs to know (small). */
export const QUICK = "quick.json";

export interface Manifest {
  version: number;
  sidecars: SidecarCache;
  thumbs: Record<string, { key: string; ref: ThumbRef }>;
  /** Page or asset to the hash of its text (search index: of its input). */
  pages: Record<string, string>;
}

/** Read first: when the backup's listing is unchanged, nothing else is. */
export interface QuickCheck {
  version: number;
  generator: string;
  /** `BackupListing.signature` the site was made from. */
  signature: string;
  /** Files in the site folder after that generation. */
  files: number;
  photos: number;
  albums: number;
  withoutThumbnail: number;
}

export async function readManifest(siteDir: string): Promise<Manifest> {
  const empty: Manifest = {
    version: MANIFEST_VERSION,
    sidecars: {},
    thumbs: {},
    pages: {},
  };
  try {
    const parsed = JSON.parse(
      await Deno.readTextFile(join(siteDir, MANIFEST)),
    ) as Manifest;
    return parsed?.version === MANIFEST_VERSION && parsed.pages &&
        parsed.sidecars && parsed.thumbs
      ? parsed
      : empty;
  } catch {
    return empty;
  }
}

export async function readQuick(
  siteDir: string,
): Promise<QuickCheck | undefined> {
  try {
    const parsed = JSON.parse(
      await Deno.readTextFile(join(siteDir, QUICK)),
    ) as QuickCheck;
    return parsed?.version === MANIFEST_VERSION ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `pieces` to a file, 64 KB at a time: a large file (a search index,
 * the manifest) never exists as one string and its bytes.
 */
export function writeChunks(
  root: string,
  rel: string,
  pieces: Iterable<string>,
  made = new Set<string>(),
): void {
  const path = join(root, rel);
  const dir = dirname(path);
  if (!made.has(dir)) {
    Deno.mkdirSync(dir, { recursive: true });
    made.add(dir);
  }
  using file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  writePieces(file, pieces);
}

function writePieces(file: Deno.FsFile, pieces: Iterable<string>): void {
  const encoder = new TextEncoder();
  let chunk = "";
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= 64 * 1024) {
      writeAllSync(file, encoder.encode(chunk));
      chunk = "";
    }
  }
  if (chunk) writeAllSync(file, encoder.encode(chunk));
}

/** The manifest's JSON, a few entries at a time. */
function* manifestJson(manifest: Manifest): Generator<string> {
  yield `{"version":${JSON.stringify(manifest.version)}`;
  const sections = {
    sidecars: manifest.sidecars,
    thumbs: manifest.thumbs,
    pages: manifest.pages,
  };
  for (const [name, entries] of Object.entries(sections)) {
    yield `,${JSON.stringify(name)}:{`;
    let comma = "";
    for (const key in entries) {
      yield `${comma}${JSON.stringify(key)}:${
        JSON.stringify((entries as Record<string, unknown>)[key])
      }`;
      comma = ",";
    }
    yield "}";
  }
  yield "}";
}

/**
 * Writes the manifest in place of the old one, a few entries at a time (as
 * one JSON string and its bytes it held ~20 MB at 10,000 photos); flushed
 * to disk before the rename (the caller syncs the folder).
 */
export function writeManifest(path: string, manifest: Manifest): void {
  const tmp = tempPathFor(path);
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(tmp, { write: true, createNew: true });
    writePieces(file, manifestJson(manifest));
    file.syncSync();
    file.close();
    file = undefined;
    Deno.renameSync(tmp, path);
  } catch (error) {
    try {
      file?.close();
      Deno.removeSync(tmp);
    } catch {
      // nothing more to clean
    }
    throw error;
  }
}

/** Calls `visit` with each file under the site folder (relative, "/"). */
function walkSite(siteDir: string, visit: (rel: string) => void): void {
  const walk = (dir: string, prefix: string) => {
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (prefix === "" && entry.name === QUICK) continue;
      if (entry.isDirectory) {
        walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      } else visit(`${prefix}${entry.name}`);
    }
  };
  walk(siteDir, "");
}

/** Files present under the site folder (relative, "/"), one listing each. */
export function presentFiles(siteDir: string): Set<string> {
  const present = new Set<string>();
  walkSite(siteDir, (rel) => present.add(rel));
  return present;
}

/** How many files the site folder holds. */
export function countFiles(siteDir: string): number {
  let count = 0;
  walkSite(siteDir, () => count++);
  return count;
}

/**
 * Writes files in place. A page cut short by a crash is harmless: the
 * manifest is written last, so the next generation still holds the old
 * hash for it and writes it again.
 */
export function writeFiles(
  root: string,
  files: [string, string | Uint8Array][],
  made = new Set<string>(),
): void {
  for (const [rel, content] of files) {
    const path = join(root, rel);
    const dir = dirname(path);
    if (!made.has(dir)) {
      Deno.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    if (typeof content === "string") Deno.writeTextFileSync(path, content);
    else Deno.writeFileSync(path, content);
  }
}

export function removeFiles(root: string, rels: string[]): number {
  let removed = 0;
  for (const rel of rels) {
    try {
      Deno.removeSync(join(root, rel));
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
