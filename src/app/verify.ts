/**
 * `verify`: re-checks every file the state records as done, without calling
 * Flickr, and prepares a repair. Nothing here prints; results are data.
 *
 * For each done photo (not pruned): every placement path exists; the
 * canonical file has the recorded size and SHA-256 (streamed, memory
 * bounded); album copies are the same inode (hard link), resolve to the
 * canonical file (symlink), or hash equal (copy); a JPEG has an intact
 * structure (SOI, well-formed segments up to SOS, an EOI after the scan);
 * each placement has a `<file>.json` sidecar that parses and names the photo.
 *
 * A repair moves the bad files into `.trash/verify-YYYYMMDD-HHMMSS/` (never
 * deletes), then marks their photos for the next backup run, which fetches
 * them again.
 *
 * @module
 */

import {
  type FileInfo,
  isAlreadyExists,
  isNotFound,
  localFiles,
} from "../platform/local_files.ts";
import { folderInside, pathInside } from "../platform/safe_path.ts";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import type { Progress } from "./reporter.ts";
import { JpegStructureCheck } from "../metadata/jpeg_structure.ts";
import { isInside } from "../platform/fs.ts";
import type { RecordedPhoto } from "../state/state_reader.ts";

export type { RecordedPhoto } from "../state/state_reader.ts";

/** What is wrong with one path. */
export type ProblemKind =
  | "missing"
  | "size"
  | "checksum"
  | "structure"
  | "sidecar-missing"
  | "sidecar-invalid";

/** One problem found by {@link verifyBackup}. */
export interface VerifyProblem {
  photoId: string;
  /** The bad path, relative to the backup folder, "/"-separated. */
  relPath: string;
  kind: ProblemKind;
  /** Human-readable explanation. */
  detail: string;
  /**
   * False when the photo cannot be fetched again: it is gone from Flickr, or
   * its recorded path points outside the backup folder.
   */
  repairable: boolean;
}

/** Outcome of {@link verifyBackup}. */
export interface VerifyResult {
  /** Photos and videos checked. */
  checked: number;
  /** Media paths checked (canonical files and album copies). */
  files: number;
  /** Bytes read and hashed. */
  bytes: number;
  problems: VerifyProblem[];
}

/** What verification reads from the state (`StateReader`, `StateStore`). */
export interface VerifySource {
  /** Done, not pruned photos in id order, `limit` after `afterId`. */
  recordedPhotos(afterId: string, limit: number): RecordedPhoto[];
  /** How many photos `recordedPhotos` yields in all (for progress). */
  recordedPhotoCount(): number;
  /** Album folders a photo's copies are in. */
  placements(photoId: string): { albumId: string; relPath: string }[];
}

/** Options of {@link verifyBackup}. */
export interface VerifyOptions {
  /** Called after each photo: done/total photos, problem photos, bytes. */
  onProgress?: (progress: Progress) => void;
  /** Stops between files; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

const PAGE = 500;
const READ_BUFFER = 1024 * 1024;
const JPEG_NAME = /\.(jpe?g|jpe)$/i;

/** Checks every recorded file of the backup in `root`. */
export async function verifyBackup(
  root: string,
  store: VerifySource,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const result: VerifyResult = { checked: 0, files: 0, bytes: 0, problems: [] };
  const progress: Progress = {
    done: 0,
    total: store.recordedPhotoCount(),
    failed: 0,
    bytes: 0,
  };
  const buffer = new Uint8Array(READ_BUFFER);
  let after = "";
  while (true) {
    const page = store.recordedPhotos(after, PAGE);
    if (!page.length) break;
    for (const photo of page) {
      if (options.signal?.aborted) throw options.signal.reason;
      const placements = store.placements(photo.id);
      const found = await verifyPhoto(root, photo, placements, buffer, result);
      result.checked++;
      result.problems.push(...found);
      // As in a backup run: done and failed are disjoint, and add up to
      // the photos checked so far.
      if (found.length) progress.failed++;
      else progress.done++;
      progress.bytes = result.bytes;
      // Never less than checked, even if a backup added rows meanwhile.
      progress.total = Math.max(progress.total, result.checked);
      options.onProgress?.({ ...progress });
    }
    after = page[page.length - 1]!.id;
  }
  return result;
}

/**
 * A view of `source` limited to the photos in `ids` (e.g. the ones a repair
 * fetched again). Pages through the recorded rows, not through the files.
 */
export function onlyPhotos(
  source: VerifySource,
  ids: ReadonlySet<string>,
): VerifySource {
  return {
    recordedPhotos(afterId, limit) {
      let cursor = afterId;
      while (true) {
        const page = source.recordedPhotos(cursor, PAGE);
        if (!page.length) return [];
        const hits = page.filter((photo) => ids.has(photo.id));
        if (hits.length) return hits.slice(0, limit);
        cursor = page[page.length - 1]!.id;
      }
    },
    recordedPhotoCount: () => ids.size,
    placements: (photoId) => source.placements(photoId),
  };
}

/** Outcome of checking one media path. */
interface FileVerdict {
  kind?: "missing" | "size" | "checksum" | "structure";
  detail?: string;
  /** The canonical file's identity, for recognising hard links. */
  info?: FileInfo;
  realPath?: string;
}

async function verifyPhoto(
  root: string,
  photo: RecordedPhoto,
  placements: { albumId: string; relPath: string }[],
  buffer: Uint8Array,
  totals: VerifyResult,
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const report = (relPath: string, kind: ProblemKind, detail: string) =>
    problems.push({
      photoId: photo.id,
      relPath,
      kind,
      detail,
      repairable: !photo.deletedOnFlickr,
    });
  const paths = [
    ...new Set(
      [photo.relPath, ...placements.map((p) => p.relPath)].filter(Boolean),
    ),
  ];
  if (!photo.relPath) {
    report("", "missing", "the state records no file for this photo");
  }
  const outside = paths.filter((rel) => !isInside(root, join(root, rel)));
  for (const rel of outside) {
    problems.push({
      photoId: photo.id,
      relPath: rel,
      kind: "missing",
      detail: "the recorded path points outside the backup folder; not checked",
      repairable: false,
    });
  }
  const inside = paths.filter((rel) => !outside.includes(rel));

  let canonical: FileVerdict | undefined;
  if (photo.relPath && inside.includes(photo.relPath)) {
    canonical = await checkCanonical(root, photo, buffer, totals);
    totals.files++;
    if (canonical.kind) {
      report(photo.relPath, canonical.kind, canonical.detail!);
    }
  }
  for (const rel of inside) {
    if (rel === photo.relPath) continue;
    totals.files++;
    const verdict = await checkCopy(
      root,
      rel,
      photo,
      canonical,
      buffer,
      totals,
    );
    if (verdict.kind) report(rel, verdict.kind, verdict.detail!);
  }
  for (const rel of inside) {
    const sidecar = await checkSidecar(root, `${rel}.json`, photo.id);
    if (sidecar) report(`${rel}.json`, sidecar.kind, sidecar.detail);
  }
  return problems;
}

async function checkCanonical(
  root: string,
  photo: RecordedPhoto,
  buffer: Uint8Array,
  totals: VerifyResult,
): Promise<FileVerdict> {
  const path = join(root, photo.relPath);
  let info: FileInfo;
  try {
    info = await localFiles.stat(path);
  } catch (error) {
    return missing(error);
  }
  if (!info.isFile) {
    return { kind: "missing", detail: "is not a file" };
  }
  const realPath = await localFiles.realPath(path).catch(() => path);
  if (info.size !== photo.bytes) {
    return {
      kind: "size",
      detail: `${info.size} bytes on disk, ${photo.bytes} recorded`,
      info,
      realPath,
    };
  }
  const jpeg = JPEG_NAME.test(photo.relPath);
  const read = await readFile(path, info.size, buffer, jpeg, totals);
  if (read.error) {
    return { kind: "missing", detail: `cannot be read: ${read.error}`, info };
  }
  const structure = read.structure ? ` (JPEG: ${read.structure})` : "";
  if (read.bytes !== photo.bytes) {
    return {
      kind: "size",
      detail: `${read.bytes} bytes read, ${photo.bytes} recorded`,
      info,
      realPath,
    };
  }
  if (photo.sha256 && read.sha256 !== photo.sha256) {
    return {
      kind: "checksum",
      detail: `SHA-256 ${read.sha256.slice(0, 12)}… differs from the recorded ${
        photo.sha256.slice(0, 12)
      }…${structure}`,
      info,
      realPath,
    };
  }
  if (read.structure) {
    return {
      kind: "structure",
      detail: `broken JPEG: ${read.structure}`,
      info,
      realPath,
    };
  }
  return { info, realPath };
}

async function checkCopy(
  root: string,
  rel: string,
  photo: RecordedPhoto,
  canonical: FileVerdict | undefined,
  buffer: Uint8Array,
  totals: VerifyResult,
): Promise<FileVerdict> {
  const path = join(root, rel);
  let link: FileInfo;
  try {
    link = await localFiles.lstat(path);
  } catch (error) {
    return missing(error);
  }
  const canonicalOk = canonical?.info !== undefined;
  const inherit = (how: string): FileVerdict =>
    canonical?.kind
      ? {
        kind: canonical.kind,
        detail: `${how} ${photo.relPath}, which is bad`,
      }
      : {};
  if (link.isSymlink) {
    let real: string;
    try {
      real = await localFiles.realPath(path);
    } catch {
      const target = await localFiles.readLink(path).catch(() => "?");
      return {
        kind: "missing",
        detail: `symbolic link to "${target}", which does not exist`,
      };
    }
    if (canonicalOk && real === canonical?.realPath) {
      return inherit("symbolic link to");
    }
  }
  let info: FileInfo;
  try {
    info = await localFiles.stat(path);
  } catch (error) {
    return missing(error);
  }
  if (!info.isFile) return { kind: "missing", detail: "is not a file" };
  const base = canonical?.info;
  if (
    base && info.ino !== null && base.ino !== null && info.ino === base.ino &&
    info.dev === base.dev
  ) {
    return inherit("hard link to");
  }
  if (info.size !== photo.bytes) {
    return {
      kind: "size",
      detail: `${info.size} bytes on disk, ${photo.bytes} recorded`,
    };
  }
  const read = await readFile(path, info.size, buffer, false, totals);
  if (read.error) {
    return { kind: "missing", detail: `cannot be read: ${read.error}` };
  }
  if (read.bytes !== photo.bytes) {
    return {
      kind: "size",
      detail: `${read.bytes} bytes read, ${photo.bytes} recorded`,
    };
  }
  if (photo.sha256 && read.sha256 !== photo.sha256) {
    return {
      kind: "checksum",
      detail: `SHA-256 ${read.sha256.slice(0, 12)}… differs from the recorded ${
        photo.sha256.slice(0, 12)
      }…`,
    };
  }
  return {};
}

async function checkSidecar(
  root: string,
  rel: string,
  photoId: string,
): Promise<
  { kind: "sidecar-missing" | "sidecar-invalid"; detail: string } | undefined
> {
  let text: string;
  try {
    text = await localFiles.readTextFile(join(root, rel));
  } catch (error) {
    if (isNotFound(error)) {
      return { kind: "sidecar-missing", detail: "the JSON sidecar is missing" };
    }
    return {
      kind: "sidecar-invalid",
      detail: `cannot be read: ${(error as Error).message}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      kind: "sidecar-invalid",
      detail: `not valid JSON (${(error as Error).message})`,
    };
  }
  const id = typeof parsed === "object" && parsed !== null
    ? (parsed as Record<string, unknown>).id
    : undefined;
  if (id !== photoId) {
    return {
      kind: "sidecar-invalid",
      detail: `describes photo ${JSON.stringify(id ?? null)}, not ${photoId}`,
    };
  }
  return undefined;
}

function missing(error: unknown): FileVerdict {
  if (isNotFound(error)) {
    return { kind: "missing", detail: "the file is missing" };
  }
  return {
    kind: "missing",
    detail: `cannot be read: ${(error as Error).message}`,
  };
}

/** Streams a file once: size, SHA-256 and (for JPEG) its structure. */
async function readFile(
  path: string,
  size: number,
  buffer: Uint8Array,
  jpeg: boolean,
  totals: VerifyResult,
): Promise<
  { bytes: number; sha256: string; structure?: string; error?: string }
> {
  const hash = createHash("sha256");
  const structure = new JpegStructureCheck(size);
  let bytes = 0;
  let checkStructure = jpeg;
  try {
    using file = await localFiles.open(path, { read: true });
    while (true) {
      const n = await file.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      if (bytes === 0 && n >= 2 && chunk[0] === 0xff && chunk[1] === 0xd8) {
        checkStructure = true; // a JPEG whatever its name says
      }
      hash.update(chunk);
      if (checkStructure) structure.feed(chunk);
      bytes += n;
      totals.bytes += n;
    }
  } catch (error) {
    return { bytes, sha256: "", error: (error as Error).message };
  }
  const sha256 = hash.digest("hex");
  const problem = checkStructure ? structure.finish() : undefined;
  return { bytes, sha256, ...(problem ? { structure: problem } : {}) };
}

/** What a repair does: which photos are fetched again, which files move. */
export interface RepairPlan {
  /** Photos to fetch again, in id order. */
  photoIds: string[];
  /** Existing bad files to move aside, relative to the backup folder. */
  paths: string[];
  /** Problems a repair cannot fix (photo gone from Flickr, bad path). */
  unrepairable: VerifyProblem[];
}

/**
 * Plans a repair: every photo with a repairable problem is fetched again;
 * the bad files that exist (wrong size or checksum, broken structure,
 * invalid sidecar) are moved aside first. Missing files need no move.
 */
export function repairPlan(problems: VerifyProblem[]): RepairPlan {
  const ids = new Set<string>();
  const paths = new Set<string>();
  const unrepairable: VerifyProblem[] = [];
  for (const problem of problems) {
    if (!problem.repairable) {
      unrepairable.push(problem);
      continue;
    }
    ids.add(problem.photoId);
    if (problem.kind !== "missing" && problem.kind !== "sidecar-missing") {
      paths.add(problem.relPath);
    }
  }
  return {
    photoIds: [...ids].sort(),
    paths: [...paths].sort(),
    unrepairable,
  };
}

/** `verify-YYYYMMDD-HHMMSS` in local time. */
export function trashFolderName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `verify-${date.getFullYear()}${pad(date.getMonth() + 1)}${
    pad(date.getDate())
  }-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/**
 * Moves bad files to `<root>/.trash/verify-YYYYMMDD-HHMMSS/<relPath>`,
 * keeping their relative paths (never deletes; a second repair in the same
 * second gets `…-2`). Paths that no longer exist are skipped. Returns the
 * trash folder (relative, "/"-separated; "" when nothing moved) and the
 * paths moved.
 *
 * @throws When a path is outside the backup folder, or a move fails (the
 * files moved so far stay moved; nothing is lost).
 */
export async function moveAside(
  root: string,
  relPaths: string[],
  now: Date,
): Promise<{ trashDir: string; moved: string[] }> {
  const moved: string[] = [];
  let trashDir = "";
  for (const rel of relPaths) {
    // Inside the root, through no link the tool did not make.
    const from = await pathInside(root, rel);
    try {
      await localFiles.lstat(from);
    } catch (error) {
      if (isNotFound(error)) continue;
      throw error;
    }
    if (!trashDir) trashDir = await makeTrashDir(root, now);
    const to = await pathInside(root, `${trashDir}/${rel}`);
    await folderInside(root, dirname(`${trashDir}/${rel}`));
    await localFiles.rename(from, to);
    moved.push(rel);
  }
  return { trashDir, moved };
}

async function makeTrashDir(root: string, now: Date): Promise<string> {
  await folderInside(root, ".trash");
  const base = trashFolderName(now);
  for (let n = 1;; n++) {
    const name = `.trash/${n === 1 ? base : `${base}-${n}`}`;
    try {
      await localFiles.mkdir(join(root, name));
      return name;
    } catch (error) {
      if (!(isAlreadyExists(error))) throw error;
    }
  }
}

/** The store operations {@link markForRepair} needs. */
export interface RepairStore {
  markFailed(id: string, error: string): void;
  transaction<T>(fn: () => T): T;
}

/**
 * Sends the photos with repairable problems back to the download queue, so
 * the next backup run fetches them again: status `failed` (every run retries
 * those) with the problems as the last error. The recorded SHA-256 is kept
 * on purpose: a run adopts a file found under the final name only when the
 * state has no hash for it (`row.sha256 === ""` in `backup_run.ts`), and a
 * repaired photo must be downloaded, never adopted. Returns the photo ids.
 *
 * Move the bad files aside ({@link moveAside}) before calling this: a crash
 * in between then leaves a photo marked done with a missing file, which the
 * next `verify` reports again, and never a bad file that a run overwrites.
 */
export function markForRepair(
  store: RepairStore,
  problems: VerifyProblem[],
): string[] {
  const byId = new Map<string, string[]>();
  for (const problem of problems) {
    if (!problem.repairable) continue;
    const list = byId.get(problem.photoId) ?? [];
    list.push(`${problem.kind} ${problem.relPath}`);
    byId.set(problem.photoId, list);
  }
  const ids = [...byId.keys()].sort();
  store.transaction(() => {
    for (const id of ids) {
      store.markFailed(
        id,
        `verify --repair found: ${byId.get(id)!.join(", ")}; fetching it again`,
      );
    }
  });
  return ids;
}
