/**
 * Magic-byte checks: what a downloaded file really is, whether it is the kind
 * the caller expected, and whether a JPEG looks complete. Pure.
 *
 * @module
 */

/** What the caller expects at the URL. */
export type Expectation = "image" | "video" | "any";

/** The detected format of a downloaded file. */
export type FileKind =
  | "jpeg"
  | "png"
  | "gif"
  | "webp"
  | "heic"
  | "tiff"
  | "mp4"
  | "mov"
  | "avi"
  | "other";

/** Bytes of the file head the checks need. */
export const SNIFF_BYTES = 512;

/** How far from the end a JPEG's EOI marker is looked for. */
export const JPEG_TAIL_BYTES = 64 * 1024;

const HEIC_BRANDS = new Set([
  "heic",
  "heix",
  "heim",
  "heis",
  "hevc",
  "hevx",
  "hevm",
  "hevs",
  "mif1",
  "msf1",
]);
const AVIF_BRANDS = new Set(["avif", "avis"]);
const QUICKTIME_BOXES = new Set(["moov", "mdat", "wide", "free", "skip"]);

/** The result of {@link sniff}. */
export interface Sniffed {
  kind: FileKind;
  /** A recognised image container that {@link kind} reports as "other". */
  otherImage: boolean;
  /** A recognised video container that {@link kind} reports as "other". */
  otherVideo: boolean;
}

/** Identifies a file from its first bytes (at least {@link SNIFF_BYTES}). */
export function sniff(head: Uint8Array): Sniffed {
  const plain = (kind: FileKind): Sniffed => ({
    kind,
    otherImage: false,
    otherVideo: false,
  });
  if (startsWith(head, [0xff, 0xd8, 0xff])) return plain("jpeg");
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return plain("png");
  }
  if (ascii(head, 0, 4) === "GIF8") return plain("gif");
  if (ascii(head, 0, 4) === "RIFF") {
    const form = ascii(head, 8, 4);
    if (form === "WEBP") return plain("webp");
    if (form === "AVI ") return plain("avi");
  }
  if (
    startsWith(head, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]) ||
    // BigTIFF
    startsWith(head, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return plain("tiff");
  }
  const box = ascii(head, 4, 4);
  if (box === "ftyp") {
    const brand = ascii(head, 8, 4);
    if (HEIC_BRANDS.has(brand)) return plain("heic");
    if (AVIF_BRANDS.has(brand)) {
      return { kind: "other", otherImage: true, otherVideo: false };
    }
    if (brand === "qt  ") return plain("mov");
    return plain("mp4");
  }
  if (QUICKTIME_BOXES.has(box)) return plain("mov");
  // Other video containers Flickr accepts as uploads (its originals are
  // served as uploaded): ASF/WMV, Matroska/WebM, MPEG-PS, Ogg, FLV, MPEG-TS.
  if (
    startsWith(head, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11]) ||
    startsWith(head, [0x1a, 0x45, 0xdf, 0xa3]) ||
    startsWith(head, [0x00, 0x00, 0x01, 0xba]) ||
    ascii(head, 0, 4) === "OggS" ||
    ascii(head, 0, 3) === "FLV" ||
    (head.length > 188 && head[0] === 0x47 && head[188] === 0x47)
  ) {
    return { kind: "other", otherImage: false, otherVideo: true };
  }
  return plain("other");
}

/** True when `head` is an HTML page (after an optional BOM and whitespace). */
export function looksLikeHtml(head: Uint8Array): boolean {
  let i = 0;
  if (startsWith(head, [0xef, 0xbb, 0xbf])) i = 3;
  while (i < head.length && isSpace(head[i] ?? 0)) i++;
  const text = ascii(head, i, 16).toLowerCase();
  return text.startsWith("<!doctype html") || text.startsWith("<html") ||
    text.startsWith("<head") || text.startsWith("<body");
}

/** True when a file of `sniffed` kind satisfies `expect`. */
export function matchesExpectation(
  sniffed: Sniffed,
  expect: Expectation,
): boolean {
  switch (expect) {
    case "any":
      return true;
    case "image":
      return ["jpeg", "png", "gif", "webp", "heic", "tiff"].includes(
        sniffed.kind,
      ) || sniffed.otherImage;
    case "video":
      return ["mp4", "mov", "avi"].includes(sniffed.kind) ||
        sniffed.otherVideo;
  }
}

/** True when `tail` (the last bytes of a file) contains a JPEG EOI `FFD9`. */
export function hasJpegEnd(tail: Uint8Array): boolean {
  for (let i = tail.length - 2; i >= 0; i--) {
    if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  }
  return false;
}

const KIND_EXTENSIONS: Record<FileKind, readonly string[]> = {
  jpeg: ["jpg", "jpeg", "jpe", "jfif"],
  png: ["png"],
  gif: ["gif"],
  webp: ["webp"],
  heic: ["heic", "heif", "hif"],
  // Camera raw formats are TIFF containers.
  tiff: ["tif", "tiff", "dng", "nef", "cr2", "arw", "orf", "pef", "srw"],
  mp4: ["mp4", "m4v", "3gp", "3g2", "f4v", "mov"],
  mov: ["mov", "qt", "mp4"],
  avi: ["avi"],
  other: [],
};

/**
 * Chooses the extension to suggest: the declared one (Content-Disposition or
 * URL) when it agrees with the bytes, else the one the bytes imply
 * (gallery-dl `adjust-extensions`).
 */
export function chooseExtension(
  declared: string | undefined,
  kind: FileKind,
): string | undefined {
  const known = KIND_EXTENSIONS[kind];
  if (
    declared !== undefined && (kind === "other" || known.includes(declared))
  ) {
    return declared;
  }
  return known[0] ?? declared;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let out = "";
  for (let i = start; i < start + length && i < bytes.length; i++) {
    out += String.fromCharCode(bytes[i] ?? 0);
  }
  return out;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c;
}
