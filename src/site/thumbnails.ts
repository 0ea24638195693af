/**
 * Thumbnails from what is at hand, without any request:
 *
 * 1. the small JPEG most camera files carry in their EXIF (IFD1), read from
 *    the first bytes of the file (shrunk when a camera stored a large one);
 * 2. the file itself, when it is a small image a browser shows anyway;
 * 3. otherwise, for a JPEG, a 240-pixel one: a large JPEG (1,920 px or
 *    more on its longest side) from its DC coefficients alone
 *    (`jpeg_dc.ts`: one pixel per 8×8 block, no inverse DCT; a 24 MP photo
 *    in ~0.1 s), a smaller one of at most {@link DECODE_MAX_PIXELS} decoded
 *    with `jpeg-js` (pure JavaScript: nothing to load at run time, no
 *    WebAssembly file to find inside the compiled binary, no permission
 *    beyond reading the photo; ~0.13 s and ~40 MB per megapixel, which is
 *    why large files do not go that way: 24 MP takes it 3.2 s and 1.2 GB);
 * 4. otherwise, for an image a browser shows, the file itself: pages load it
 *    lazily and the browser scales it;
 * 5. otherwise none: the page shows a tile with the file type.
 *
 * @module
 */

import jpeg from "jpeg-js";
import { pixelSize } from "../pixels.ts";
import { readFull } from "../platform/fs.ts";
import { decodeDc } from "./jpeg_dc.ts";
import { releaseBytes } from "../platform/collect_garbage.ts";

/** Longest side of a generated thumbnail, in pixels. */
export const THUMB_SIZE = 240;
/**
 * A file (or EXIF thumbnail) this small is used as it is. With generated
 * thumbnails of 8–15 KB, a 500-photo album page stays well under 10 MB.
 */
export const DIRECT_MAX_BYTES = 16 * 1024;
/** Largest JPEG decoded to make a thumbnail (bigger ones get none). */
const DECODE_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Most pixels `jpeg-js` decodes for a thumbnail (≤ 0.5 s, ≤ 150 MB): the
 * 1024 px copies of free accounts, say. Larger JPEGs are read at 1/8 scale.
 */
export const DECODE_MAX_PIXELS = 2048 * 1600;
/** Bytes read from the start of a JPEG to find its EXIF thumbnail. */
const HEAD_BYTES = 160 * 1024;

const BROWSER_IMAGES = new Set([
  "jpg",
  "jpeg",
  "png",
  "gif",
  "webp",
  "avif",
  "bmp",
]);

/** What a photo's thumbnail is. */
export type Thumbnail =
  | {
    kind: "jpeg";
    bytes: Uint8Array;
    rotate: number;
    /** EXIF thumbnail, full decode, or decode at 1/8 scale. */
    source: "exif" | "decoded" | "eighth";
  }
  | { kind: "original"; rotate: number }
  | { kind: "none" };

interface ExifFindings {
  thumbnail?: Uint8Array;
  /** Clockwise rotation the EXIF orientation asks for (0, 90, 180, 270). */
  rotate: number;
}

const ROTATIONS: Record<number, number> = { 3: 180, 6: 90, 8: 270 };

/** The EXIF block of a JPEG's first bytes, as TIFF bytes. */
function exifTiff(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) return undefined;
    const start = at + 4;
    const end = at + 2 + length;
    if (
      marker === 0xe1 && end <= bytes.length && length > 8 &&
      String.fromCharCode(...bytes.subarray(start, start + 6)) === "Exif\0\0"
    ) {
      return bytes.subarray(start + 6, end);
    }
    at = end;
  }
  return undefined;
}

/**
 * Reads the orientation and the IFD1 thumbnail of a JPEG's EXIF, from the
 * first bytes of the file. Anything malformed gives "nothing found".
 */
export function readExifThumbnail(head: Uint8Array): ExifFindings {
  const tiff = exifTiff(head);
  if (!tiff || tiff.length < 8) return { rotate: 0 };
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return { rotate: 0 };
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const inside = (at: number, size: number) =>
    at >= 8 && at + size <= tiff.length;
  try {
    const ifd0 = u32(4);
    if (!inside(ifd0, 2)) return { rotate: 0 };
    const count0 = u16(ifd0);
    if (!inside(ifd0 + 2, count0 * 12 + 4)) return { rotate: 0 };
    let rotate = 0;
    for (let i = 0; i < count0; i++) {
      const entry = ifd0 + 2 + i * 12;
      if (u16(entry) === 0x0112) rotate = ROTATIONS[u16(entry + 8)] ?? 0;
    }
    const ifd1 = u32(ifd0 + 2 + count0 * 12);
    if (!ifd1 || !inside(ifd1, 2)) return { rotate };
    const count1 = u16(ifd1);
    if (!inside(ifd1 + 2, count1 * 12)) return { rotate };
    let offset = 0;
    let length = 0;
    for (let i = 0; i < count1; i++) {
      const entry = ifd1 + 2 + i * 12;
      const tag = u16(entry);
      if (tag === 0x0201) offset = u32(entry + 8);
      if (tag === 0x0202) length = u32(entry + 8);
    }
    if (!offset || length < 100 || !inside(offset, length)) return { rotate };
    const thumbnail = tiff.slice(offset, offset + length);
    if (thumbnail[0] !== 0xff || thumbnail[1] !== 0xd8) return { rotate };
    return { thumbnail, rotate };
  } catch {
    return { rotate: 0 };
  }
}

/** Averages RGBA pixels into a picture whose longest side is `size`. */
export function shrink(
  rgba: Uint8Array,
  width: number,
  height: number,
  size: number,
): { data: Uint8Array; width: number; height: number } {
  const scale = Math.min(1, size / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const sums = new Float64Array(w * h * 3);
  const counts = new Float64Array(w * h);
  for (let y = 0; y < height; y++) {
    const ty = Math.min(h - 1, Math.floor(y * h / height));
    for (let x = 0; x < width; x++) {
      const tx = Math.min(w - 1, Math.floor(x * w / width));
      const s = (y * width + x) * 4;
      const t = ty * w + tx;
      sums[t * 3] = sums[t * 3]! + rgba[s]!;
      sums[t * 3 + 1] = sums[t * 3 + 1]! + rgba[s + 1]!;
      sums[t * 3 + 2] = sums[t * 3 + 2]! + rgba[s + 2]!;
      counts[t] = counts[t]! + 1;
    }
  }
  const data = new Uint8Array(w * h * 4);
  for (let t = 0; t < w * h; t++) {
    const n = counts[t] || 1;
    data[t * 4] = Math.round(sums[t * 3]! / n);
    data[t * 4 + 1] = Math.round(sums[t * 3 + 1]! / n);
    data[t * 4 + 2] = Math.round(sums[t * 3 + 2]! / n);
    data[t * 4 + 3] = 255;
  }
  return { data, width: w, height: h };
}

/** A {@link THUMB_SIZE} JPEG of RGBA pixels. */
function encodeThumb(
  picture: { data: Uint8Array; width: number; height: number },
): Uint8Array {
  const small = shrink(picture.data, picture.width, picture.height, THUMB_SIZE);
  // The decoded pixels (megabytes) are freed now rather than at V8's next
  // full collection: thousands of them in a row grew the process by ~100 MB.
  releaseBytes(picture.data);
  return new Uint8Array(jpeg.encode(small, 70).data);
}

/**
 * A {@link THUMB_SIZE} JPEG of a JPEG of `pixels`, or undefined if it cannot
 * decode (see the module doc for the two ways).
 */
function reencode(
  source: Uint8Array,
  pixels: { width: number; height: number },
): { bytes: Uint8Array; how: "decoded" | "eighth" } | undefined {
  if (Math.max(pixels.width, pixels.height) >= THUMB_SIZE * 8) {
    const picture = decodeDc(source);
    if (picture) return { bytes: encodeThumb(picture), how: "eighth" };
  }
  if (pixels.width * pixels.height > DECODE_MAX_PIXELS) return undefined;
  try {
    const picture = jpeg.decode(source, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: 200,
      maxMemoryUsageInMB: 1024,
    });
    return { bytes: encodeThumb(picture), how: "decoded" };
  } catch {
    return undefined; // one jpeg-js cannot decode (CMYK, damaged…): no tile
  }
}

async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(bytes);
  return buffer.subarray(0, await readFull(file, buffer));
}

/**
 * The thumbnail of a media file (see the module doc for the order).
 *
 * @param ext The file's extension, lower case.
 */
export async function makeThumbnail(
  path: string,
  ext: string,
  media: "photo" | "video",
): Promise<Thumbnail> {
  if (media === "video") return { kind: "none" };
  const size = (await Deno.stat(path)).size;
  const isJpeg = ext === "jpg" || ext === "jpeg";
  let rotate = 0;
  let head: Uint8Array | undefined;
  if (isJpeg) {
    // No bigger than the file: a small photo's head is the whole photo.
    head = await readHead(path, Math.min(HEAD_BYTES, size));
    const found = readExifThumbnail(head);
    rotate = found.rotate;
    if (found.thumbnail) {
      const pixels = pixelSize(found.thumbnail);
      const bytes = found.thumbnail.length <= DIRECT_MAX_BYTES
        ? found.thumbnail
        : pixels && reencode(found.thumbnail, pixels)?.bytes;
      if (bytes) return { kind: "jpeg", bytes, rotate, source: "exif" };
    }
  }
  if (BROWSER_IMAGES.has(ext) && size <= DIRECT_MAX_BYTES) {
    // The browser applies the EXIF orientation of the file itself.
    return { kind: "original", rotate: 0 };
  }
  if (isJpeg && size <= DECODE_MAX_BYTES && head) {
    const pixels = pixelSize(head);
    if (pixels) {
      const whole = head.length === size ? head : await Deno.readFile(path);
      const made = reencode(whole, pixels);
      if (made) {
        return { kind: "jpeg", bytes: made.bytes, rotate, source: made.how };
      }
    }
  }
  if (BROWSER_IMAGES.has(ext)) return { kind: "original", rotate: 0 };
  return { kind: "none" };
}
