/**
 * File helpers of a run: whether a file under a final name is whole (magic
 * bytes, JPEG end marker), its size and hash, what an earlier sidecar says
 * Flickr served, and breaking hard links before a file is rewritten.
 *
 * @module
 */

import {
  type FileInfo,
  localFiles,
  SEEK_START,
} from "../platform/local_files.ts";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import type { SavedVariant } from "./sidecar.ts";

/**
 * Gives `path` its own copy of the bytes when other album folders share its
 * inode, so that rewriting its metadata (temp file + rename) is allowed; the
 * album copies are linked to the new file afterwards.
 */
export async function breakHardLinks(path: string): Promise<void> {
  const info = await localFiles.stat(path);
  if ((info.nlink ?? 1) <= 1) return;
  const temp = join(
    dirname(path),
    `.${path.split(/[\\/]/).pop()}.${crypto.randomUUID().slice(0, 8)}.fbtmp`,
  );
  try {
    await localFiles.copyFile(path, temp);
    await localFiles.rename(temp, path);
  } catch (error) {
    await localFiles.remove(temp).catch(() => undefined);
    throw error;
  }
}

/** What an earlier run's sidecar says Flickr served, if it is one of ours. */
export async function servedFromSidecar(
  path: string,
  id: string,
): Promise<SavedVariant | undefined> {
  try {
    const info = await localFiles.lstat(path);
    if (!info.isFile || info.size > 1024 * 1024) return undefined;
    const json = JSON.parse(await localFiles.readTextFile(path));
    const saved = json?.saved;
    if (
      json?.id !== id || typeof saved !== "object" || saved === null ||
      !Number.isSafeInteger(saved.bytes) ||
      !/^[0-9a-f]{64}$/.test(String(saved.sha256_downloaded))
    ) return undefined;
    const kind = ["original", "large", "stream"].includes(saved.variant)
      ? saved.variant
      : "original";
    const size = (n: unknown) =>
      typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : undefined;
    const width = size(saved.width);
    const height = size(saved.height);
    return {
      kind,
      label: typeof saved.label === "string" ? saved.label : "existing",
      bytes: saved.bytes,
      sha256Downloaded: saved.sha256_downloaded,
      ...(width ? { width } : {}),
      ...(height ? { height } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Size and SHA-256 of a file, streamed. */
export async function hashFile(
  path: string,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  using file = await localFiles.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * Checks that a file under a final name is a whole image or video (only
 * ever true for files this tool renamed into place after checking).
 */
export async function inspectFile(
  path: string,
  expect: "image" | "video",
): Promise<{ bytes: number; sha256: string } | undefined> {
  let info: FileInfo;
  try {
    info = await localFiles.stat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile || info.size < 8) return undefined;
  using file = await localFiles.open(path, { read: true });
  const head = new Uint8Array(16);
  await file.read(head);
  const isJpeg = head[0] === 0xff && head[1] === 0xd8;
  const isPng = head[0] === 0x89 && head[1] === 0x50;
  const isGif = head[0] === 0x47 && head[1] === 0x49;
  const isBox = String.fromCharCode(...head.subarray(4, 8)) === "ftyp" ||
    String.fromCharCode(...head.subarray(4, 8)) === "moov" ||
    String.fromCharCode(...head.subarray(0, 4)) === "RIFF";
  if (expect === "image" && !(isJpeg || isPng || isGif || isBox)) {
    return undefined;
  }
  if (expect === "video" && !isBox) return undefined;
  if (isJpeg) {
    const tailSize = Math.min(info.size, 65536);
    const tail = new Uint8Array(tailSize);
    await file.seek(info.size - tailSize, SEEK_START);
    let read = 0;
    while (read < tailSize) {
      const n = await file.read(tail.subarray(read));
      if (n === null) break;
      read += n;
    }
    let hasEoi = false;
    for (let i = tailSize - 2; i >= 0; i--) {
      if (tail[i] === 0xff && tail[i + 1] === 0xd9) {
        hasEoi = true;
        break;
      }
    }
    if (!hasEoi) return undefined;
  }
  return await hashFile(path);
}
