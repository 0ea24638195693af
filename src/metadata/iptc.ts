/**
 * IPTC IIM datasets inside a Photoshop image resource block (JPEG APP13
 * "Photoshop 3.0\0", resource 0x0404).
 *
 * Rules:
 * - Text is UTF-8, declared by CodedCharacterSet 1:90 = ESC % G.
 * - IIM maximum lengths are respected (ObjectName 64 bytes, Keywords 64
 *   each, By-line 32, CopyrightNotice 128, Caption-Abstract 2000), cutting on
 *   a UTF-8 boundary; the sidecars keep the full text.
 * - Datasets we do not own are kept; a dataset we write replaces all earlier
 *   instances of itself. Kept text written without a character set is read
 *   as Windows-1252 (as ExifTool does) and converted to UTF-8. Text in another
 *   declared character set is not merged: IPTC is then left untouched.
 * - Other Photoshop resources are kept byte for byte, and the IPTC digest
 *   (0x0425) is updated (or added), as Photoshop and ExifTool do.
 *
 * Pure: bytes in, bytes out.
 *
 * @module
 */

import { latin1, u16be, u32be, utf8 } from "./_bytes.ts";
import { limitText, type PreparedFields } from "./fields.ts";
import { md5 } from "./md5.ts";

/** CodedCharacterSet value that declares UTF-8. */
const UTF8_CHARSET = Uint8Array.of(0x1b, 0x25, 0x47);
/** Photoshop resource holding IPTC-NAA data. */
const IPTC_RESOURCE = 0x0404;
/** Photoshop resource holding the MD5 of the IPTC data. */
const IPTC_DIGEST_RESOURCE = 0x0425;

/** IIM record and dataset numbers we write. */
export const DATASET = {
  EnvelopeRecordVersion: [1, 0],
  CodedCharacterSet: [1, 90],
  ApplicationRecordVersion: [2, 0],
  ObjectName: [2, 5],
  Keywords: [2, 25],
  DateCreated: [2, 55],
  Byline: [2, 80],
  CopyrightNotice: [2, 116],
  CaptionAbstract: [2, 120],
} as const;

/** IIM maximum lengths in bytes. */
export const IIM_LIMITS = {
  ObjectName: 64,
  Keywords: 64,
  Byline: 32,
  CopyrightNotice: 128,
  CaptionAbstract: 2000,
} as const;

/** One IIM dataset. */
export interface Dataset {
  record: number;
  dataset: number;
  data: Uint8Array;
}

/** Malformed IIM or Photoshop resource data. */
export class IptcFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IptcFormatError";
  }
}

/** Parses IIM datasets. Trailing NUL padding is tolerated. */
export function parseIim(bytes: Uint8Array): Dataset[] {
  const out: Dataset[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0x1c) {
      if (bytes.subarray(pos).every((b) => b === 0)) break;
      throw new IptcFormatError(`bad IIM tag marker at offset ${pos}`);
    }
    if (pos + 5 > bytes.length) throw new IptcFormatError("truncated IIM tag");
    const record = bytes[pos + 1]!;
    const dataset = bytes[pos + 2]!;
    let length = u16be(bytes, pos + 3);
    pos += 5;
    if (length & 0x8000) {
      const n = length & 0x7fff;
      if (n > 4 || pos + n > bytes.length) {
        throw new IptcFormatError("bad extended IIM length");
      }
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[pos + i]!;
      pos += n;
    }
    if (pos + length > bytes.length) {
      throw new IptcFormatError(
        `IIM dataset ${record}:${dataset} is truncated`,
      );
    }
    out.push({ record, dataset, data: bytes.subarray(pos, pos + length) });
    pos += length;
  }
  return out;
}

/** Serialises IIM datasets (into one array: small ones are costly). */
export function serializeIim(datasets: readonly Dataset[]): Uint8Array {
  let total = 0;
  for (const { data } of datasets) {
    total += (data.length < 0x8000 ? 5 : 9) + data.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const { record, dataset, data } of datasets) {
    const len = data.length;
    out[at] = 0x1c;
    out[at + 1] = record;
    out[at + 2] = dataset;
    if (len < 0x8000) {
      out[at + 3] = len >>> 8;
      out[at + 4] = len & 0xff;
      at += 5;
    } else {
      out[at + 3] = 0x80;
      out[at + 4] = 4;
      out[at + 5] = (len >>> 24) & 0xff;
      out[at + 6] = (len >>> 16) & 0xff;
      out[at + 7] = (len >>> 8) & 0xff;
      out[at + 8] = len & 0xff;
      at += 9;
    }
    out.set(data, at);
    at += len;
  }
  return out;
}

/** Record 1 and 2 datasets that hold binary values, not text. */
const BINARY_DATASETS = new Set([
  "1:0",
  "1:20",
  "1:22",
  "1:90",
  "2:0",
  "2:125",
  "2:200",
  "2:201",
  "2:202",
]);

function isText(d: Dataset): boolean {
  return (d.record === 1 || d.record === 2) &&
    !BINARY_DATASETS.has(`${d.record}:${d.dataset}`);
}

/** Values we write, already limited to the IIM lengths. */
export interface IptcValues {
  objectName?: string;
  keywords: string[];
  /** "YYYYMMDD" with "00" for unknown parts. */
  dateCreated?: string;
  byline?: string;
  copyrightNotice?: string;
  caption?: string;
}

/** Maps prepared fields to IPTC values, cutting to IIM limits. */
export function iptcValuesFrom(
  fields: PreparedFields,
  warnings: string[],
): IptcValues {
  const values: IptcValues = { keywords: [] };
  if (fields.title !== undefined) {
    values.objectName = limitText(
      fields.title,
      IIM_LIMITS.ObjectName,
      "IPTC ObjectName",
      warnings,
    );
  }
  for (const tag of fields.tags) {
    values.keywords.push(
      limitText(tag, IIM_LIMITS.Keywords, "an IPTC keyword", warnings),
    );
  }
  if (fields.date.iptcDate !== undefined) {
    values.dateCreated = fields.date.iptcDate;
  }
  if (fields.creator !== undefined) {
    values.byline = limitText(
      fields.creator,
      IIM_LIMITS.Byline,
      "IPTC By-line",
      warnings,
    );
  }
  if (fields.rights !== undefined) {
    values.copyrightNotice = limitText(
      fields.rights,
      IIM_LIMITS.CopyrightNotice,
      "IPTC CopyrightNotice",
      warnings,
    );
  }
  if (fields.description !== undefined) {
    values.caption = limitText(
      fields.description,
      IIM_LIMITS.CaptionAbstract,
      "IPTC Caption-Abstract",
      warnings,
    );
  }
  return values;
}

function key(record: number, dataset: number): string {
  return `${record}:${dataset}`;
}

/**
 * Builds the IIM block: existing datasets (if any) merged with `values`.
 * Throws {@link IptcFormatError} when existing text cannot be re-encoded.
 */
export function buildIim(
  values: IptcValues,
  existing?: Uint8Array,
): Uint8Array {
  const ours: Dataset[] = [];
  const text = (record: number, dataset: number, value: string) =>
    ours.push({ record, dataset, data: utf8(value) });
  if (values.objectName !== undefined) text(2, 5, values.objectName);
  for (const keyword of values.keywords) text(2, 25, keyword);
  if (values.dateCreated !== undefined) text(2, 55, values.dateCreated);
  if (values.byline !== undefined) text(2, 80, values.byline);
  if (values.copyrightNotice !== undefined) {
    text(2, 116, values.copyrightNotice);
  }
  if (values.caption !== undefined) text(2, 120, values.caption);
  const replaced = new Set(ours.map((d) => key(d.record, d.dataset)));

  const kept: Dataset[] = [];
  const old = existing ? parseIim(existing) : [];
  const charset = old.find((d) => d.record === 1 && d.dataset === 90);
  const isUtf8 = charset !== undefined &&
    charset.data.length === 3 &&
    charset.data.every((b, i) => b === UTF8_CHARSET[i]);
  for (const d of old) {
    const k = key(d.record, d.dataset);
    if (replaced.has(k) || k === "1:90") continue;
    if (!isUtf8 && isText(d) && d.data.some((b) => b >= 0x80)) {
      if (charset !== undefined) {
        throw new IptcFormatError(
          "existing IPTC text uses a character set other than UTF-8",
        );
      }
      const decoded = new TextDecoder("windows-1252").decode(d.data);
      kept.push({ ...d, data: utf8(decoded) });
      continue;
    }
    kept.push(d);
  }
  const has = (k: string) => kept.some((d) => key(d.record, d.dataset) === k);
  const version = Uint8Array.of(0, 4);
  if (!has("1:0")) kept.push({ record: 1, dataset: 0, data: version });
  kept.push({ record: 1, dataset: 90, data: UTF8_CHARSET });
  if (!has("2:0")) kept.push({ record: 2, dataset: 0, data: version });
  // Stable sort by record, then dataset: repeated datasets keep their order.
  const all = [...kept, ...ours].map((d, i) => ({ d, i }));
  all.sort((a, b) =>
    a.d.record - b.d.record || a.d.dataset - b.d.dataset || a.i - b.i
  );
  return serializeIim(all.map(({ d }) => d));
}

/** One Photoshop image resource. */
export interface PhotoshopResource {
  /** "8BIM", or a rare alternative signature. */
  signature: string;
  id: number;
  /** Pascal name bytes including the length byte and padding. */
  name: Uint8Array;
  data: Uint8Array;
}

/** Parses Photoshop image resource blocks. */
export function parsePhotoshopResources(
  bytes: Uint8Array,
): PhotoshopResource[] {
  const out: PhotoshopResource[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 12) {
      if (bytes.subarray(pos).every((b) => b === 0)) break;
      throw new IptcFormatError("truncated Photoshop resource");
    }
    const signature = latin1(bytes, pos, pos + 4);
    if (!/^(8BIM|PHUT|DCSR|AgHg|MeSa)$/.test(signature)) {
      throw new IptcFormatError(`bad Photoshop resource signature at ${pos}`);
    }
    const id = u16be(bytes, pos + 4);
    const nameLength = bytes[pos + 6]!;
    const nameSize = (nameLength + 2) & ~1; // length byte + name, even
    const sizeAt = pos + 6 + nameSize;
    if (sizeAt + 4 > bytes.length) {
      throw new IptcFormatError("truncated Photoshop resource");
    }
    const size = u32be(bytes, sizeAt);
    const dataAt = sizeAt + 4;
    if (dataAt + size > bytes.length) {
      throw new IptcFormatError(
        `Photoshop resource 0x${id.toString(16)} is truncated`,
      );
    }
    out.push({
      signature,
      id,
      name: bytes.subarray(pos + 6, sizeAt),
      data: bytes.subarray(dataAt, dataAt + size),
    });
    pos = dataAt + size + (size & 1);
  }
  return out;
}

/** Serialises Photoshop image resource blocks (into one array). */
export function serializePhotoshopResources(
  resources: readonly PhotoshopResource[],
): Uint8Array {
  let total = 0;
  for (const r of resources) {
    const size = r.data.length;
    total += 4 + 2 + r.name.length + 4 + size + (size & 1);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of resources) {
    const size = r.data.length;
    for (let i = 0; i < 4; i++) out[at + i] = r.signature.charCodeAt(i);
    out[at + 4] = r.id >>> 8;
    out[at + 5] = r.id & 0xff;
    out.set(r.name, at + 6);
    at += 6 + r.name.length;
    out[at] = size >>> 24;
    out[at + 1] = (size >>> 16) & 0xff;
    out[at + 2] = (size >>> 8) & 0xff;
    out[at + 3] = size & 0xff;
    out.set(r.data, at + 4);
    at += 4 + size + (size & 1); // odd sizes: one zero byte of padding
  }
  return out;
}

const EMPTY_NAME = Uint8Array.of(0, 0);

/**
 * Returns new Photoshop resource bytes: `existing` with the IPTC resource
 * replaced by `iim` (added when missing) and the IPTC digest updated.
 */
export function mergePhotoshopIptc(
  existing: Uint8Array | undefined,
  iim: Uint8Array,
): Uint8Array {
  const resources = existing ? parsePhotoshopResources(existing) : [];
  const digest = md5(iim);
  const out: PhotoshopResource[] = [];
  let placedIptc = false;
  let placedDigest = false;
  for (const r of resources) {
    if (r.signature === "8BIM" && r.id === IPTC_RESOURCE) {
      if (!placedIptc) out.push({ ...r, data: iim });
      placedIptc = true;
    } else if (r.signature === "8BIM" && r.id === IPTC_DIGEST_RESOURCE) {
      if (!placedDigest) out.push({ ...r, data: digest });
      placedDigest = true;
    } else {
      out.push(r);
    }
  }
  if (!placedIptc) {
    out.push({
      signature: "8BIM",
      id: IPTC_RESOURCE,
      name: EMPTY_NAME,
      data: iim,
    });
  }
  if (!placedDigest) {
    out.push({
      signature: "8BIM",
      id: IPTC_DIGEST_RESOURCE,
      name: EMPTY_NAME,
      data: digest,
    });
  }
  return serializePhotoshopResources(out);
}

/** Returns the IIM bytes of a Photoshop resource block, if any. */
export function findIim(resources: Uint8Array): Uint8Array | undefined {
  return parsePhotoshopResources(resources).find((r) =>
    r.signature === "8BIM" && r.id === IPTC_RESOURCE
  )?.data;
}
