/**
 * The metadata a photo carries from Flickr into its file, and the date policy
 * that decides which "date taken" is written. Pure: no I/O.
 *
 * Date policy (see {@link resolveDateTaken}):
 * - Flickr's date taken wins, unless Flickr marks it unknown
 *   (`datetakenunknown=1`; Flickr then fills in the upload time) or it does not
 *   parse.
 * - When Flickr's date is coarse (month, year, circa) and the camera's
 *   DateTimeOriginal falls inside that period, the camera's exact value is
 *   kept: it agrees with Flickr and is more precise.
 * - When Flickr's date is unknown, the camera's DateTimeOriginal is kept (and
 *   copied to XMP and IPTC); without one nothing is written. No date is ever
 *   invented.
 * - Coarse dates are written at their real precision where the format allows
 *   it (XMP "2019-07" / "2019", IPTC "20190700" / "20190000") and as the start
 *   of the period where it does not (EXIF "2019:07:01 00:00:00").
 *
 * @module
 */

import { truncateUtf8 } from "./_bytes.ts";

/** Flickr's `datetakengranularity`: 0 exact, 4 month, 6 year, 8 circa. */
export type DateGranularity = 0 | 4 | 6 | 8;

/** What Flickr knows about one photo, as the embedders take it. */
export interface PhotoMetadata {
  /** Flickr title (plain text). */
  title?: string;
  /** Flickr description (plain text; HTML is the caller's business). */
  description?: string;
  /** Tags in display form ("raw" tags), in Flickr's order. */
  tags: string[];
  /** Flickr `datetaken`, "YYYY-MM-DD HH:MM:SS", local time, no zone. */
  dateTaken?: string;
  /** Flickr `datetakengranularity`. */
  dateTakenGranularity: DateGranularity;
  /** Flickr `datetakenunknown`: the date is really the upload time. */
  dateTakenUnknown: boolean;
  /** Decimal degrees, WGS84, north positive. */
  latitude?: number;
  /** Decimal degrees, WGS84, east positive. */
  longitude?: number;
  /** Owner's display name. */
  creator?: string;
  /** Rights statement, e.g. "© Jane Doe, CC BY 2.0". */
  rights?: string;
  /** The photo page URL. */
  flickrUrl?: string;
}

/** Where the date written into the file came from. */
export type DateSource = "flickr" | "camera" | "none";

/** The outcome of the date policy, in every format's own notation. */
export interface DateResolution {
  /** Which date won. */
  source: DateSource;
  /** Precision of the written date (0 when the camera's exact date won). */
  granularity: DateGranularity;
  /** EXIF DateTimeOriginal form, "YYYY:MM:DD HH:MM:SS". */
  exifDate?: string;
  /** XMP form: "YYYY", "YYYY-MM" or "YYYY-MM-DDTHH:MM:SS". */
  xmpDate?: string;
  /** IPTC DateCreated form, "YYYYMMDD" with "00" for unknown parts. */
  iptcDate?: string;
  /** A short reason when the policy did not simply take Flickr's date. */
  note?: string;
}

/** A calendar date and time of day, no zone. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const FLICKR_DATE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function partsFromMatch(match: RegExpMatchArray | null): DateParts | undefined {
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(
    Number,
  ) as [number, number, number, number, number, number];
  if (year < 1000 || month < 1 || month > 12 || day < 1) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return { year, month, day, hour, minute, second };
}

/** Parses Flickr's "YYYY-MM-DD HH:MM:SS"; undefined when invalid. */
export function parseFlickrDate(text: string): DateParts | undefined {
  return partsFromMatch(text.trim().match(FLICKR_DATE));
}

/**
 * Parses an EXIF "YYYY:MM:DD HH:MM:SS" date. Blank or zeroed camera dates
 * ("0000:00:00 00:00:00", unset clocks) are undefined.
 */
export function parseExifDate(text: string): DateParts | undefined {
  return partsFromMatch(text.replace(/\0+$/, "").trim().match(EXIF_DATE));
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function exifForm(p: DateParts): string {
  return `${pad(p.year, 4)}:${pad(p.month)}:${pad(p.day)} ` +
    `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

function xmpExactForm(p: DateParts): string {
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T` +
    `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

function exactResolution(
  p: DateParts,
  source: DateSource,
  note?: string,
): DateResolution {
  return {
    source,
    granularity: 0,
    exifDate: exifForm(p),
    xmpDate: xmpExactForm(p),
    iptcDate: `${pad(p.year, 4)}${pad(p.month)}${pad(p.day)}`,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * Applies the date policy (see the module doc) to Flickr's date and the
 * camera's EXIF DateTimeOriginal, if the file has one.
 */
export function resolveDateTaken(
  meta: Pick<
    PhotoMetadata,
    "dateTaken" | "dateTakenGranularity" | "dateTakenUnknown"
  >,
  cameraDateTimeOriginal?: string,
): DateResolution {
  const camera = cameraDateTimeOriginal === undefined
    ? undefined
    : parseExifDate(cameraDateTimeOriginal);
  const flickr = meta.dateTakenUnknown || meta.dateTaken === undefined
    ? undefined
    : parseFlickrDate(meta.dateTaken);

  if (flickr === undefined) {
    const why = meta.dateTakenUnknown
      ? "Flickr marks the date taken as unknown"
      : meta.dateTaken === undefined
      ? "Flickr has no date taken"
      : `Flickr date taken "${meta.dateTaken}" is not a valid date`;
    if (camera) return exactResolution(camera, "camera", why);
    return { source: "none", granularity: 0, note: why };
  }

  const granularity = meta.dateTakenGranularity;
  if (granularity === 0) return exactResolution(flickr, "flickr");

  const sameYear = camera !== undefined && camera.year === flickr.year;
  const insidePeriod = granularity === 4
    ? sameYear && camera.month === flickr.month
    : sameYear;
  if (camera && insidePeriod) {
    return exactResolution(
      camera,
      "camera",
      "the camera's exact date lies inside Flickr's coarse date",
    );
  }
  const year = pad(flickr.year, 4);
  if (granularity === 4) {
    const month = pad(flickr.month);
    return {
      source: "flickr",
      granularity,
      exifDate: `${year}:${month}:01 00:00:00`,
      xmpDate: `${year}-${month}`,
      iptcDate: `${year}${month}00`,
    };
  }
  // Year (6) and circa (8) both carry only a year.
  return {
    source: "flickr",
    granularity,
    exifDate: `${year}:01:01 00:00:00`,
    xmpDate: year,
    iptcDate: `${year}0000`,
  };
}

/**
 * The local-time instant of a resolved date (the start of a coarse period),
 * for setting a file's modification time. Flickr dates carry no zone, so
 * local time is the best reading (ExifTool does the same).
 */
export function dateResolutionToLocalDate(
  resolution: DateResolution,
): Date | undefined {
  if (resolution.exifDate === undefined) return undefined;
  const p = parseExifDate(resolution.exifDate);
  if (!p) return undefined;
  return new Date(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

const PLAIN_TEXT = /^[\x20-\x7e\t\n\r]*$/;

/**
 * Removes what no metadata format can carry: NUL and other C0 controls except
 * tab, LF and CR, U+FFFE/U+FFFF, and lone surrogates (XML 1.0 rejects them).
 * Normalises to NFC.
 */
export function cleanText(text: string): string {
  // Printable ASCII, tab, LF and CR: nothing to remove, already NFC.
  if (PLAIN_TEXT.test(text)) return text;
  // deno-lint-ignore no-control-regex
  const cleaned = text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "")
    .replace(/[\uFFFE\uFFFF]/g, "")
    .replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    );
  return cleaned.normalize("NFC");
}

/** The text marker appended wherever an embedded copy was cut short. */
export const TRUNCATION_MARKER = " […]";

/** Metadata cleaned and checked, ready for the format writers. */
export interface PreparedFields {
  /** Title, cleaned; absent when empty. */
  title?: string;
  /** Description, cleaned; absent when empty. */
  description?: string;
  /** Tags, cleaned, without empties and exact duplicates. */
  tags: string[];
  /** Creator, cleaned. */
  creator?: string;
  /** Rights statement, cleaned. */
  rights?: string;
  /** Photo page URL. */
  flickrUrl?: string;
  /** Position, only when valid. */
  gps?: { latitude: number; longitude: number };
  /** The resolved date. */
  date: DateResolution;
}

function present(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = cleanText(text);
  return cleaned.trim() === "" ? undefined : cleaned;
}

/**
 * Cleans `meta`, resolves the date against the camera's DateTimeOriginal and
 * validates the position. Problems become warnings, never errors.
 */
export function prepareFields(
  meta: PhotoMetadata,
  cameraDateTimeOriginal?: string,
): { fields: PreparedFields; warnings: string[] } {
  const warnings: string[] = [];
  const tags: string[] = [];
  const seen = new Set<string>();
  for (const tag of meta.tags) {
    const cleaned = present(tag)?.trim();
    if (cleaned === undefined || seen.has(cleaned)) continue;
    seen.add(cleaned);
    tags.push(cleaned);
  }
  const date = resolveDateTaken(meta, cameraDateTimeOriginal);
  if (
    meta.dateTaken !== undefined && !meta.dateTakenUnknown &&
    parseFlickrDate(meta.dateTaken) === undefined
  ) {
    warnings.push(`Ignored invalid Flickr date taken "${meta.dateTaken}"`);
  }
  const fields: PreparedFields = { tags, date };
  const title = present(meta.title);
  if (title !== undefined) fields.title = title;
  const description = present(meta.description);
  if (description !== undefined) fields.description = description;
  const creator = present(meta.creator);
  if (creator !== undefined) fields.creator = creator;
  const rights = present(meta.rights);
  if (rights !== undefined) fields.rights = rights;
  const url = present(meta.flickrUrl);
  if (url !== undefined) fields.flickrUrl = url.trim();
  const gps = checkPosition(meta.latitude, meta.longitude);
  if (gps.position) fields.gps = gps.position;
  if (gps.warning) warnings.push(gps.warning);
  return { fields, warnings };
}

/**
 * Checks a Flickr position. Both coordinates must be present, finite and in
 * range; (0, 0) is Flickr's "no location" and is dropped without a warning.
 */
export function checkPosition(
  latitude: number | undefined,
  longitude: number | undefined,
): {
  position?: { latitude: number; longitude: number };
  warning?: string;
} {
  if (latitude === undefined && longitude === undefined) return {};
  if (latitude === undefined || longitude === undefined) {
    return { warning: "Ignored a position with only one coordinate" };
  }
  if (
    !Number.isFinite(latitude) || !Number.isFinite(longitude) ||
    Math.abs(latitude) > 90 || Math.abs(longitude) > 180
  ) {
    return {
      warning: `Ignored an invalid position (${latitude}, ${longitude})`,
    };
  }
  if (latitude === 0 && longitude === 0) return {};
  return { position: { latitude, longitude } };
}

/**
 * Cuts `text` to `maxBytes` of UTF-8 with {@link TRUNCATION_MARKER}, recording
 * a warning naming `where` when it had to cut.
 */
export function limitText(
  text: string,
  maxBytes: number,
  where: string,
  warnings: string[],
): string {
  const cut = truncateUtf8(text, maxBytes, TRUNCATION_MARKER);
  if (cut.truncated) {
    warnings.push(
      `Truncated ${where} to ${maxBytes} bytes (the sidecar keeps the full text)`,
    );
  }
  return cut.text;
}
