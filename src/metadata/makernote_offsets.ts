/**
 * Maker-note offsets that point past the JPEG header, into the file's tail:
 * previews stored after EOI (Minolta/Konica, Olympus, Pentax, Samsung "STMN")
 * and Canon's OriginalDecisionData. (Sony's maker notes hold their preview
 * inside the maker note, 0x2001: nothing of theirs points into the tail.)
 * The maker note's bytes stay where they were inside the TIFF block (see
 * `exif.ts`), but when the header grows or shrinks, what these offsets point
 * at moves: {@link shiftTailPointers} moves the offsets with it.
 *
 * Only maker notes whose layout is known are read; an offset that points
 * inside the TIFF block is left alone (it moves with the block). Pure.
 *
 * @module
 */

import { latin1 } from "./_bytes.ts";

/** One 4-byte offset in a TIFF block that points into the file's tail. */
export interface TailPointer {
  /** Position of the 4-byte value inside the TIFF block. */
  at: number;
  /** Byte order of the value. */
  little: boolean;
  /** "file": counted from the start of the file; else from the TIFF header. */
  base: "file" | "tiff";
  /** Tag name, for messages. */
  name: string;
}

/** Where the MakerNote is, as `exif.ts` reports it. */
export interface MakerNoteInfo {
  /** Offset of the MakerNote value in the TIFF block. */
  offset: number;
  /** Its size in bytes. */
  size: number;
  /** IFD0 Make, trimmed. */
  make: string;
  /** The TIFF block's byte order. */
  little: boolean;
}

interface Layout {
  /** Where the maker note's IFD starts (TIFF offset). */
  ifdAt: number;
  /** What its offsets count from: 0 (TIFF header) or a TIFF offset. */
  base: number;
  /** Tags holding tail offsets (values are LONG, count 1). */
  tags: Record<number, string>;
  /** Offsets from the start of the file (Canon in JPEG). */
  fileTags?: Record<number, string>;
}

const PREVIEW_MINOLTA = { 0x0088: "PreviewImageStart" };
const PREVIEW_OLYMPUS = {
  0x0088: "PreviewImageStart",
  0x1036: "PreviewImageStart",
};

function layoutOf(tiff: Uint8Array, note: MakerNoteInfo): Layout | undefined {
  const at = note.offset;
  const head = latin1(tiff, at, Math.min(at + 12, tiff.length));
  if (/^(OLYMP|EPSON)\0/.test(head)) {
    return { ifdAt: at + 8, base: 0, tags: PREVIEW_OLYMPUS };
  }
  if (head.startsWith("OLYMPUS\0")) {
    return { ifdAt: at + 12, base: at, tags: PREVIEW_OLYMPUS };
  }
  if (head.startsWith("AOC\0")) {
    return { ifdAt: at + 6, base: 0, tags: { 0x0004: "PreviewImageStart" } };
  }
  if (head.startsWith("PENTAX \0")) {
    return { ifdAt: at + 10, base: at, tags: { 0x0004: "PreviewImageStart" } };
  }
  if (/^canon/i.test(note.make)) {
    return {
      ifdAt: at,
      base: 0,
      tags: {},
      fileTags: { 0x0083: "OriginalDecisionDataOffset" },
    };
  }
  if (/^(konica minolta|minolta)/i.test(note.make)) {
    return { ifdAt: at, base: 0, tags: PREVIEW_MINOLTA };
  }
  return undefined;
}

/**
 * Finds the maker-note offsets of a TIFF block that point into the tail
 * (at or after `tailOffset` in the file, before `fileSize`). `tiffStart` is
 * where the block starts in the file.
 */
export function findTailPointers(
  tiff: Uint8Array,
  note: MakerNoteInfo | undefined,
  tiffStart: number,
  tailOffset: number,
  fileSize: number,
): TailPointer[] {
  if (!note || note.offset + note.size > tiff.length) return [];
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const out: TailPointer[] = [];
  const inTail = (absolute: number) =>
    absolute >= tailOffset && absolute < fileSize;
  if (latin1(tiff, note.offset, note.offset + 4) === "STMN") {
    // Samsung: int32u words; word 2 is the preview start (from the TIFF
    // header), word 3 its length.
    const at = note.offset + 8;
    if (note.size >= 16) {
      const value = view.getUint32(at, note.little);
      if (value !== 0 && inTail(tiffStart + value)) {
        out.push({
          at,
          little: note.little,
          base: "tiff",
          name: "PreviewImageStart",
        });
      }
    }
    return out;
  }
  const layout = layoutOf(tiff, note);
  if (!layout) return [];
  const end = note.offset + note.size;
  // Maker notes may use either byte order: take the one whose entry count
  // is plausible and whose table fits in the maker note.
  for (const little of [note.little, !note.little]) {
    if (layout.ifdAt + 2 > end) return [];
    const count = view.getUint16(layout.ifdAt, little);
    if (count === 0 || count > 500 || layout.ifdAt + 2 + count * 12 > end) {
      continue;
    }
    for (let i = 0; i < count; i++) {
      const entry = layout.ifdAt + 2 + i * 12;
      const tag = view.getUint16(entry, little);
      const type = view.getUint16(entry + 2, little);
      const n = view.getUint32(entry + 4, little);
      if ((type !== 4 && type !== 13) || n !== 1) continue;
      const value = view.getUint32(entry + 8, little);
      if (value === 0) continue;
      const name = layout.tags[tag];
      if (name && inTail(tiffStart + layout.base + value)) {
        out.push({ at: entry + 8, little, base: "tiff", name });
      }
      const fileName = layout.fileTags?.[tag];
      if (fileName && inTail(value)) {
        out.push({ at: entry + 8, little, base: "file", name: fileName });
      }
    }
    return out;
  }
  return [];
}

/**
 * Returns a copy of `tiff` with every pointer moved: the tail moved by
 * `tailDelta` bytes and the TIFF block by `tiffDelta` bytes. Undefined when
 * a value would leave the 32-bit range.
 */
export function shiftTailPointers(
  tiff: Uint8Array,
  pointers: TailPointer[],
  tailDelta: number,
  tiffDelta: number,
): Uint8Array | undefined {
  const out = tiff.slice();
  const view = new DataView(out.buffer);
  for (const pointer of pointers) {
    const value = view.getUint32(pointer.at, pointer.little);
    const next = value + tailDelta -
      (pointer.base === "tiff" ? tiffDelta : 0);
    if (next <= 0 || next > 0xffffffff) return undefined;
    view.setUint32(pointer.at, next, pointer.little);
  }
  return out;
}
