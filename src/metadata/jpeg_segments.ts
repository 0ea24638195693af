/**
 * JPEG header parsing: the marker segments from SOI up to the first SOS.
 * Everything from the first SOS to the end of the file (scan data, EOI and
 * any trailer such as a motion-photo video) is opaque here and is copied
 * unchanged by the writer. Pure: bytes in, structure out.
 *
 * @module
 */

import { latin1, startsWithAt, u16be } from "./_bytes.ts";

/** Largest value of a segment length field (it counts its own two bytes). */
export const MAX_SEGMENT_LENGTH = 0xffff;
/** Largest payload of one segment (length field minus its two bytes). */
export const MAX_SEGMENT_PAYLOAD = MAX_SEGMENT_LENGTH - 2;

/** One marker segment before the first SOS. */
export interface JpegSegment {
  /** Second marker byte, e.g. 0xe1 for APP1. */
  marker: number;
  /** Offset where this segment's bytes start (fill bytes 0xFF included). */
  start: number;
  /** Offset of the 0xFF that introduces the marker itself. */
  markerOffset: number;
  /** Offset of the first payload byte (after the length field). */
  payloadOffset: number;
  /** Payload length (length field minus 2); 0 for SOI. */
  payloadLength: number;
  /** Offset just past the segment. */
  end: number;
}

/** A parsed JPEG header. */
export interface JpegHeader {
  /** SOI first, then every segment up to (not including) the first SOS. */
  segments: JpegSegment[];
  /** Offset where the first SOS segment starts: the tail copied verbatim. */
  tailOffset: number;
  /** The frame header (SOFn) marker, e.g. 0xc0 baseline, 0xc2 progressive. */
  frameMarker: number;
  /** Image width from the frame header. */
  width: number;
  /** Image height from the frame header. */
  height: number;
  /** Number of colour components from the frame header. */
  components: number;
}

/** Outcome of {@link parseJpegHeader}. */
export type JpegHeaderParse =
  | { kind: "ok"; header: JpegHeader }
  | { kind: "need-more"; needBytes: number }
  | { kind: "invalid"; reason: string };

/** True when `bytes` starts like a JPEG file (SOI then a marker). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
    marker !== 0xc8 && marker !== 0xcc;
}

function hex(marker: number): string {
  return `0xFF${marker.toString(16).toUpperCase().padStart(2, "0")}`;
}

/**
 * Parses the segments of a JPEG header from a prefix of the file.
 *
 * `prefix` holds the first bytes of the file and `fileSize` the whole
 * length. When the header runs past the prefix but not past the file, the
 * result asks for more bytes; a header that runs past the end of the file, a
 * missing SOI, a stray byte between segments, a marker that cannot appear
 * before the first scan, a bad length or a missing frame header is invalid.
 */
export function parseJpegHeader(
  prefix: Uint8Array,
  fileSize: number,
): JpegHeaderParse {
  const available = Math.min(prefix.length, fileSize);
  const need = (end: number): JpegHeaderParse =>
    end > fileSize
      ? {
        kind: "invalid",
        reason: `header runs past the end of the file (${fileSize} bytes)`,
      }
      : { kind: "need-more", needBytes: end };

  if (available < 2) return need(2);
  if (prefix[0] !== 0xff || prefix[1] !== 0xd8) {
    return { kind: "invalid", reason: "missing SOI marker" };
  }
  const segments: JpegSegment[] = [{
    marker: 0xd8,
    start: 0,
    markerOffset: 0,
    payloadOffset: 2,
    payloadLength: 0,
    end: 2,
  }];
  let frame: Omit<JpegHeader, "segments" | "tailOffset"> | undefined;
  let pos = 2;
  while (true) {
    const start = pos;
    if (pos >= available) return need(pos + 1);
    if (prefix[pos] !== 0xff) {
      return {
        kind: "invalid",
        reason: `unexpected byte 0x${
          prefix[pos]!.toString(16).padStart(2, "0")
        } at offset ${pos} (expected a marker)`,
      };
    }
    // Any number of 0xFF fill bytes may precede a marker.
    while (pos + 1 < available && prefix[pos + 1] === 0xff) pos++;
    if (pos + 1 >= available) return need(pos + 2);
    const marker = prefix[pos + 1]!;
    const markerOffset = pos;
    if (marker === 0xda) {
      if (!frame) {
        return { kind: "invalid", reason: "scan before any frame header" };
      }
      if (pos + 4 > available) return need(pos + 4);
      const length = u16be(prefix, pos + 2);
      if (length < 2) {
        return { kind: "invalid", reason: `SOS length ${length} is too small` };
      }
      if (markerOffset + 2 + length > fileSize) {
        return {
          kind: "invalid",
          reason: "SOS segment runs past the end of the file",
        };
      }
      return { kind: "ok", header: { segments, tailOffset: start, ...frame } };
    }
    if (
      marker === 0x00 || marker === 0x01 || marker === 0xd8 ||
      marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7)
    ) {
      return {
        kind: "invalid",
        reason: `marker ${hex(marker)} at offset ${pos} before the first scan`,
      };
    }
    if (pos + 4 > available) return need(pos + 4);
    const length = u16be(prefix, pos + 2);
    if (length < 2) {
      return {
        kind: "invalid",
        reason: `segment ${hex(marker)} at offset ${pos} has length ${length}`,
      };
    }
    const end = pos + 2 + length;
    if (end > available) {
      if (end > fileSize) {
        return {
          kind: "invalid",
          reason: `segment ${hex(marker)} at offset ${pos} runs past the ` +
            `end of the file`,
        };
      }
      return need(end);
    }
    if (isFrameMarker(marker)) {
      if (length < 8) {
        return { kind: "invalid", reason: "frame header is too short" };
      }
      frame = {
        frameMarker: marker,
        height: u16be(prefix, pos + 5),
        width: u16be(prefix, pos + 7),
        components: prefix[pos + 9]!,
      };
    }
    segments.push({
      marker,
      start,
      markerOffset,
      payloadOffset: pos + 4,
      payloadLength: length - 2,
      end,
    });
    pos = end;
  }
}

/** What an APPn segment holds, by its identifier. */
export type SegmentKind =
  | "soi"
  | "jfif"
  | "exif"
  | "xmp"
  | "xmp-extension"
  | "photoshop"
  | "icc"
  | "mpf"
  | "app"
  | "other";

const SIGNATURES: ReadonlyArray<[number, string, SegmentKind]> = [
  [0xe0, "JFIF\0", "jfif"],
  [0xe0, "JFXX\0", "jfif"],
  [0xe1, "Exif\0", "exif"],
  [0xe1, "http://ns.adobe.com/xap/1.0/\0", "xmp"],
  [0xe1, "http://ns.adobe.com/xmp/extension/\0", "xmp-extension"],
  [0xed, "Photoshop 3.0\0", "photoshop"],
  [0xe2, "ICC_PROFILE\0", "icc"],
  [0xe2, "MPF\0", "mpf"],
];

const SIGNATURE_BYTES = SIGNATURES.map(([marker, text, kind]) =>
  [marker, Uint8Array.from(text, (c) => c.charCodeAt(0)), kind] as const
);

/** Signature of an Exif APP1 payload. */
export const EXIF_SIGNATURE = "Exif\0\0";
/** Signature of a standard XMP APP1 payload. */
export const XMP_SIGNATURE = "http://ns.adobe.com/xap/1.0/\0";
/** Signature of a Photoshop IRB APP13 payload. */
export const PHOTOSHOP_SIGNATURE = "Photoshop 3.0\0";

/** Classifies a segment by marker and payload signature. */
export function classifySegment(
  bytes: Uint8Array,
  segment: JpegSegment,
): SegmentKind {
  if (segment.marker === 0xd8) return "soi";
  for (const [marker, signature, kind] of SIGNATURE_BYTES) {
    if (
      segment.marker === marker && segment.payloadLength >= signature.length &&
      startsWithAt(bytes, segment.payloadOffset, signature)
    ) {
      return kind;
    }
  }
  return segment.marker >= 0xe0 && segment.marker <= 0xef ? "app" : "other";
}

/** The payload bytes of a segment. */
export function segmentPayload(
  bytes: Uint8Array,
  segment: JpegSegment,
): Uint8Array {
  return bytes.subarray(
    segment.payloadOffset,
    segment.payloadOffset + segment.payloadLength,
  );
}

/**
 * Builds a complete marker segment (`FF marker length prefix payload`), in
 * one allocation. Throws when the payload does not fit in one segment.
 */
export function buildSegment(
  marker: number,
  payload: Uint8Array,
  prefix?: Uint8Array,
): Uint8Array {
  const size = (prefix?.length ?? 0) + payload.length;
  if (size > MAX_SEGMENT_PAYLOAD) {
    throw new RangeError(
      `Segment payload of ${size} bytes exceeds ${MAX_SEGMENT_PAYLOAD}`,
    );
  }
  const out = new Uint8Array(size + 4);
  out[0] = 0xff;
  out[1] = marker;
  out[2] = ((size + 2) >>> 8) & 0xff;
  out[3] = (size + 2) & 0xff;
  if (prefix) out.set(prefix, 4);
  out.set(payload, size + 4 - payload.length);
  return out;
}

/** JFIF density from an APP0 "JFIF" segment, if it states one. */
export function jfifDensity(
  bytes: Uint8Array,
  segment: JpegSegment,
): { unit: "inch" | "cm"; x: number; y: number } | undefined {
  if (segment.payloadLength < 12) return undefined;
  if (
    latin1(bytes, segment.payloadOffset, segment.payloadOffset + 5) !== "JFIF\0"
  ) {
    return undefined;
  }
  const units = bytes[segment.payloadOffset + 7];
  const x = u16be(bytes, segment.payloadOffset + 8);
  const y = u16be(bytes, segment.payloadOffset + 10);
  if ((units !== 1 && units !== 2) || x === 0 || y === 0) return undefined;
  return { unit: units === 1 ? "inch" : "cm", x, y };
}

/**
 * Shifts the image offsets of an APP2 MPF (multi-picture) segment by `delta`.
 *
 * MPF offsets are counted from the MP header inside the segment, so when the
 * bytes between that segment and the images after EOI grow or shrink, each
 * non-zero offset must move by the same amount. Returns the new payload (same
 * length), or undefined when the MPF structure is not understood.
 */
export function shiftMpfOffsets(
  payload: Uint8Array,
  delta: number,
): Uint8Array | undefined {
  const base = 4; // after "MPF\0"
  if (payload.length < base + 8) return undefined;
  const order = latin1(payload, base, base + 2);
  if (order !== "II" && order !== "MM") return undefined;
  const little = order === "II";
  const out = payload.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const r16 = (at: number) => view.getUint16(base + at, little);
  const r32 = (at: number) => view.getUint32(base + at, little);
  const size = payload.length - base;
  if (r16(2) !== 42) return undefined;
  const ifd = r32(4);
  if (ifd + 2 > size) return undefined;
  const count = r16(ifd);
  if (ifd + 2 + count * 12 > size) return undefined;
  let entries: { offset: number; count: number } | undefined;
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (r16(at) === 0xb002) {
      if (r16(at + 2) !== 7) return undefined;
      entries = { offset: r32(at + 8), count: r32(at + 4) };
    }
  }
  if (!entries) return undefined;
  if (entries.count % 16 !== 0 || entries.offset + entries.count > size) {
    return undefined;
  }
  for (let i = 0; i < entries.count / 16; i++) {
    const at = base + entries.offset + i * 16 + 8;
    const value = view.getUint32(at, little);
    if (value === 0) continue; // the first image (this file) has offset 0
    const shifted = value + delta;
    if (shifted <= 0 || shifted > 0xffffffff) return undefined;
    view.setUint32(at, shifted, little);
  }
  return out;
}
