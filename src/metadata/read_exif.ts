/**
 * What flickr-backup reads from existing EXIF: the summary the date and GPS
 * policies need ({@link readExif}), every entry (for tests and
 * diagnostics) and where the MakerNote is.
 *
 * Pure: bytes in, values out.
 *
 * @module
 */

import type { MakerNoteInfo } from "./makernote_offsets.ts";
import {
  findEntry,
  type Ifd,
  type ParsedTiff,
  parseTiff,
  TAG,
} from "./tiff_reader.ts";

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

export function readGps(parsed: ParsedTiff): ExifSummary["gps"] {
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

/**
 * The ExifIFD DateTimeOriginal of a TIFF block (trimmed, undefined when
 * absent or empty), after the same structure checks as {@link readExif}:
 * throws {@link ExifFormatError} when malformed.
 */
export function readDateTimeOriginal(tiff: Uint8Array): string | undefined {
  const { reader, exif } = parseTiff(tiff);
  const entry = findEntry(exif, TAG.DateTimeOriginal);
  const value = entry ? reader.ascii(entry)?.trim() : undefined;
  return value === "" ? undefined : value;
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
