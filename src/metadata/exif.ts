/**
 * EXIF (TIFF) editing that keeps every existing byte where it was.
 *
 * Camera EXIF is full of offsets: the MakerNote of most brands points at its
 * own data with offsets counted from the TIFF header, so moving it breaks it.
 * A general re-serialiser (piexifjs `dump`, for one) moves everything, writes
 * big-endian whatever the camera used, re-types values by its own table and
 * drops tags it does not know. This module never does that. It:
 *
 * 1. keeps the original TIFF bytes unchanged, in place (byte order included);
 * 2. appends a 16-byte signature, then new copies of only the IFDs it changes
 *    (IFD0 always, the Exif and GPS IFDs when needed) with the new values;
 * 3. points the TIFF header at the new IFD0. Entries it does not own are
 *    copied verbatim, so they still point at the original values.
 *
 * The old IFD tables become unused bytes. On a later run the signature marks
 * where the original bytes end, so everything after it is rebuilt from
 * scratch: rewriting never grows the segment, and the same input gives the
 * same bytes (idempotent).
 *
 * piexifjs is used as an independent reader to cross-check the result
 * ({@link crossCheckWithPiexif}).
 *
 * Pure: bytes in, bytes out.
 *
 * @module
 */

import piexif from "piexifjs";
import {
  bytesEqual,
  concatBytes,
  latin1,
  toBinaryString,
  utf8,
} from "./_bytes.ts";
import { MAX_SEGMENT_PAYLOAD } from "./jpeg_segments.ts";
import type { MakerNoteInfo } from "./makernote_offsets.ts";

/** Largest TIFF block that fits in one Exif APP1 ("Exif\0\0" + TIFF). */
export const MAX_EXIF_TIFF_BYTES = MAX_SEGMENT_PAYLOAD - 6;

/** Marks where the camera's bytes end and our rebuilt IFDs begin. */
export const EXIF_SIGNATURE_BYTES: Uint8Array = Uint8Array.from(
  "flickr-backup\0\0\0",
  (c) => c.charCodeAt(0),
);

/** TIFF field types. */
const BYTE = 1, ASCII = 2, SHORT = 3, LONG = 4, RATIONAL = 5, UNDEFINED = 7;

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

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The 12 entry bytes exactly as stored. */
  raw: Uint8Array;
  /** Absolute offset of the 4-byte value field. */
  fieldOffset: number;
}

interface Ifd {
  offset: number;
  entries: Entry[];
  next: number;
}

class TiffReader {
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
    return new TextDecoder().decode(end < 0 ? value : value.subarray(0, end));
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

function findEntry(ifd: Ifd | undefined, tag: number): Entry | undefined {
  return ifd?.entries.find((entry) => entry.tag === tag);
}

/** The parts of existing EXIF the policies need. */
export interface ExifSummary {
  /** "II" little-endian or "MM" big-endian. */
  byteOrder: "II" | "MM";
  /** Camera make, if present. */
  make?: string;
  /** Camera model, if present. */
  model?: string;
  /** ExifIFD DateTimeOriginal as stored (trimmed). */
  dateTimeOriginal?: string;
  /**
   * True when DateTimeOriginal was written by flickr-backup (its value lives
   * after our signature), so it is not the camera's own date.
   */
  dateTimeOriginalIsOurs: boolean;
  /** ExifIFD CreateDate (DateTimeDigitized) as stored (trimmed). */
  createDate?: string;
  /** GPS position, when it parses. */
  gps?: { latitude: number; longitude: number };
  /** True when the Exif IFD has a MakerNote. */
  hasMakerNote: boolean;
  /** True when our signature is present (written by flickr-backup before). */
  writtenByUs: boolean;
  /** IFD0 IPTC-NAA: a second copy of the IPTC records some cameras keep. */
  iptcNaa?: Uint8Array;
}

interface ParsedTiff {
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

function parseTiff(tiff: Uint8Array): ParsedTiff {
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

function readGps(parsed: ParsedTiff): ExifSummary["gps"] {
  const { reader, gps } = parsed;
  const latRef = findEntry(gps, TAG.GPSLatitudeRef);
  const lat = findEntry(gps, TAG.GPSLatitude);
  const lonRef = findEntry(gps, TAG.GPSLongitudeRef);
  const lon = findEntry(gps, TAG.GPSLongitude);
  if (!latRef || !lat || !lonRef || !lon) return undefined;
  const latParts = reader.rationals(lat);
  const lonParts = reader.rationals(lon);
  const ns = reader.ascii(latRef)?.trim().toUpperCase();
  const ew = reader.ascii(lonRef)?.trim().toUpperCase();
  if (latParts?.length !== 3 || lonParts?.length !== 3) return undefined;
  if ((ns !== "N" && ns !== "S") || (ew !== "E" && ew !== "W")) {
    return undefined;
  }
  const toDeg = (p: number[]) => p[0]! + p[1]! / 60 + p[2]! / 3600;
  return {
    latitude: toDeg(latParts) * (ns === "S" ? -1 : 1),
    longitude: toDeg(lonParts) * (ew === "W" ? -1 : 1),
  };
}

/**
 * Reads what the date and GPS policies need from a TIFF block (the Exif APP1
 * payload after "Exif\0\0"). Throws {@link ExifFormatError} when malformed.
 */
export function readExif(tiff: Uint8Array): ExifSummary {
  const parsed = parseTiff(tiff);
  const { reader, ifd0, exif } = parsed;
  const text = (ifd: Ifd | undefined, tag: number) => {
    const entry = findEntry(ifd, tag);
    const value = entry ? reader.ascii(entry)?.trim() : undefined;
    return value === "" ? undefined : value;
  };
  const summary: ExifSummary = {
    byteOrder: reader.little ? "II" : "MM",
    hasMakerNote: findEntry(exif, TAG.MakerNote) !== undefined,
    writtenByUs: parsed.signed,
    dateTimeOriginalIsOurs: false,
  };
  const dtoEntry = findEntry(exif, TAG.DateTimeOriginal);
  const dtoAt = dtoEntry ? reader.valueOffset(dtoEntry) : undefined;
  if (parsed.signed && dtoAt !== undefined && dtoAt >= parsed.baseEnd) {
    summary.dateTimeOriginalIsOurs = true;
  }
  const make = text(ifd0, 0x010f);
  if (make !== undefined) summary.make = make;
  const model = text(ifd0, 0x0110);
  if (model !== undefined) summary.model = model;
  const dto = text(exif, TAG.DateTimeOriginal);
  if (dto !== undefined) summary.dateTimeOriginal = dto;
  const created = text(exif, TAG.CreateDate);
  if (created !== undefined) summary.createDate = created;
  const gps = readGps(parsed);
  if (gps) summary.gps = gps;
  const iptc = findEntry(ifd0, TAG.IptcNaa);
  const iptcBytes = iptc ? reader.valueBytes(iptc) : undefined;
  if (iptcBytes) summary.iptcNaa = iptcBytes.slice();
  return summary;
}

/** One IFD entry, as {@link listExifEntries} reports it. */
export interface ExifEntryInfo {
  /** Which IFD holds it. */
  ifd: "IFD0" | "ExifIFD" | "GPS" | "InteropIFD" | "IFD1";
  /** Tag number. */
  tag: number;
  /** TIFF type. */
  type: number;
  /** Value count. */
  count: number;
  /** Offset of an out-of-line value (undefined when inline). */
  valueOffset?: number;
  /** Value bytes in stored byte order (undefined when unreadable). */
  value?: Uint8Array;
}

/** Lists every entry of the main IFDs (for tests and diagnostics). */
export function listExifEntries(tiff: Uint8Array): ExifEntryInfo[] {
  const parsed = parseTiff(tiff);
  const out: ExifEntryInfo[] = [];
  const ifds: Array<[ExifEntryInfo["ifd"], Ifd | undefined]> = [
    ["IFD0", parsed.ifd0],
    ["ExifIFD", parsed.exif],
    ["GPS", parsed.gps],
    ["InteropIFD", parsed.interop],
    ["IFD1", parsed.ifd1],
  ];
  for (const [name, ifd] of ifds) {
    for (const entry of ifd?.entries ?? []) {
      const info: ExifEntryInfo = {
        ifd: name,
        tag: entry.tag,
        type: entry.type,
        count: entry.count,
      };
      const at = parsed.reader.valueOffset(entry);
      if (at !== undefined) info.valueOffset = at;
      const value = parsed.reader.valueBytes(entry);
      if (value) info.value = value.slice();
      out.push(info);
    }
  }
  return out;
}

/** The EXIF values flickr-backup owns. Absent fields are left alone. */
export interface ExifEdit {
  /** IFD0 ImageDescription (ASCII type, UTF-8 bytes as ExifTool writes). */
  imageDescription?: string;
  /** IFD0 Artist. */
  artist?: string;
  /** IFD0 Copyright. */
  copyright?: string;
  /** IFD0 XPTitle (UCS-2 LE). */
  xpTitle?: string;
  /** IFD0 XPComment (UCS-2 LE). */
  xpComment?: string;
  /** IFD0 XPKeywords (UCS-2 LE, ";"-separated). */
  xpKeywords?: string;
  /** ExifIFD DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"; replaced if different. */
  dateTimeOriginal?: string;
  /** ExifIFD CreateDate (DateTimeDigitized), written only when absent. */
  createDateIfAbsent?: string;
  /** GPS position; replaced when it differs by more than ~0.1 m. */
  gps?: { latitude: number; longitude: number };
  /**
   * IFD0 IPTC-NAA (the IIM records, as in the Photoshop segment): replaces a
   * copy the camera's EXIF already holds; never added.
   */
  iptcNaa?: Uint8Array;
}

/** Facts about the image used when EXIF must be created from nothing. */
export interface NewExifContext {
  /** Image width from the frame header. */
  width: number;
  /** Image height from the frame header. */
  height: number;
  /** Colour components (1 grey, 3 YCbCr, 4 CMYK). */
  components: number;
  /** True when the file has an ICC profile (ColorSpace is then uncalibrated). */
  hasIccProfile: boolean;
  /** JFIF density, copied into X/YResolution when present. */
  density?: { unit: "inch" | "cm"; x: number; y: number };
}

/** Result of {@link mergeExif}. */
export type ExifMergeResult =
  | { kind: "unchanged"; warnings: string[] }
  | {
    kind: "changed";
    tiff: Uint8Array;
    /** The values actually written (fewer than asked when EXIF was full). */
    applied: ExifEdit;
    warnings: string[];
  }
  | { kind: "failed"; reason: string; warnings: string[] };

interface DataValue {
  type: number;
  count: number;
  /** Value bytes in the file's byte order. */
  data: Uint8Array;
}

type OutEntry =
  | { kind: "raw"; tag: number; raw: Uint8Array }
  /** A pointer to IFD0 itself (a loop some cameras write): re-aimed. */
  | { kind: "ifd0"; tag: number; raw: Uint8Array }
  | { kind: "data"; tag: number; value: DataValue }
  | { kind: "ifd"; tag: number; ifd: OutIfd };

interface OutIfd {
  entries: OutEntry[];
  next: number;
}

class Encoder {
  constructor(readonly little: boolean) {}

  u16(value: number): Uint8Array {
    const out = new Uint8Array(2);
    new DataView(out.buffer).setUint16(0, value, this.little);
    return out;
  }

  u32(value: number): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value, this.little);
    return out;
  }

  ascii(text: string): DataValue {
    const data = concatBytes([
      utf8(text.replaceAll("\0", "")),
      new Uint8Array(1),
    ]);
    return { type: ASCII, count: data.length, data };
  }

  ucs2(text: string): DataValue {
    // XP* tags are BYTE arrays holding UTF-16LE text whatever the byte order.
    const data = new Uint8Array(text.length * 2 + 2);
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      data[i * 2] = unit & 0xff;
      data[i * 2 + 1] = unit >>> 8;
    }
    return { type: BYTE, count: data.length, data };
  }

  shorts(values: number[]): DataValue {
    return {
      type: SHORT,
      count: values.length,
      data: concatBytes(values.map((v) => this.u16(v))),
    };
  }

  longs(values: number[]): DataValue {
    return {
      type: LONG,
      count: values.length,
      data: concatBytes(values.map((v) => this.u32(v))),
    };
  }

  rationals(values: Array<[number, number]>): DataValue {
    return {
      type: RATIONAL,
      count: values.length,
      data: concatBytes(values.flatMap(([n, d]) => [this.u32(n), this.u32(d)])),
    };
  }

  undefinedBytes(bytes: number[]): DataValue {
    return {
      type: UNDEFINED,
      count: bytes.length,
      data: Uint8Array.from(bytes),
    };
  }
}

/** Growable output buffer with random-access patching. */
class Sink {
  #buf = new Uint8Array(4096);
  length = 0;
  /** Fields to fill with IFD0's offset once it is known. */
  ifd0Refs: number[] = [];

  #ensure(extra: number) {
    if (this.length + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  write(bytes: Uint8Array) {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  align() {
    if (this.length % 2 === 1) this.write(new Uint8Array(1));
  }

  patch(at: number, bytes: Uint8Array) {
    this.#buf.set(bytes, at);
  }

  bytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

function emitIfd(sink: Sink, enc: Encoder, ifd: OutIfd): number {
  sink.align();
  const entries = ifd.entries;
  const tableAt = sink.length;
  sink.write(enc.u16(entries.length));
  const fieldAt: number[] = [];
  for (const entry of entries) {
    if (entry.kind === "raw") {
      sink.write(entry.raw);
      fieldAt.push(-1);
    } else if (entry.kind === "ifd0") {
      sink.write(entry.raw);
      sink.ifd0Refs.push(sink.length - 4);
      fieldAt.push(-1);
    } else if (entry.kind === "data") {
      sink.write(enc.u16(entry.tag));
      sink.write(enc.u16(entry.value.type));
      sink.write(enc.u32(entry.value.count));
      fieldAt.push(sink.length);
      const inline = new Uint8Array(4);
      if (entry.value.data.length <= 4) inline.set(entry.value.data);
      sink.write(inline);
    } else {
      sink.write(enc.u16(entry.tag));
      sink.write(enc.u16(LONG));
      sink.write(enc.u32(1));
      fieldAt.push(sink.length);
      sink.write(new Uint8Array(4));
    }
  }
  sink.write(enc.u32(ifd.next));
  entries.forEach((entry, i) => {
    if (entry.kind === "data" && entry.value.data.length > 4) {
      sink.align();
      sink.patch(fieldAt[i]!, enc.u32(sink.length));
      sink.write(entry.value.data);
    }
  });
  entries.forEach((entry, i) => {
    if (entry.kind === "ifd") {
      const at = emitIfd(sink, enc, entry.ifd);
      sink.patch(fieldAt[i]!, enc.u32(at));
    }
  });
  return tableAt;
}

function degreesToDms(value: number): Array<[number, number]> {
  const abs = Math.abs(value);
  let deg = Math.floor(abs);
  let min = Math.floor((abs - deg) * 60);
  let secTenThousandths = Math.round(((abs - deg) * 60 - min) * 60 * 10000);
  if (secTenThousandths >= 600000) {
    secTenThousandths -= 600000;
    min += 1;
  }
  if (min >= 60) {
    min -= 60;
    deg += 1;
  }
  return [[deg, 1], [min, 1], [secTenThousandths, 10000]];
}

/** How close (degrees) an existing GPS position must be to count as equal. */
const GPS_TOLERANCE_DEGREES = 1e-6;

interface Plan {
  ifd0: Map<number, DataValue>;
  exif: Map<number, DataValue>;
  gps: Map<number, DataValue>;
  /** The second ExifIFD (from IFD1): only its DateTimeOriginal. */
  exif1: Map<number, DataValue>;
}

/** Which of our values differ from what is stored. */
function planChanges(
  parsed: ParsedTiff | undefined,
  edit: ExifEdit,
  enc: Encoder,
): Plan {
  const plan: Plan = {
    ifd0: new Map(),
    exif: new Map(),
    gps: new Map(),
    exif1: new Map(),
  };
  const want = (
    target: Map<number, DataValue>,
    ifd: Ifd | undefined,
    tag: number,
    value: DataValue,
  ) => {
    const entry = findEntry(ifd, tag);
    if (
      entry && parsed && entry.type === value.type &&
      entry.count === value.count
    ) {
      const stored = parsed.reader.valueBytes(entry);
      if (stored && bytesEqual(stored, value.data)) return;
    }
    target.set(tag, value);
  };
  const ifd0 = parsed?.ifd0;
  if (edit.imageDescription !== undefined) {
    want(
      plan.ifd0,
      ifd0,
      TAG.ImageDescription,
      enc.ascii(edit.imageDescription),
    );
  }
  if (edit.artist !== undefined) {
    want(plan.ifd0, ifd0, TAG.Artist, enc.ascii(edit.artist));
  }
  if (edit.copyright !== undefined) {
    want(plan.ifd0, ifd0, TAG.Copyright, enc.ascii(edit.copyright));
  }
  if (edit.xpTitle !== undefined) {
    want(plan.ifd0, ifd0, TAG.XPTitle, enc.ucs2(edit.xpTitle));
  }
  if (edit.xpComment !== undefined) {
    want(plan.ifd0, ifd0, TAG.XPComment, enc.ucs2(edit.xpComment));
  }
  if (edit.xpKeywords !== undefined) {
    want(plan.ifd0, ifd0, TAG.XPKeywords, enc.ucs2(edit.xpKeywords));
  }
  const naa = findEntry(ifd0, TAG.IptcNaa);
  if (edit.iptcNaa !== undefined && naa) {
    // Stored as LONGs (padded to 4 bytes, byte order irrelevant: the bytes
    // are the records) or as UNDEFINED/BYTE, like the camera's.
    const long = naa.type === LONG;
    const size = long
      ? Math.ceil(edit.iptcNaa.length / 4) * 4
      : edit.iptcNaa.length;
    const data = new Uint8Array(size);
    data.set(edit.iptcNaa);
    want(plan.ifd0, ifd0, TAG.IptcNaa, {
      type: long ? LONG : naa.type,
      count: long ? size / 4 : size,
      data,
    });
  }
  const exif = parsed?.exif;
  if (edit.dateTimeOriginal !== undefined) {
    const stored = findEntry(exif, TAG.DateTimeOriginal);
    const storedText = stored && parsed
      ? parsed.reader.ascii(stored)?.trim()
      : undefined;
    if (storedText !== edit.dateTimeOriginal) {
      plan.exif.set(TAG.DateTimeOriginal, enc.ascii(edit.dateTimeOriginal));
    }
    // Every copy tells the same story: a second ExifIFD's date too.
    const copy = findEntry(parsed?.exif1, TAG.DateTimeOriginal);
    if (
      copy && parsed &&
      parsed.reader.ascii(copy)?.trim() !== edit.dateTimeOriginal
    ) {
      plan.exif1.set(TAG.DateTimeOriginal, enc.ascii(edit.dateTimeOriginal));
    }
  }
  if (
    edit.createDateIfAbsent !== undefined &&
    findEntry(exif, TAG.CreateDate) === undefined
  ) {
    plan.exif.set(TAG.CreateDate, enc.ascii(edit.createDateIfAbsent));
  }
  if (edit.gps) {
    const stored = parsed ? readGps(parsed) : undefined;
    const same = stored &&
      Math.abs(stored.latitude - edit.gps.latitude) <= GPS_TOLERANCE_DEGREES &&
      Math.abs(stored.longitude - edit.gps.longitude) <= GPS_TOLERANCE_DEGREES;
    if (!same) {
      const { latitude, longitude } = edit.gps;
      plan.gps.set(TAG.GPSLatitudeRef, enc.ascii(latitude < 0 ? "S" : "N"));
      plan.gps.set(TAG.GPSLatitude, enc.rationals(degreesToDms(latitude)));
      plan.gps.set(TAG.GPSLongitudeRef, enc.ascii(longitude < 0 ? "W" : "E"));
      plan.gps.set(TAG.GPSLongitude, enc.rationals(degreesToDms(longitude)));
      if (!findEntry(parsed?.gps, TAG.GPSVersionID)) {
        plan.gps.set(TAG.GPSVersionID, {
          type: BYTE,
          count: 4,
          data: Uint8Array.of(2, 3, 0, 0),
        });
      }
    }
  }
  return plan;
}

function planIsEmpty(plan: Plan): boolean {
  return plan.ifd0.size === 0 && plan.exif.size === 0 &&
    plan.gps.size === 0 && plan.exif1.size === 0;
}

/** Required IFD0 tags for a JPEG, for EXIF created from nothing. */
function newIfd0Values(
  enc: Encoder,
  ctx: NewExifContext,
): Map<number, DataValue> {
  const density = ctx.density;
  const unit = density?.unit === "cm" ? 3 : 2;
  const x = density?.x ?? 72;
  const y = density?.y ?? 72;
  return new Map([
    [TAG.XResolution, enc.rationals([[x, 1]])],
    [TAG.YResolution, enc.rationals([[y, 1]])],
    [TAG.ResolutionUnit, enc.shorts([unit])],
    [TAG.YCbCrPositioning, enc.shorts([1])],
  ]);
}

/** Required Exif IFD tags for a JPEG, for an Exif IFD created from nothing. */
function newExifIfdValues(
  enc: Encoder,
  ctx: NewExifContext,
): Map<number, DataValue> {
  const dim = (v: number) => v <= 0xffff ? enc.shorts([v]) : enc.longs([v]);
  return new Map([
    [TAG.ExifVersion, enc.undefinedBytes([0x30, 0x32, 0x33, 0x32])],
    [
      TAG.ComponentsConfiguration,
      enc.undefinedBytes(ctx.components === 1 ? [1, 0, 0, 0] : [1, 2, 3, 0]),
    ],
    [TAG.FlashpixVersion, enc.undefinedBytes([0x30, 0x31, 0x30, 0x30])],
    [TAG.ColorSpace, enc.shorts([ctx.hasIccProfile ? 0xffff : 1])],
    [TAG.PixelXDimension, dim(ctx.width)],
    [TAG.PixelYDimension, dim(ctx.height)],
  ]);
}

interface BuildOptions {
  dropThumbnail: boolean;
  /** Write our IFDs over the zero padding at the end of the camera's bytes. */
  reclaimPadding: boolean;
}

/** Inserts `entry` before the first entry with a larger tag. */
function insertByTag(list: OutEntry[], entry: OutEntry): void {
  const at = list.findIndex((e) => e.tag > entry.tag);
  if (at < 0) list.push(entry);
  else list.splice(at, 0, entry);
}

/** Rebuilds IFD0 (and the Exif/GPS IFDs when needed) after the base bytes. */
function build(
  original: Uint8Array | undefined,
  parsed: ParsedTiff | undefined,
  plan: Plan,
  ctx: NewExifContext,
  options: BuildOptions,
): Uint8Array {
  const little = parsed ? parsed.reader.little : false;
  const enc = new Encoder(little);
  const sink = new Sink();

  // 1. The base: the original bytes (up to a previous signature), or a bare
  //    header for EXIF created from nothing, then the signature.
  let keep = parsed ? cameraEnd(parsed) : 0;
  /** IFDs whose Padding block is reused: their Padding entry goes. */
  const dropped = new Set<Ifd>();
  if (parsed && options.dropThumbnail) {
    const cut = thumbnailCut(parsed);
    if (cut === undefined) {
      throw new ExifFormatError("thumbnail cannot be dropped");
    }
    keep = cut;
  } else if (parsed && options.reclaimPadding) {
    const cut = paddingCut(parsed);
    if (cut === undefined) throw new ExifFormatError("no padding to reclaim");
    keep = cut.cut;
    for (const { ifd } of cut.dropped) dropped.add(ifd);
  }
  if (original && parsed) {
    sink.write(original.subarray(0, keep));
  } else {
    sink.write(Uint8Array.of(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8));
  }
  sink.align();
  sink.write(EXIF_SIGNATURE_BYTES);

  // 2. New IFDs. Entries we do not own are copied verbatim, in their
  //    original order (a reader may give up on an IFD whose first entry is
  //    corrupt, so a corrupt entry must not become the first); ours replace
  //    theirs in place or go before the first entry with a larger tag.
  //    Values that live in a previous run's rebuilt area are copied along
  //    with their entry.
  const reader = parsed?.reader;
  const inRebuiltArea = (offset: number) =>
    parsed !== undefined && parsed.signed && offset >= parsed.baseEnd;
  const isIfd0Ref = (entry: Entry) =>
    reader !== undefined && entry.tag in IFD_NAMES && entry.count === 1 &&
    (entry.type === LONG || entry.type === 13) &&
    reader.u32(entry.fieldOffset) === parsed?.ifd0.offset;
  const carry = (entry: Entry): OutEntry => {
    if (!reader) throw new Error("unreachable");
    if (isIfd0Ref(entry)) {
      return { kind: "ifd0", tag: entry.tag, raw: entry.raw.slice() };
    }
    // Values of unknown type are never in the rebuilt area (we only write
    // known types there), so copying such entries verbatim is always right.
    const at = reader.valueOffset(entry);
    if (at !== undefined && inRebuiltArea(at)) {
      const data = reader.valueBytes(entry);
      if (!data) throw new ExifFormatError("value runs past the EXIF data");
      return {
        kind: "data",
        tag: entry.tag,
        value: { type: entry.type, count: entry.count, data: data.slice() },
      };
    }
    return { kind: "raw", tag: entry.tag, raw: entry.raw.slice() };
  };
  const merge = (
    ifd: Ifd | undefined,
    values: Map<number, DataValue>,
    replaced: Map<number, OutEntry | undefined> = new Map(),
  ): OutEntry[] => {
    const out: OutEntry[] = [];
    const placed = new Set<number>();
    for (const entry of ifd?.entries ?? []) {
      if (entry.tag === PADDING_TAG && ifd && dropped.has(ifd)) continue;
      const value = values.get(entry.tag);
      if (value !== undefined || replaced.has(entry.tag)) {
        if (placed.has(entry.tag)) continue;
        placed.add(entry.tag);
        const replacement: OutEntry | undefined = value !== undefined
          ? { kind: "data", tag: entry.tag, value }
          : replaced.get(entry.tag);
        if (replacement) out.push(replacement);
        continue;
      }
      out.push(carry(entry));
    }
    const rest: OutEntry[] = [];
    for (const [tag, value] of values) {
      if (!placed.has(tag)) rest.push({ kind: "data", tag, value });
    }
    for (const [tag, entry] of replaced) {
      if (!placed.has(tag) && entry) rest.push(entry);
    }
    rest.sort((a, b) => a.tag - b.tag);
    for (const entry of rest) insertByTag(out, entry);
    // A corrupt first entry makes readers skip the whole IFD (an earlier
    // version of this program could put one there): a valid one goes first.
    const valid = (e: OutEntry) =>
      e.kind !== "raw" ||
      isValidType(new DataView(e.raw.buffer, e.raw.byteOffset).getUint16(
        2,
        little,
      ));
    if (out.length > 0 && !valid(out[0]!)) {
      const at = out.findIndex(valid);
      if (at > 0) out.unshift(...out.splice(at, 1));
    }
    return out;
  };

  const rewriteSub = (ifd: Ifd | undefined, changes: Map<number, DataValue>) =>
    changes.size > 0 ||
    (ifd !== undefined &&
      (inRebuiltArea(ifd.offset) || ifd.entries.some(isIfd0Ref) ||
        dropped.has(ifd)));
  /** The pointer entry to a sub-IFD: rebuilt, or the original one. */
  const pointer = (
    parent: Ifd | undefined,
    tag: number,
    sub: Ifd | undefined,
    values: Map<number, DataValue>,
    extra: Map<number, DataValue> = new Map(),
  ): OutEntry | undefined => {
    if (rewriteSub(sub, values) || (!sub && extra.size > 0)) {
      const all = new Map(values);
      if (!sub) { for (const [t, v] of extra) all.set(t, v); }
      return { kind: "ifd", tag, ifd: { entries: merge(sub, all), next: 0 } };
    }
    const entry = findEntry(parent, tag);
    return entry ? carry(entry) : undefined;
  };

  const ifd0Values = new Map(plan.ifd0);
  if (!parsed) {
    for (const [tag, value] of newIfd0Values(enc, ctx)) {
      ifd0Values.set(tag, value);
    }
  }
  const exifPointer = pointer(
    parsed?.ifd0,
    TAG.ExifIfd,
    parsed?.exif,
    plan.exif,
    plan.exif.size > 0 ? newExifIfdValues(enc, ctx) : new Map(),
  );
  const gpsPointer = pointer(parsed?.ifd0, TAG.GpsIfd, parsed?.gps, plan.gps);
  const ifd0Entries = merge(
    parsed?.ifd0,
    ifd0Values,
    new Map([[TAG.ExifIfd, exifPointer], [TAG.GpsIfd, gpsPointer]]),
  );
  if (parsed?.exif) {
    const interop = findEntry(parsed.exif, TAG.InteropIfd);
    if (
      interop && !isIfd0Ref(interop) &&
      inRebuiltArea(parsed.reader.u32(interop.fieldOffset))
    ) {
      throw new ExifFormatError("InteropIFD lies in the rebuilt area");
    }
  }

  // IFD1 (the thumbnail's IFD) is rebuilt only when its own ExifIFD gets our
  // date, or when a previous run rebuilt it.
  let ifd1: OutIfd | undefined;
  let next = options.dropThumbnail || !parsed ? 0 : parsed.ifd0.next;
  if (next !== 0 && parsed?.ifd1) {
    const exif1 = parsed.exif1;
    if (
      rewriteSub(exif1, plan.exif1) || inRebuiltArea(parsed.ifd1.offset)
    ) {
      const exif1Pointer = pointer(parsed.ifd1, TAG.ExifIfd, exif1, plan.exif1);
      ifd1 = {
        entries: merge(
          parsed.ifd1,
          new Map(),
          new Map([[TAG.ExifIfd, exif1Pointer]]),
        ),
        next: inRebuiltArea(parsed.ifd1.next) ? 0 : parsed.ifd1.next,
      };
      next = 0;
    }
  }
  if (next !== 0 && inRebuiltArea(next)) {
    throw new ExifFormatError("IFD1 lies in the rebuilt area");
  }
  const ifd0At = emitIfd(sink, enc, { entries: ifd0Entries, next });
  if (ifd1) {
    const ifd1At = emitIfd(sink, enc, ifd1);
    sink.patch(ifd0At + 2 + ifd0Entries.length * 12, enc.u32(ifd1At));
  }
  sink.patch(4, enc.u32(ifd0At));
  for (const at of sink.ifd0Refs) sink.patch(at, enc.u32(ifd0At));
  return sink.bytes();
}

/** Where the camera's bytes end (before a previous run's signature). */
function cameraEnd(parsed: ParsedTiff): number {
  return parsed.signed
    ? parsed.baseEnd - EXIF_SIGNATURE_BYTES.length
    : parsed.reader.bytes.length;
}

/**
 * The end of everything the camera's IFDs reach (tables, values, the
 * thumbnail), or undefined when an entry's size is unknown. Entries for
 * which `skip` is true do not count.
 */
function knownReach(
  parsed: ParsedTiff,
  regionEnd: number,
  skip: (ifd: Ifd, entry: Entry) => boolean = () => false,
): number | undefined {
  const { reader } = parsed;
  let reach = 8;
  const ifds = [
    parsed.ifd0,
    parsed.exif,
    parsed.gps,
    parsed.interop,
    parsed.ifd1,
    parsed.exif1,
  ];
  for (const ifd of ifds) {
    if (!ifd) continue;
    if (ifd.offset < regionEnd) {
      reach = Math.max(reach, ifd.offset + 2 + ifd.entries.length * 12 + 4);
    }
    for (const entry of ifd.entries) {
      if (skip(ifd, entry)) continue;
      const at = reader.valueOffset(entry);
      const size = reader.valueSize(entry);
      if (size === undefined) return undefined;
      if (at !== undefined && at < regionEnd) {
        reach = Math.max(reach, at + size);
      }
    }
  }
  const start = findEntry(parsed.ifd1, TAG.ThumbnailOffset);
  const length = findEntry(parsed.ifd1, TAG.ThumbnailLength);
  if (start && length) {
    const at = reader.u32(start.fieldOffset);
    if (at < regionEnd) {
      reach = Math.max(reach, at + reader.u32(length.fieldOffset));
    }
  }
  return reach;
}

/** Microsoft's reserved-space tag (IFD0 and ExifIFD), often 2 KB. */
const PADDING_TAG = 0xea1c;

/** A cut that reuses padding, and the Padding entries it reclaims. */
interface PaddingCut {
  cut: number;
  /** IFDs whose Padding block's bytes are reused (the entry is dropped). */
  dropped: Array<{ ifd: Ifd; name: "IFD0" | "ExifIFD" }>;
}

/**
 * Where the camera's bytes may be cut to reuse the padding at their end:
 * zeros (Nikon fills its 64 KiB Exif segment with them) and Microsoft
 * `Padding` blocks lying there; undefined when there is none. Nothing else
 * the IFDs reach is cut.
 */
function paddingCut(parsed: ParsedTiff): PaddingCut | undefined {
  const { reader } = parsed;
  const bytes = reader.bytes;
  const regionEnd = cameraEnd(parsed);
  const blocks: Array<
    { ifd: Ifd; name: "IFD0" | "ExifIFD"; at: number; end: number }
  > = [];
  const named = [[parsed.ifd0, "IFD0"], [parsed.exif, "ExifIFD"]] as const;
  for (const [ifd, name] of named) {
    const entry = findEntry(ifd, PADDING_TAG);
    const at = entry ? reader.valueOffset(entry) : undefined;
    const size = entry ? reader.valueSize(entry) : undefined;
    if (ifd && at !== undefined && size !== undefined) {
      blocks.push({ ifd, name, at, end: at + size });
    }
  }
  const reach = knownReach(
    parsed,
    regionEnd,
    (ifd, entry) =>
      entry.tag === PADDING_TAG && blocks.some((b) => b.ifd === ifd),
  );
  if (reach === undefined || reach >= regionEnd) return undefined;
  let end = regionEnd;
  const dropped: PaddingCut["dropped"] = [];
  while (true) {
    while (end > reach && bytes[end - 1] === 0) end--;
    // A Padding block reaching to here is reserved space too.
    const block = blocks.find((b) =>
      !dropped.some((d) => d.ifd === b.ifd) && b.at >= reach && b.at < end &&
      b.end >= end
    );
    if (!block) break;
    dropped.push({ ifd: block.ifd, name: block.name });
    end = block.at;
  }
  end += end & 1;
  if (end >= regionEnd - 16) return undefined;
  // A Padding block not reused must stay whole.
  const kept = blocks.filter((b) => !dropped.some((d) => d.ifd === b.ifd));
  if (kept.some((b) => b.end > end)) return undefined;
  return { cut: end, dropped };
}

/**
 * Where the base may be cut to drop the IFD1 thumbnail, or undefined when that
 * is not provably safe: the thumbnail must be the last thing in the camera's
 * bytes, nothing else we know of may reach past its start, and there must be
 * no MakerNote (its private offsets could point anywhere) and no second
 * ExifIFD hanging from IFD1.
 */
function thumbnailCut(parsed: ParsedTiff): number | undefined {
  const { reader, ifd1 } = parsed;
  if (!ifd1 || findEntry(parsed.exif, TAG.MakerNote)) return undefined;
  if (findEntry(ifd1, TAG.ExifIfd)) return undefined;
  const offsetEntry = findEntry(ifd1, TAG.ThumbnailOffset);
  const lengthEntry = findEntry(ifd1, TAG.ThumbnailLength);
  if (!offsetEntry || !lengthEntry) return undefined;
  const start = reader.u32(offsetEntry.fieldOffset);
  const length = reader.u32(lengthEntry.fieldOffset);
  const regionEnd = cameraEnd(parsed);
  if (start + length < regionEnd - 1 || start + length > regionEnd) {
    return undefined;
  }
  let reach = 8;
  for (const ifd of [parsed.ifd0, parsed.exif, parsed.gps, parsed.interop]) {
    if (!ifd) continue;
    if (ifd.offset < regionEnd) {
      reach = Math.max(reach, ifd.offset + 2 + ifd.entries.length * 12 + 4);
    }
    for (const entry of ifd.entries) {
      const at = reader.valueOffset(entry);
      const size = reader.valueSize(entry);
      if (size === undefined) return undefined;
      if (at !== undefined && at < regionEnd) {
        reach = Math.max(reach, at + size);
      }
    }
  }
  return reach <= start ? start : undefined;
}

/**
 * Merges `edit` into existing EXIF (`original`: the TIFF block after
 * "Exif\0\0", or undefined when the file has none).
 *
 * Size rule, tried in order until the block fits in one APP1 segment
 * ({@link MAX_EXIF_TIFF_BYTES}): all our fields; only the date, GPS, Artist
 * and Copyright (title, description and keywords stay in XMP/IPTC); all
 * fields without the IFD1 thumbnail (only when provably safe); the short set
 * without the thumbnail. When nothing fits, EXIF is left untouched.
 */
export function mergeExif(
  original: Uint8Array | undefined,
  edit: ExifEdit,
  ctx: NewExifContext,
  maxTiffBytes: number = MAX_EXIF_TIFF_BYTES,
): ExifMergeResult {
  const warnings: string[] = [];
  let parsed: ParsedTiff | undefined;
  if (original) {
    try {
      parsed = parseTiff(original);
    } catch (error) {
      return {
        kind: "failed",
        reason: `existing EXIF is malformed (${(error as Error).message})`,
        warnings,
      };
    }
  }
  const enc = new Encoder(parsed ? parsed.reader.little : false);
  const short: ExifEdit = {};
  if (edit.artist !== undefined) short.artist = edit.artist;
  if (edit.copyright !== undefined) short.copyright = edit.copyright;
  if (edit.dateTimeOriginal !== undefined) {
    short.dateTimeOriginal = edit.dateTimeOriginal;
  }
  if (edit.createDateIfAbsent !== undefined) {
    short.createDateIfAbsent = edit.createDateIfAbsent;
  }
  if (edit.gps !== undefined) short.gps = edit.gps;
  if (edit.iptcNaa !== undefined) short.iptcNaa = edit.iptcNaa;
  const attempts: Array<{ edit: ExifEdit; drop: boolean; note?: string }> = [
    { edit, drop: false },
    {
      edit: short,
      drop: false,
      note: "EXIF keeps only the date, GPS, Artist and Copyright " +
        "(title, description and keywords are in XMP and IPTC)",
    },
    { edit, drop: true, note: "dropped the EXIF thumbnail to make room" },
    {
      edit: short,
      drop: true,
      note: "dropped the EXIF thumbnail and kept only the date, GPS, Artist " +
        "and Copyright in EXIF",
    },
  ];
  const before = original ? readableTags(original) : new Map();
  const reclaimable = parsed ? paddingCut(parsed) : undefined;
  const reclaimed = new Set(
    reclaimable?.dropped.map((d) => `${d.name}:0x${PADDING_TAG.toString(16)}`),
  );
  for (const attempt of attempts) {
    const plan = planChanges(parsed, attempt.edit, enc);
    if (!attempt.drop && planIsEmpty(plan)) {
      if (attempt.note) warnings.push(`EXIF is full: ${attempt.note}`);
      return { kind: "unchanged", warnings };
    }
    if (attempt.drop && (!parsed || thumbnailCut(parsed) === undefined)) {
      continue;
    }
    for (
      const reclaim of attempt.drop || !reclaimable ? [false] : [false, true]
    ) {
      let tiff: Uint8Array;
      try {
        tiff = build(original, parsed, plan, ctx, {
          dropThumbnail: attempt.drop,
          reclaimPadding: reclaim,
        });
      } catch (error) {
        return {
          kind: "failed",
          reason: `cannot update EXIF (${(error as Error).message})`,
          warnings,
        };
      }
      if (tiff.length > maxTiffBytes) continue;
      const lost = lostTags(
        before,
        readableTags(tiff),
        attempt.drop,
        reclaim ? reclaimed : new Set(),
      );
      if (lost) {
        return {
          kind: "failed",
          reason:
            `the rewritten EXIF would hide or change the camera's ${lost}`,
          warnings,
        };
      }
      if (attempt.note) warnings.push(`EXIF is full: ${attempt.note}`);
      return { kind: "changed", tiff, applied: attempt.edit, warnings };
    }
  }
  return {
    kind: "failed",
    reason:
      `EXIF would exceed ${maxTiffBytes + 6} bytes; left EXIF untouched ` +
      "(the fields are in XMP and IPTC)",
    warnings,
  };
}

/** TIFF types a reader accepts. */
function isValidType(type: number): boolean {
  return (type >= 1 && type <= 13) || type === 129;
}

const IFD_NAMES = {
  0x8769: "ExifIFD",
  0x8825: "GPS",
  0xa005: "InteropIFD",
} as const;

/**
 * The tags a reader can read from a TIFF block ("IFD:tag" -> value bytes),
 * following the rule ExifTool applies: an IFD whose first entry has an
 * invalid type is ignored whole (with everything it points to); other
 * entries with an invalid type, or a value past the end, are skipped.
 * Sub-IFDs are found through the pointers, so a wrong pointer shows too.
 */
export function readableTags(tiff: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let reader: TiffReader;
  try {
    reader = new TiffReader(tiff);
  } catch {
    return out;
  }
  const seen = new Set<number>();
  const walk = (offset: number, name: string, depth: number) => {
    if (seen.has(offset) || depth > 3) return;
    seen.add(offset);
    let ifd: Ifd;
    try {
      ifd = reader.readIfd(offset, name);
    } catch {
      return;
    }
    if (ifd.entries.length > 0 && !isValidType(ifd.entries[0]!.type)) return;
    for (const entry of ifd.entries) {
      if (!isValidType(entry.type)) continue;
      const value = reader.valueBytes(entry);
      if (value === undefined) continue;
      const key = `${name}:0x${entry.tag.toString(16).padStart(4, "0")}`;
      if (out.has(key)) continue;
      const subName = IFD_NAMES[entry.tag as keyof typeof IFD_NAMES];
      if (subName) {
        // A pointer's value is where the IFD is, which may move.
        out.set(key, new Uint8Array(0));
        if (entry.count === 0) continue;
        walk(
          reader.u32(entry.fieldOffset),
          name === "IFD1" ? `IFD1-${subName}` : subName,
          depth + 1,
        );
      } else {
        out.set(key, value);
      }
    }
    if (name === "IFD0" && ifd.next !== 0) walk(ifd.next, "IFD1", depth + 1);
  };
  walk(reader.ifd0Offset, "IFD0", 0);
  return out;
}

/** Tags we write: their values may change. */
const OWNED = new Set([
  "IFD0:0x010e",
  "IFD0:0x83bb",
  "IFD0:0x013b",
  "IFD0:0x8298",
  "IFD0:0x9c9b",
  "IFD0:0x9c9c",
  "IFD0:0x9c9e",
  "ExifIFD:0x9003",
  "ExifIFD:0x9004",
  "IFD1-ExifIFD:0x9003",
]);

/**
 * Describes the first camera tag readable in `before` that is missing or
 * has another value in `after`, or returns undefined when there is none.
 */
function lostTags(
  before: Map<string, Uint8Array>,
  after: Map<string, Uint8Array>,
  droppedThumbnail: boolean,
  reclaimed: Set<string>,
): string | undefined {
  const problems: string[] = [];
  for (const [key, value] of before) {
    if (droppedThumbnail && key.startsWith("IFD1:")) continue;
    if (reclaimed.has(key)) continue;
    const now = after.get(key);
    if (now === undefined) problems.push(`${key} (gone)`);
    else if (
      !OWNED.has(key) && !key.startsWith("GPS:") && !bytesEqual(now, value)
    ) {
      problems.push(`${key} (changed)`);
    }
  }
  if (problems.length === 0) return undefined;
  const more = problems.length > 3 ? ` and ${problems.length - 3} more` : "";
  return `tag${problems.length > 1 ? "s" : ""} ${
    problems.slice(0, 3).join(", ")
  }${more}`;
}

/**
 * Reads a TIFF block back with piexifjs, a second, independent EXIF reader,
 * and checks that our values are there. Returns undefined when they are, or
 * when piexifjs cannot read the original either (then it has no opinion);
 * otherwise a reason.
 */
export function crossCheckWithPiexif(
  original: Uint8Array | undefined,
  written: Uint8Array,
  edit: ExifEdit,
): string | undefined {
  const load = (tiff: Uint8Array) =>
    piexif.load("Exif\0\0" + toBinaryString(tiff)) as Record<
      string,
      Record<string, unknown>
    >;
  if (original) {
    try {
      load(original);
    } catch {
      // piexifjs cannot read this camera's EXIF (e.g. a FLOAT-typed standard
      // tag); it cannot judge our output either.
      return undefined;
    }
  }
  let dict: Record<string, Record<string, unknown>>;
  try {
    dict = load(written);
  } catch (error) {
    return `piexifjs cannot read the new EXIF (${(error as Error).message})`;
  }
  const binary = (text: string) =>
    toBinaryString(utf8(text.replaceAll("\0", "")));
  const checks: Array<[string, number, string | undefined]> = [
    ["0th", TAG.ImageDescription, edit.imageDescription],
    ["0th", TAG.Artist, edit.artist],
    ["0th", TAG.Copyright, edit.copyright],
    ["Exif", TAG.DateTimeOriginal, edit.dateTimeOriginal],
  ];
  for (const [ifd, tag, expected] of checks) {
    if (expected === undefined) continue;
    const actual = dict[ifd]?.[tag];
    if (actual !== binary(expected)) {
      return `piexifjs reads tag 0x${tag.toString(16)} back differently`;
    }
  }
  if (edit.gps) {
    const lat = dict["GPS"]?.[TAG.GPSLatitude] as
      | Array<[number, number]>
      | undefined;
    const ref = dict["GPS"]?.[TAG.GPSLatitudeRef];
    if (!lat || lat.length !== 3 || typeof ref !== "string") {
      return "piexifjs finds no GPS latitude";
    }
    const value = lat[0]![0] / lat[0]![1] + lat[1]![0] / lat[1]![1] / 60 +
      lat[2]![0] / lat[2]![1] / 3600;
    const signed = ref.startsWith("S") ? -value : value;
    if (Math.abs(signed - edit.gps.latitude) > GPS_TOLERANCE_DEGREES) {
      return "piexifjs reads the GPS latitude back differently";
    }
  }
  return undefined;
}

/**
 * Where the ExifIFD MakerNote is and whose it is (for
 * `makernote_offsets.ts`), or undefined when there is none or the EXIF does
 * not parse.
 */
export function makerNoteInfo(tiff: Uint8Array): MakerNoteInfo | undefined {
  let parsed: ParsedTiff;
  try {
    parsed = parseTiff(tiff);
  } catch {
    return undefined;
  }
  const entry = findEntry(parsed.exif, TAG.MakerNote);
  const make = findEntry(parsed.ifd0, 0x010f);
  if (!entry) return undefined;
  const size = parsed.reader.valueSize(entry);
  const offset = parsed.reader.valueOffset(entry);
  if (size === undefined || offset === undefined) return undefined;
  return {
    offset,
    size,
    make: (make ? parsed.reader.ascii(make) : undefined)?.trim() ?? "",
    little: parsed.reader.little,
  };
}
