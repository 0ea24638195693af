/**
 * Reading a TIFF block (the Exif APP1 payload after "Exif\0\0"): the header,
 * the IFD tables and their values, in the file's own byte order. Shared by
 * everything that reads or rewrites EXIF ({@link parseTiff}).
 *
 * Pure: bytes in, values out.
 *
 * @module
 */

import { bytesEqual, latin1 } from "./_bytes.ts";

const decoder = new TextDecoder();

/** Marks where the camera's bytes end and our rebuilt IFDs begin. */
export const EXIF_SIGNATURE_BYTES: Uint8Array = Uint8Array.from(
  "flickr-backup\0\0\0",
  (c) => c.charCodeAt(0),
);

/** TIFF field types. */
export const BYTE = 1,
  ASCII = 2,
  SHORT = 3,
  LONG = 4,
  RATIONAL = 5,
  UNDEFINED = 7;

const TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  129: 1,
};

/** Tags this module reads or writes. */
export const TAG = {
  ImageDescription: 0x010e,
  XResolution: 0x011a,
  YResolution: 0x011b,
  ResolutionUnit: 0x0128,
  Artist: 0x013b,
  ThumbnailOffset: 0x0201,
  ThumbnailLength: 0x0202,
  YCbCrPositioning: 0x0213,
  Copyright: 0x8298,
  IptcNaa: 0x83bb,
  ExifIfd: 0x8769,
  GpsIfd: 0x8825,
  XPTitle: 0x9c9b,
  XPComment: 0x9c9c,
  XPKeywords: 0x9c9e,
  ExifVersion: 0x9000,
  DateTimeOriginal: 0x9003,
  CreateDate: 0x9004,
  ComponentsConfiguration: 0x9101,
  MakerNote: 0x927c,
  FlashpixVersion: 0xa000,
  ColorSpace: 0xa001,
  PixelXDimension: 0xa002,
  PixelYDimension: 0xa003,
  InteropIfd: 0xa005,
  GPSVersionID: 0x0000,
  GPSLatitudeRef: 0x0001,
  GPSLatitude: 0x0002,
  GPSLongitudeRef: 0x0003,
  GPSLongitude: 0x0004,
} as const;

/** A malformed TIFF structure. */
export class ExifFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExifFormatError";
  }
}

export interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The 12 entry bytes exactly as stored. */
  raw: Uint8Array;
  /** Absolute offset of the 4-byte value field. */
  fieldOffset: number;
}

export interface Ifd {
  offset: number;
  entries: Entry[];
  next: number;
}

export class TiffReader {
  readonly little: boolean;
  readonly view: DataView;
  readonly ifd0Offset: number;

  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 8) throw new ExifFormatError("TIFF header is truncated");
    const order = latin1(bytes, 0, 2);
    if (order !== "II" && order !== "MM") {
      throw new ExifFormatError(`bad TIFF byte order mark "${order}"`);
    }
    this.little = order === "II";
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.u16(2) !== 42) throw new ExifFormatError("bad TIFF magic number");
    this.ifd0Offset = this.u32(4);
  }

  u16(at: number): number {
    return this.view.getUint16(at, this.little);
  }

  u32(at: number): number {
    return this.view.getUint32(at, this.little);
  }

  readIfd(offset: number, name: string): Ifd {
    if (offset < 8 || offset + 2 > this.bytes.length) {
      throw new ExifFormatError(`${name} offset ${offset} is out of range`);
    }
    const count = this.u16(offset);
    const tableEnd = offset + 2 + count * 12;
    if (tableEnd + 4 > this.bytes.length) {
      // The next-IFD pointer is sometimes missing at the very end; tolerate it
      // only when the entries themselves fit.
      if (tableEnd > this.bytes.length) {
        throw new ExifFormatError(`${name} runs past the end of the EXIF data`);
      }
    }
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const at = offset + 2 + i * 12;
      entries.push({
        tag: this.u16(at),
        type: this.u16(at + 2),
        count: this.u32(at + 4),
        raw: this.bytes.subarray(at, at + 12),
        fieldOffset: at + 8,
      });
    }
    const next = tableEnd + 4 <= this.bytes.length ? this.u32(tableEnd) : 0;
    return { offset, entries, next };
  }

  /** Byte size of an entry's value, or undefined for an unknown type. */
  valueSize(entry: Entry): number | undefined {
    const size = TYPE_SIZES[entry.type];
    return size === undefined ? undefined : size * entry.count;
  }

  /** Offset of an out-of-line value, or undefined when inline/unknown. */
  valueOffset(entry: Entry): number | undefined {
    const size = this.valueSize(entry);
    if (size === undefined || size <= 4) return undefined;
    return this.u32(entry.fieldOffset);
  }

  /** The value bytes (stored byte order), or undefined when unreadable. */
  valueBytes(entry: Entry): Uint8Array | undefined {
    const size = this.valueSize(entry);
    if (size === undefined) return undefined;
    if (size <= 4) {
      return this.bytes.subarray(entry.fieldOffset, entry.fieldOffset + size);
    }
    const at = this.u32(entry.fieldOffset);
    if (at + size > this.bytes.length) return undefined;
    return this.bytes.subarray(at, at + size);
  }

  ascii(entry: Entry): string | undefined {
    if (entry.type !== ASCII) return undefined;
    const value = this.valueBytes(entry);
    if (!value) return undefined;
    const end = value.indexOf(0);
    return decoder.decode(end < 0 ? value : value.subarray(0, end));
  }

  rationals(entry: Entry): number[] | undefined {
    if (entry.type !== RATIONAL) return undefined;
    const value = this.valueBytes(entry);
    if (!value) return undefined;
    const view = new DataView(value.buffer, value.byteOffset, value.length);
    const out: number[] = [];
    for (let i = 0; i < entry.count; i++) {
      const num = view.getUint32(i * 8, this.little);
      const den = view.getUint32(i * 8 + 4, this.little);
      if (den === 0) return undefined;
      out.push(num / den);
    }
    return out;
  }
}

export function findEntry(
  ifd: Ifd | undefined,
  tag: number,
): Entry | undefined {
  return ifd?.entries.find((entry) => entry.tag === tag);
}

export interface ParsedTiff {
  reader: TiffReader;
  ifd0: Ifd;
  exif?: Ifd;
  gps?: Ifd;
  interop?: Ifd;
  ifd1?: Ifd;
  /** A second ExifIFD, reached from IFD1 (some Olympus cameras). */
  exif1?: Ifd;
  /** Where the original (camera) bytes end; our rebuilt area follows. */
  baseEnd: number;
  /** Whether the area from baseEnd on is ours (signature found). */
  signed: boolean;
}

export function parseTiff(tiff: Uint8Array): ParsedTiff {
  const reader = new TiffReader(tiff);
  const ifd0 = reader.readIfd(reader.ifd0Offset, "IFD0");
  const sub = (tag: number, parent: Ifd | undefined, name: string) => {
    const entry = findEntry(parent, tag);
    // A pointer with count 0 points nowhere (its field can hold anything).
    if (!entry || entry.count === 0) return undefined;
    if (entry.type !== LONG && entry.type !== 13) {
      throw new ExifFormatError(`${name} pointer has type ${entry.type}`);
    }
    return reader.readIfd(reader.u32(entry.fieldOffset), name);
  };
  const exif = sub(TAG.ExifIfd, ifd0, "ExifIFD");
  const gps = sub(TAG.GpsIfd, ifd0, "GPS IFD");
  // Some cameras (Kodak ProBack) aim InteropIFD at IFD0 itself: a loop that
  // readers ignore, and no InteropIFD.
  const interopEntry = findEntry(exif, TAG.InteropIfd);
  const interop = interopEntry &&
      reader.u32(interopEntry.fieldOffset) === ifd0.offset
    ? undefined
    : sub(TAG.InteropIfd, exif, "InteropIFD");
  const ifd1 = ifd0.next !== 0 ? reader.readIfd(ifd0.next, "IFD1") : undefined;
  let exif1: Ifd | undefined;
  try {
    exif1 = sub(TAG.ExifIfd, ifd1, "IFD1 ExifIFD");
  } catch {
    // An unreadable second ExifIFD is left as it is (only its date is ours).
  }
  const sig = EXIF_SIGNATURE_BYTES.length;
  const at = reader.ifd0Offset - sig;
  const signed = at >= 8 &&
    bytesEqual(tiff.subarray(at, at + sig), EXIF_SIGNATURE_BYTES);
  const parsed: ParsedTiff = {
    reader,
    ifd0,
    baseEnd: signed ? reader.ifd0Offset : tiff.length,
    signed,
  };
  if (exif) parsed.exif = exif;
  if (gps) parsed.gps = gps;
  if (interop) parsed.interop = interop;
  if (ifd1) parsed.ifd1 = ifd1;
  if (exif1) parsed.exif1 = exif1;
  return parsed;
}

/** TIFF types a reader accepts. */
export function isValidType(type: number): boolean {
  return (type >= 1 && type <= 13) || type === 129;
}

export const IFD_NAMES = {
  0x8769: "ExifIFD",
  0x8825: "GPS",
  0xa005: "InteropIFD",
} as const;
