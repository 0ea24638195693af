/**
 * `LocalFiles`: everything the use cases (`app/`) and the metadata writer
 * (`metadata/`) do to the local disk, in one place: they call
 * {@link localFiles} and make no `Deno.*` calls of their own. The durable
 * helpers (atomic write, directory fsync, link-or-copy, temp names) have one
 * implementation, in `fs.ts`; the rest are Deno's file calls as they are.
 *
 * @module
 */

import {
  atomicWriteFile,
  exists,
  fsyncDir,
  linkOrCopy,
  removeQuietly,
  tempPathFor,
  writeAll,
} from "./fs.ts";

/** What `stat`/`lstat` return. */
export type FileInfo = Deno.FileInfo;
/** An open file. */
export type OpenFile = Deno.FsFile;
/** An entry of `readDir`. */
export type DirEntry = Deno.DirEntry;

/** `seek` from the start of the file. */
export const SEEK_START = Deno.SeekMode.Start;

/** Whether file modes and symlinks work the POSIX way here. */
export const IS_WINDOWS = Deno.build.os === "windows";

/** The error a file call throws for a path that does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

/** The error a file call throws for a path that already exists. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof Deno.errors.AlreadyExists;
}

/** The real disk. */
export const localFiles = {
  // Folders.
  mkdir: (path: string, options?: Deno.MkdirOptions): Promise<void> =>
    Deno.mkdir(path, options),
  readDir: (path: string): AsyncIterable<DirEntry> => Deno.readDir(path),
  fsyncDir,
  // Names.
  stat: (path: string): Promise<FileInfo> => Deno.stat(path),
  lstat: (path: string): Promise<FileInfo> => Deno.lstat(path),
  realPath: (path: string): Promise<string> => Deno.realPath(path),
  readLink: (path: string): Promise<string> => Deno.readLink(path),
  exists,
  rename: (from: string, to: string): Promise<void> => Deno.rename(from, to),
  remove: (path: string): Promise<void> => Deno.remove(path),
  /** Removes a file, ignoring every error (it may never have existed). */
  removeQuietly,
  tempPathFor,
  linkOrCopy,
  // Contents.
  open: (path: string, options?: Deno.OpenOptions): Promise<OpenFile> =>
    Deno.open(path, options),
  readFile: (path: string): Promise<Uint8Array> => Deno.readFile(path),
  readTextFile: (path: string): Promise<string> => Deno.readTextFile(path),
  writeTextFile: (path: string, text: string): Promise<void> =>
    Deno.writeTextFile(path, text),
  copyFile: (from: string, to: string): Promise<void> =>
    Deno.copyFile(from, to),
  writeAll,
  atomicWriteFile,
  // Attributes.
  utime: (path: string, atime: Date, mtime: Date): Promise<void> =>
    Deno.utime(path, atime, mtime),
  chmod: (path: string, mode: number): Promise<void> => Deno.chmod(path, mode),
};

/** The disk operations of {@link localFiles}. */
export type LocalFiles = typeof localFiles;
