/**
 * PNG header parsing and the XMP iTXt chunk ("XML:com.adobe.xmp").
 *
 * Like the JPEG writer, only the chunks before the first IDAT are rebuilt;
 * everything from the first IDAT to the end of the file is copied unchanged.
 * An existing uncompressed XMP chunk before IDAT is replaced in place (merged
 * with the XMP rules); otherwise ours goes right after IHDR. A compressed XMP
 * chunk, or one after the image data, is left alone (the caller falls back to
 * the sidecar).
 *
 * Pure: bytes in, bytes out.
 *
 * @module
 */

import {
  bytesEqual,
  concatBytes,
  decodeUtf8Strict,
  latin1,
  u32be,
  utf8,
} from "./_bytes.ts";
import {
  type PhotoMetadata,
  type PreparedFields,
  prepareFields,
} from "./fields.ts";
import { findOurDescription, fitXmpPacket, xmpFieldsFrom } from "./xmp.ts";

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
);

/** Keyword of the iTXt chunk that holds XMP. */
export const XMP_KEYWORD = "XML:com.adobe.xmp";

/** True when `bytes` starts with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytesEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG uses it. */
export function crc32(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk before the first IDAT. */
export interface PngChunk {
  type: string;
  /** Offset of the chunk's length field. */
  start: number;
  /** Offset of the data. */
  dataOffset: number;
  /** Data length. */
  length: number;
  /** Offset just past the CRC. */
  end: number;
}

/** Outcome of {@link parsePngHeader}. */
export type PngHeaderParse =
  | { kind: "ok"; chunks: PngChunk[]; tailOffset: number }
  | { kind: "need-more"; needBytes: number }
  | { kind: "invalid"; reason: string };

/**
 * Parses PNG chunks up to the first IDAT from a prefix of the file, checking
 * every CRC.
 */
export function parsePngHeader(
  prefix: Uint8Array,
  fileSize: number,
): PngHeaderParse {
  const available = Math.min(prefix.length, fileSize);
  const need = (end: number): PngHeaderParse =>
    end > fileSize
      ? { kind: "invalid", reason: "PNG header runs past the end of the file" }
      : { kind: "need-more", needBytes: end };
  if (available < 8) return need(8);
  if (!isPng(prefix)) {
    return { kind: "invalid", reason: "missing PNG signature" };
  }
  const chunks: PngChunk[] = [];
  let pos = 8;
  while (true) {
    if (pos + 8 > available) return need(pos + 8);
    const length = u32be(prefix, pos);
    const type = latin1(prefix, pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) {
      return { kind: "invalid", reason: `bad PNG chunk at offset ${pos}` };
    }
    if (chunks.length === 0 && type !== "IHDR") {
      return { kind: "invalid", reason: "PNG does not start with IHDR" };
    }
    if (type === "IDAT") return { kind: "ok", chunks, tailOffset: pos };
    if (type === "IEND") {
      return { kind: "invalid", reason: "PNG has no image data (IDAT)" };
    }
    const end = pos + 12 + length;
    if (end > available) return need(end);
    const crc = u32be(prefix, pos + 8 + length);
    if (crc !== crc32(prefix, pos + 4, pos + 8 + length)) {
      return { kind: "invalid", reason: `bad CRC in PNG chunk ${type}` };
    }
    chunks.push({ type, start: pos, dataOffset: pos + 8, length, end });
    pos = end;
  }
}

/** Builds a chunk with its length and CRC. */
export function buildChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 12);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Builds the iTXt chunk carrying an XMP packet. */
export function buildXmpChunk(packet: string): Uint8Array {
  return buildChunk(
    "iTXt",
    concatBytes([
      utf8(XMP_KEYWORD),
      // NUL, compression flag 0, method 0, empty language, NUL, empty
      // translated keyword, NUL.
      Uint8Array.of(0, 0, 0, 0, 0),
      utf8(packet),
    ]),
  );
}

/** What an iTXt chunk holds, when it is the XMP one. */
export type XmpChunkContent =
  | { kind: "xmp"; packet: string }
  | { kind: "unreadable"; reason: string }
  | { kind: "other" };

/** Reads an iTXt chunk as XMP. */
export function readXmpChunk(
  bytes: Uint8Array,
  chunk: PngChunk,
): XmpChunkContent {
  if (chunk.type !== "iTXt") return { kind: "other" };
  const data = bytes.subarray(
    chunk.dataOffset,
    chunk.dataOffset + chunk.length,
  );
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 0 || latin1(data, 0, keywordEnd) !== XMP_KEYWORD) {
    return { kind: "other" };
  }
  if (data[keywordEnd + 1] !== 0) {
    return { kind: "unreadable", reason: "the XMP chunk is compressed" };
  }
  let pos = keywordEnd + 3;
  const languageEnd = data.indexOf(0, pos);
  if (languageEnd < 0) return { kind: "unreadable", reason: "bad iTXt chunk" };
  pos = languageEnd + 1;
  const translatedEnd = data.indexOf(0, pos);
  if (translatedEnd < 0) {
    return { kind: "unreadable", reason: "bad iTXt chunk" };
  }
  const packet = decodeUtf8Strict(data.subarray(translatedEnd + 1));
  if (packet === undefined) {
    return { kind: "unreadable", reason: "the XMP chunk is not UTF-8" };
  }
  return { kind: "xmp", packet };
}

/** Result of {@link rebuildPngHeader}. */
export interface PngRebuild {
  /** The new header (chunks before the first IDAT). */
  header: Uint8Array;
  /** True when `header` differs from the input. */
  changed: boolean;
  /** The cleaned fields and resolved date. */
  fields: PreparedFields;
  /** "kept" means an existing XMP chunk was left alone for safety. */
  xmp: "written" | "unchanged" | "kept" | "none";
  /** Our rdf:Description as written, for verification. */
  xmpDescription?: string;
  /** Problems, each a sentence. */
  warnings: string[];
}

/**
 * Rebuilds `bytes[0, tailOffset)` of a PNG with our XMP. `tailHasXmp` says
 * whether an XMP chunk follows the image data (then nothing is changed).
 */
export function rebuildPngHeader(
  bytes: Uint8Array,
  chunks: readonly PngChunk[],
  tailOffset: number,
  meta: PhotoMetadata,
  tailHasXmp: boolean,
): PngRebuild {
  const { fields, warnings } = prepareFields(meta);
  const original = bytes.subarray(0, tailOffset);
  const keep = (
    xmp: PngRebuild["xmp"],
    warning?: string,
  ): PngRebuild => ({
    header: original,
    changed: false,
    fields,
    xmp,
    warnings: warning ? [...warnings, warning] : warnings,
  });
  if (tailHasXmp) {
    return keep(
      "kept",
      "Left the PNG's XMP untouched: it follows the image data",
    );
  }
  const xmpChunks: Array<{ chunk: PngChunk; packet: string }> = [];
  for (const chunk of chunks) {
    const content = readXmpChunk(bytes, chunk);
    if (content.kind === "unreadable") {
      return keep("kept", `Left the PNG's XMP untouched: ${content.reason}`);
    }
    if (content.kind === "xmp") {
      xmpChunks.push({ chunk, packet: content.packet });
    }
  }
  if (xmpChunks.length > 1) {
    return keep(
      "kept",
      "Left the PNG's XMP untouched: it has several XMP chunks",
    );
  }
  const existing = xmpChunks[0];
  const xmpFields = xmpFieldsFrom(fields);
  const hasValues = xmpFields.tags.length > 0 ||
    Object.keys(xmpFields).length > 1;
  if (!existing && !hasValues) return keep("none");
  const fit = fitXmpPacket(
    existing?.packet,
    xmpFields,
    Number.POSITIVE_INFINITY,
  );
  if (fit.kind === "failed") {
    return keep("kept", `Left the PNG's XMP untouched: ${fit.reason}`);
  }
  const chunk = buildXmpChunk(fit.packet);
  const description = findOurDescription(fit.packet);
  let header: Uint8Array;
  if (existing) {
    header = concatBytes([
      bytes.subarray(0, existing.chunk.start),
      chunk,
      bytes.subarray(existing.chunk.end, tailOffset),
    ]);
  } else {
    const ihdr = chunks[0]!;
    header = concatBytes([
      bytes.subarray(0, ihdr.end),
      chunk,
      bytes.subarray(ihdr.end, tailOffset),
    ]);
  }
  const changed = !bytesEqual(header, original);
  return {
    header: changed ? header : original,
    changed,
    fields,
    xmp: changed ? "written" : "unchanged",
    ...(description === undefined ? {} : { xmpDescription: description }),
    warnings: [...warnings, ...fit.warnings],
  };
}

/**
 * Checks a rebuilt PNG header read back from disk: the chunks parse with
 * good CRCs, it ends where the image data starts, and the XMP chunk holds our
 * description. `bytes` holds the header plus at least the next chunk's 8-byte
 * head. Returns undefined when all is well, else the problem.
 */
export function verifyPngHeader(
  bytes: Uint8Array,
  headerLength: number,
  fileSize: number,
  xmpDescription: string | undefined,
): string | undefined {
  const parsed = parsePngHeader(bytes, fileSize);
  if (parsed.kind !== "ok") {
    return `the new PNG header does not parse (${
      parsed.kind === "invalid" ? parsed.reason : "incomplete"
    })`;
  }
  if (parsed.tailOffset !== headerLength) {
    return "the new PNG header does not end where the image data starts";
  }
  if (xmpDescription !== undefined) {
    const found = parsed.chunks.map((c) => readXmpChunk(bytes, c)).find((c) =>
      c.kind === "xmp"
    );
    if (
      found?.kind !== "xmp" ||
      findOurDescription(found.packet) !== xmpDescription
    ) {
      return "the new PNG XMP does not hold our description";
    }
  }
  return undefined;
}
