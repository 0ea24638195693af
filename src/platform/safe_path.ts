/**
 * Paths from untrusted parts. Every final path under the backup folder is
 * built by {@link pathInside} from validated segments: a Flickr photo id is
 * digits, an extension comes from a short known list, a folder name is one
 * plain segment. It proves the result is inside the root and that no folder
 * on the way is a symbolic link (links the tool did not make are never
 * followed). {@link refuseLink} guards the tool's own files (lock, state,
 * sign-in) the same way, and refuses a FIFO or device there, which would
 * hang a read.
 *
 * @module
 */

import * as path from "node:path";
import { AppError, ExitCode, LocalFatalError } from "../errors.ts";

/** A Flickr photo, album or video id: digits only (at most 24). */
export function isFlickrId(id: unknown): id is string {
  return typeof id === "string" && /^[0-9]{1,24}$/.test(id);
}

/**
 * File extensions the tool writes, lower case. Anything else a listing
 * names (`originalformat`) is not trusted: the bytes decide.
 */
export const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  "jpg",
  "jpeg",
  "png",
  "gif",
  "webp",
  "heic",
  "heif",
  "avif",
  "tif",
  "tiff",
  "bmp",
  "dng",
  "nef",
  "cr2",
  "arw",
  "orf",
  "pef",
  "srw",
  "mp4",
  "m4v",
  "mov",
  "qt",
  "3gp",
  "3g2",
  "avi",
  "wmv",
  "asf",
  "mkv",
  "webm",
  "mpg",
  "mpeg",
  "ogv",
  "ogg",
  "flv",
  "mts",
  "m2ts",
  "ts",
]);

/** The lower-cased extension when it is a known one, else undefined. */
export function knownExtension(ext: unknown): string | undefined {
  if (typeof ext !== "string") return undefined;
  const lower = ext.trim().toLowerCase();
  return KNOWN_EXTENSIONS.has(lower) ? lower : undefined;
}

/** A single path segment: no separator, not `.`/`..`, no control char. */
export function isPlainSegment(segment: string): boolean {
  return segment !== "" && segment !== "." && segment !== ".." &&
    // deno-lint-ignore no-control-regex
    !/[\/\\\x00-\x1f\x7f]/.test(segment) && segment.length <= 255;
}

/**
 * Refused because a path would leave the backup folder or pass through a
 * link the tool did not make (exit 7: the user fixes the folder).
 */
export class UnsafePathError extends LocalFatalError {
  constructor(message: string) {
    super(message);
    this.name = "UnsafePathError";
  }
}

/**
 * Joins `relative` (segments separated by `/`) under `root` and proves the
 * result stays inside: every segment is plain, and every folder on the way
 * that exists is a real folder, not a symbolic link (the root itself may be
 * one: that is the user's choice). The last segment may be missing; if it
 * exists it is returned as is (writes replace it by rename, never through
 * it).
 *
 * @throws {AppError} (exit 3) for a bad segment: an item's data is wrong.
 * @throws {UnsafePathError} (exit 7) when a folder on the way is a link or
 *   not a folder.
 */
export async function pathInside(
  root: string,
  relative: string,
): Promise<string> {
  const segments = relative.split("/");
  for (const segment of segments) {
    if (!isPlainSegment(segment)) {
      throw new AppError(
        `Refusing the path "${
          printable(relative)
        }": it is not a plain name, it could point outside the backup folder`,
        ExitCode.Partial,
      );
    }
  }
  const base = path.resolve(root);
  const target = path.join(base, ...segments);
  let current = base;
  for (const segment of segments.slice(0, -1)) {
    current = path.join(current, segment);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(current);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) break; // nothing below
      throw error;
    }
    if (info.isSymlink) throw linkRefused(current, "folder");
    if (!info.isDirectory) {
      throw new UnsafePathError(
        `"${current}" is not a folder; move it away and run again`,
      );
    }
  }
  const rel = path.relative(base, target);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new AppError(
      `Refusing the path "${printable(relative)}": it leaves the backup folder`,
      ExitCode.Partial,
    );
  }
  return target;
}

/**
 * Makes the folder `relative` under `root` (and its parents) after
 * {@link pathInside}; refuses when any part of it is a link.
 */
export async function folderInside(
  root: string,
  relative: string,
): Promise<string> {
  const dir = await pathInside(root, relative);
  await refuseLink(dir, "folder");
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Refuses `file` when it is a symbolic link, or (for `"file"`) anything but
 * a regular file: a FIFO or device would hang or mislead a read. A missing
 * path is fine.
 *
 * @throws {UnsafePathError}
 */
export async function refuseLink(
  file: string,
  kind: "file" | "folder",
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (info.isSymlink) throw linkRefused(file, kind);
  if (kind === "file" && !info.isFile) {
    throw new UnsafePathError(
      `"${file}" is not a regular file (a FIFO, device or folder?); flickr-backup will not read or write it: remove it and run again`,
    );
  }
  if (kind === "folder" && !info.isDirectory) {
    throw new UnsafePathError(
      `"${file}" is not a folder; move it away and run again`,
    );
  }
}

function linkRefused(file: string, kind: "file" | "folder"): UnsafePathError {
  return new UnsafePathError(
    `"${file}" is a symbolic link; flickr-backup does not follow links it did not make: replace it with a real ${kind} and run again`,
  );
}

/** Control characters (C0, DEL, C1) removed, for messages and logs. */
export function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}
