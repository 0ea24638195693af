/**
 * Test-only builders for the metadata tests and benchmark: the JPEG
 * encoder (re-exported from ./jpeg.ts), camera EXIF (piexifjs and a hand-built
 * little-endian TIFF with a Canon-style MakerNote), PNG and MP4 files. No
 * binary fixtures are needed. Lives in tests/, so it is never compiled into
 * the binary.
 *
 * @module
 */

import piexif from "piexifjs";
import {
  concatBytes,
  latin1Bytes,
  toBinaryString,
  utf8,
} from "../../src/metadata/_bytes.ts";
import { buildSegment } from "../../src/metadata/jpeg_segments.ts";
import { buildChunk, PNG_SIGNATURE } from "../../src/metadata/png.ts";

import { encodeIfd, type IfdEntry, ifdSize, random } from "./jpeg.ts";

export {
  encodeJpeg,
  type JpegOptions as TestJpegOptions,
  random,
  writeLargeJpeg,
} from "./jpeg.ts";

/** Deterministic pseudo-random bytes. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const next = random(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

// ---------------------------------------------------------------------------
// Metadata segments.

/** An Exif APP1 segment around a TIFF block. */
export function exifSegment(tiff: Uint8Array): Uint8Array {
  return buildSegment(0xe1, concatBytes([latin1Bytes("Exif\0\0"), tiff]));
}

/** A standard XMP APP1 segment around a packet. */
export function xmpSegment(packet: string): Uint8Array {
  return buildSegment(
    0xe1,
    concatBytes([latin1Bytes("http://ns.adobe.com/xap/1.0/\0"), utf8(packet)]),
  );
}

/** Options for {@link cameraExif}. */
export interface CameraExifOptions {
  make?: string;
  model?: string;
  dateTimeOriginal?: string;
  /** A JPEG for IFD1. */
  thumbnail?: Uint8Array;
  /** MakerNote bytes. */
  makerNote?: Uint8Array;
  width?: number;
  height?: number;
}

/** Camera-like EXIF built with piexifjs (big-endian, as piexifjs writes). */
export function cameraExif(options: CameraExifOptions = {}): Uint8Array {
  const dto = options.dateTimeOriginal ?? "2016:05:04 13:14:15";
  const dict: Record<string, unknown> = {
    "0th": {
      271: options.make ?? "TestCam",
      272: options.model ?? "TC-1000",
      274: 1,
      282: [72, 1],
      283: [72, 1],
      296: 2,
      305: "TestCam Firmware 1.2",
      306: dto,
      531: 1,
    },
    "Exif": {
      33434: [1, 250],
      33437: [28, 10],
      34850: 2,
      34855: 200,
      36864: "0230",
      36867: dto,
      36868: dto,
      37121: "\x01\x02\x03\x00",
      37386: [50, 1],
      40960: "0100",
      40961: 1,
      40962: options.width ?? 64,
      40963: options.height ?? 48,
      ...(options.makerNote
        ? { 37500: toBinaryString(options.makerNote) }
        : {}),
    },
    "GPS": {},
    "1st": options.thumbnail
      ? { 259: 6, 282: [72, 1], 283: [72, 1], 296: 2 }
      : {},
    "thumbnail": options.thumbnail ? toBinaryString(options.thumbnail) : null,
  };
  return latin1Bytes(piexif.dump(dict) as string).subarray(6);
}

/**
 * A little-endian camera TIFF with a Canon-style MakerNote whose entries
 * point at their values with offsets counted from the TIFF header. Moving the
 * MakerNote (as a general EXIF re-serialiser does) breaks those offsets.
 */
export function canonStyleExif(): Uint8Array {
  const le16 = (v: number) => Uint8Array.of(v & 0xff, v >>> 8);
  const le32 = (v: number) =>
    Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const ascii = (s: string) => concatBytes([latin1Bytes(s), new Uint8Array(1)]);
  const rational = (n: number, d: number) => concatBytes([le32(n), le32(d)]);
  // Layout: header(8) | IFD0 | IFD0 values | ExifIFD | Exif values |
  //         MakerNote IFD | MakerNote values.
  const ifd0: IfdEntry[] = [
    { tag: 0x010f, type: 2, count: 6, value: ascii("Canon") },
    { tag: 0x0110, type: 2, count: 15, value: ascii("Canon EOS TEST") },
    { tag: 0x011a, type: 5, count: 1, value: rational(72, 1) },
    { tag: 0x011b, type: 5, count: 1, value: rational(72, 1) },
    { tag: 0x0128, type: 3, count: 1, value: le16(2) },
    { tag: 0x0213, type: 3, count: 1, value: le16(2) },
    { tag: 0x8769, type: 4, count: 1, value: le32(0) }, // set below
  ];
  const makerValues: IfdEntry[] = [
    { tag: 0x0006, type: 2, count: 21, value: ascii("Canon EOS TEST IMAGE") },
    { tag: 0x0007, type: 2, count: 15, value: ascii("Firmware 1.0.0") },
    { tag: 0x0009, type: 2, count: 11, value: ascii("Test Owner") },
  ];
  const maker: IfdEntry = {
    tag: 0x927c,
    type: 7,
    count: 0,
    value: new Uint8Array(0),
    at: 0,
  };
  const exifIfd: IfdEntry[] = [
    { tag: 0x829a, type: 5, count: 1, value: rational(1, 125) },
    { tag: 0x829d, type: 5, count: 1, value: rational(56, 10) },
    { tag: 0x8827, type: 3, count: 1, value: le16(400) },
    { tag: 0x9000, type: 7, count: 4, value: latin1Bytes("0231") },
    { tag: 0x9003, type: 2, count: 20, value: ascii("2015:08:09 10:11:12") },
    { tag: 0x9004, type: 2, count: 20, value: ascii("2015:08:09 10:11:12") },
    { tag: 0x9101, type: 7, count: 4, value: Uint8Array.of(1, 2, 3, 0) },
    maker, // the MakerNote IFD, written after the Exif IFD
    { tag: 0xa000, type: 7, count: 4, value: latin1Bytes("0100") },
    { tag: 0xa001, type: 3, count: 1, value: le16(1) },
    { tag: 0xa002, type: 3, count: 1, value: le16(64) },
    { tag: 0xa003, type: 3, count: 1, value: le16(48) },
  ];
  const exifAt = 8 + ifdSize(ifd0);
  ifd0[6]!.value = le32(exifAt);
  // The MakerNote: its own IFD and values, offsets from the TIFF start.
  maker.at = exifAt + ifdSize(exifIfd);
  maker.count = ifdSize(makerValues);
  return concatBytes([
    latin1Bytes("II"),
    le16(42),
    le32(8),
    encodeIfd(ifd0, 8),
    encodeIfd(exifIfd, exifAt),
    encodeIfd(makerValues, maker.at),
  ]);
}

/**
 * An APP2 MPF segment describing this image (`firstSize` bytes) plus a
 * second JPEG of `secondSize` bytes at `secondOffsetFromMpHeader`, counted
 * from the MP header (8 bytes into this segment: marker, length, "MPF\0").
 */
export function mpfSegment(
  firstSize: number,
  secondSize: number,
  secondOffsetFromMpHeader: number,
): Uint8Array {
  const le16 = (v: number) => Uint8Array.of(v & 0xff, v >>> 8);
  const le32 = (v: number) =>
    Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  // MP header (offsets count from here): II*\0, IFD at 8.
  const count = 3;
  const ifdSize = 2 + count * 12 + 4;
  const entriesAt = 8 + ifdSize;
  const entry = (attr: number, size: number, offset: number) =>
    concatBytes([le32(attr), le32(size), le32(offset), le16(0), le16(0)]);
  const mp = concatBytes([
    latin1Bytes("II*\0"),
    le32(8),
    le16(count),
    le16(0xb000),
    le16(7),
    le32(4),
    latin1Bytes("0100"),
    le16(0xb001),
    le16(4),
    le32(1),
    le32(2),
    le16(0xb002),
    le16(7),
    le32(32),
    le32(entriesAt),
    le32(0),
    entry(0x030000, firstSize, 0),
    entry(0x010002, secondSize, secondOffsetFromMpHeader),
  ]);
  return buildSegment(0xe2, concatBytes([latin1Bytes("MPF\0"), mp]));
}

// ---------------------------------------------------------------------------
// PNG and MP4.

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Wraps bytes in a zlib stream of stored (uncompressed) deflate blocks. */
function zlibStored(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x78, 0x01)];
  for (let at = 0; at < data.length || at === 0; at += 65535) {
    const block = data.subarray(at, at + 65535);
    const final = at + 65535 >= data.length ? 1 : 0;
    parts.push(
      Uint8Array.of(
        final,
        block.length & 0xff,
        block.length >>> 8,
        ~block.length & 0xff,
        (~block.length >>> 8) & 0xff,
      ),
      block,
    );
    if (data.length === 0) break;
  }
  const sum = adler32(data);
  parts.push(
    Uint8Array.of(
      sum >>> 24,
      (sum >>> 16) & 0xff,
      (sum >>> 8) & 0xff,
      sum & 0xff,
    ),
  );
  return concatBytes(parts);
}

/** A valid RGB PNG with a gradient, optionally with extra chunks. */
export function encodePng(
  width: number,
  height: number,
  extraChunks: Uint8Array[] = [],
): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 255) / Math.max(1, width - 1);
      raw[row + 2 + x * 3] = (y * 255) / Math.max(1, height - 1);
      raw[row + 3 + x * 3] = 128;
    }
  }
  return concatBytes([
    PNG_SIGNATURE,
    buildChunk("IHDR", ihdr),
    ...extraChunks,
    buildChunk("IDAT", zlibStored(raw)),
    buildChunk("IEND", new Uint8Array(0)),
  ]);
}

/** A minimal MP4-shaped file (ftyp + mdat of random bytes). */
export function fakeMp4(size = 4096): Uint8Array {
  const ftyp = concatBytes([
    Uint8Array.of(0, 0, 0, 24),
    latin1Bytes("ftypisom"),
    Uint8Array.of(0, 0, 2, 0),
    latin1Bytes("isomiso2"),
  ]);
  const body = randomBytes(size, 99);
  const mdat = concatBytes([
    Uint8Array.of(
      (body.length + 8) >>> 24,
      ((body.length + 8) >>> 16) & 0xff,
      ((body.length + 8) >>> 8) & 0xff,
      (body.length + 8) & 0xff,
    ),
    latin1Bytes("mdat"),
    body,
  ]);
  return concatBytes([ftyp, mdat]);
}
