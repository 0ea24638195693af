/**
 * A second, independent EXIF reader (piexifjs) checks what we wrote
 * ({@link crossCheckWithPiexif}).
 *
 * @module
 */

import piexif from "piexifjs";
import { toBinaryString, utf8 } from "./_bytes.ts";
import { type ExifEdit, GPS_TOLERANCE_DEGREES } from "./exif_plan.ts";
import { TAG } from "./tiff_reader.ts";

/**
 * Reads a TIFF block back with piexifjs, a second, independent EXIF reader,
 * and checks that our values are there. Returns undefined when they are, or
 * when piexifjs cannot read the original either (then it has no opinion);
 * otherwise a reason. The original is read only when the new block fails
 * the check (the outcome is the same, at half the cost per photo).
 */
export function crossCheckWithPiexif(
  original: Uint8Array | undefined,
  written: Uint8Array,
  edit: ExifEdit,
): string | undefined {
  const problem = checkWritten(written, edit);
  if (problem === undefined || !original) return problem;
  // Only when there is a problem: can piexifjs read the original at all?
  try {
    load(original);
  } catch {
    // piexifjs cannot read this camera's EXIF (e.g. a FLOAT-typed standard
    // tag); it cannot judge our output either.
    return undefined;
  }
  return problem;
}

function load(tiff: Uint8Array): Record<string, Record<string, unknown>> {
  return piexif.load("Exif\0\0" + toBinaryString(tiff)) as Record<
    string,
    Record<string, unknown>
  >;
}

/** True when the binary string `text` holds the UTF-8 of `expected`. */
function holdsUtf8(text: unknown, expected: string): boolean {
  if (typeof text !== "string") return false;
  const bytes = utf8(expected.replaceAll("\0", ""));
  if (text.length !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    if (text.charCodeAt(i) !== bytes[i]) return false;
  }
  return true;
}

/** Our values read back from `written` by piexifjs, or the problem. */
function checkWritten(written: Uint8Array, edit: ExifEdit): string | undefined {
  let dict: Record<string, Record<string, unknown>>;
  try {
    dict = load(written);
  } catch (error) {
    return `piexifjs cannot read the new EXIF (${(error as Error).message})`;
  }
  const checks: Array<[string, number, string | undefined]> = [
    ["0th", TAG.ImageDescription, edit.imageDescription],
    ["0th", TAG.Artist, edit.artist],
    ["0th", TAG.Copyright, edit.copyright],
    ["Exif", TAG.DateTimeOriginal, edit.dateTimeOriginal],
  ];
  for (const [ifd, tag, expected] of checks) {
    if (expected === undefined) continue;
    if (!holdsUtf8(dict[ifd]?.[tag], expected)) {
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
