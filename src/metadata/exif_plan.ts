/**
 * Which of the EXIF values flickr-backup owns ({@link ExifEdit}) differ
 * from what the file stores ({@link planChanges}): only those are written.
 *
 * @module
 */

import { bytesEqual } from "./_bytes.ts";
import { type DataValue, type Encoder } from "./emit_ifd.ts";
import { readGps } from "./read_exif.ts";
import {
  BYTE,
  findEntry,
  type Ifd,
  LONG,
  type ParsedTiff,
  TAG,
} from "./tiff_reader.ts";

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
export const GPS_TOLERANCE_DEGREES = 1e-6;

export interface Plan {
  ifd0: Map<number, DataValue>;
  exif: Map<number, DataValue>;
  gps: Map<number, DataValue>;
  /** The second ExifIFD (from IFD1): only its DateTimeOriginal. */
  exif1: Map<number, DataValue>;
}

/**
 * Which of our values differ from what is stored.
 *
 * Long (about 110 lines) because it is one flat list, a few lines per field
 * flickr-backup owns, each compared the same way through `want`.
 */
export function planChanges(
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

export function planIsEmpty(plan: Plan): boolean {
  return plan.ifd0.size === 0 && plan.exif.size === 0 &&
    plan.gps.size === 0 && plan.exif1.size === 0;
}
