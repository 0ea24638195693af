/**
 * AFCP (AXS File Concatenation Protocol) trailers: blocks appended after a
 * JPEG's EOI whose directory holds absolute file offsets. When the JPEG
 * header grows or shrinks, those offsets must move by the same amount, or
 * readers find garbage. This module finds the 4-byte fields to rewrite; the
 * streaming copy in `embed.ts` applies them. Pure.
 *
 * Layout: the file ends with "AXS!" (big-endian) or "AXS*" (little-endian),
 * the AFCP start offset and a checksum. At that start: the same signature,
 * a version, the entry count and a checksum, then 12-byte entries (4-char
 * tag, size, absolute offset).
 *
 * @module
 */

import { latin1 } from "./_bytes.ts";

/** The AFCP end record (the file's last 12 bytes), when there is one. */
export interface AfcpTrailer {
  /** Where the AFCP block starts, as the end record says. */
  start: number;
  /** Byte order ("AXS*" little-endian). */
  little: boolean;
  /** The signature, "AXS!" or "AXS*". */
  signature: string;
}

/** Reads the end record from the file's last 12 bytes. */
export function parseAfcpEnd(last12: Uint8Array): AfcpTrailer | undefined {
  if (last12.length !== 12) return undefined;
  const signature = latin1(last12, 0, 4);
  if (signature !== "AXS!" && signature !== "AXS*") return undefined;
  const little = signature === "AXS*";
  const view = new DataView(last12.buffer, last12.byteOffset, 12);
  return { start: view.getUint32(4, little), little, signature };
}

/** Size of the AFCP header at `start` (12) plus its directory. */
export function afcpHeaderEntries(
  header12: Uint8Array,
  trailer: AfcpTrailer,
): number | undefined {
  if (latin1(header12, 0, 4) !== trailer.signature) return undefined;
  const view = new DataView(header12.buffer, header12.byteOffset, 12);
  return view.getUint16(6, trailer.little);
}

/** A 4-byte rewrite at an absolute offset of the original file. */
export interface TailPatch {
  at: number;
  bytes: Uint8Array;
}

/**
 * The patches that move every AFCP offset by `delta`: the end record's start
 * and each directory entry's offset. `directory` is the 12-byte entries read
 * from `trailer.start + 12`; `fileSize` is the original's. Undefined when an
 * offset would not fit or does not point inside the file.
 */
export function afcpPatches(
  trailer: AfcpTrailer,
  directory: Uint8Array,
  fileSize: number,
  delta: number,
): TailPatch[] | undefined {
  const value = (v: number) => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, v, trailer.little);
    return out;
  };
  const moved = (v: number) => {
    const next = v + delta;
    return v >= fileSize || next < 0 || next > 0xffffffff ? undefined : next;
  };
  const patches: TailPatch[] = [];
  const start = moved(trailer.start);
  if (start === undefined) return undefined;
  patches.push({ at: fileSize - 8, bytes: value(start) });
  const view = new DataView(
    directory.buffer,
    directory.byteOffset,
    directory.byteLength,
  );
  for (let at = 0; at + 12 <= directory.length; at += 12) {
    const offset = moved(view.getUint32(at + 8, trailer.little));
    if (offset === undefined) return undefined;
    patches.push({ at: trailer.start + 12 + at + 8, bytes: value(offset) });
  }
  return patches;
}
