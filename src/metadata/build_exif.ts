/**
 * Rebuilding EXIF after the camera's bytes ({@link build}): the original
 * TIFF bytes stay in place, then our signature, then new copies of only the
 * IFDs that change, with the TIFF header pointed at the new IFD0.
 *
 * @module
 */

import {
  type DataValue,
  emitIfd,
  Encoder,
  type OutEntry,
  type OutIfd,
  Sink,
} from "./emit_ifd.ts";
import type { Plan } from "./exif_plan.ts";
import {
  cameraEnd,
  PADDING_TAG,
  paddingCut,
  thumbnailCut,
} from "./padding_cut.ts";
import {
  type Entry,
  EXIF_SIGNATURE_BYTES,
  ExifFormatError,
  findEntry,
  type Ifd,
  IFD_NAMES,
  isValidType,
  LONG,
  type ParsedTiff,
  TAG,
} from "./tiff_reader.ts";

/** One sink for every build (each build is synchronous, none nested). */
const SINK = new Sink();

/** Facts about the image used when EXIF must be created from nothing. */
export interface NewExifContext {
  /** Image width from the frame header. */
  width: number;
  /** Image height from the frame header. */
  height: number;
  /** Colour components (1 grey, 3 YCbCr, 4 CMYK). */
  components: number;
  /** True when the file has an ICC profile (ColorSpace is then uncalibrated). */
  hasIccProfile: boolean;
  /** JFIF density, copied into X/YResolution when present. */
  density?: { unit: "inch" | "cm"; x: number; y: number };
}

/** Required IFD0 tags for a JPEG, for EXIF created from nothing. */
function newIfd0Values(
  enc: Encoder,
  ctx: NewExifContext,
): Map<number, DataValue> {
  const density = ctx.density;
  const unit = density?.unit === "cm" ? 3 : 2;
  const x = density?.x ?? 72;
  const y = density?.y ?? 72;
  return new Map([
    [TAG.XResolution, enc.rationals([[x, 1]])],
    [TAG.YResolution, enc.rationals([[y, 1]])],
    [TAG.ResolutionUnit, enc.shorts([unit])],
    [TAG.YCbCrPositioning, enc.shorts([1])],
  ]);
}

/** Required Exif IFD tags for a JPEG, for an Exif IFD created from nothing. */
function newExifIfdValues(
  enc: Encoder,
  ctx: NewExifContext,
): Map<number, DataValue> {
  const dim = (v: number) => v <= 0xffff ? enc.shorts([v]) : enc.longs([v]);
  return new Map([
    [TAG.ExifVersion, enc.undefinedBytes([0x30, 0x32, 0x33, 0x32])],
    [
      TAG.ComponentsConfiguration,
      enc.undefinedBytes(ctx.components === 1 ? [1, 0, 0, 0] : [1, 2, 3, 0]),
    ],
    [TAG.FlashpixVersion, enc.undefinedBytes([0x30, 0x31, 0x30, 0x30])],
    [TAG.ColorSpace, enc.shorts([ctx.hasIccProfile ? 0xffff : 1])],
    [TAG.PixelXDimension, dim(ctx.width)],
    [TAG.PixelYDimension, dim(ctx.height)],
  ]);
}

export interface BuildOptions {
  dropThumbnail: boolean;
  /** Write our IFDs over the zero padding at the end of the camera's bytes. */
  reclaimPadding: boolean;
}

/** Inserts `entry` before the first entry with a larger tag. */
function insertByTag(list: OutEntry[], entry: OutEntry): void {
  const at = list.findIndex((e) => e.tag > entry.tag);
  if (at < 0) list.push(entry);
  else list.splice(at, 0, entry);
}

/**
 * Rebuilds IFD0 (and the Exif/GPS IFDs when needed) after the base bytes.
 *
 * Long (about 200 lines) on purpose: its inner helpers (`carry`, `merge`,
 * `pointer`) share the parsed input, the dropped Padding entries and the byte
 * order, and the IFDs must be laid out in one pass; splitting it would mean
 * threading that state through every call.
 */
export function build(
  original: Uint8Array | undefined,
  parsed: ParsedTiff | undefined,
  plan: Plan,
  ctx: NewExifContext,
  options: BuildOptions,
): Uint8Array {
  const little = parsed ? parsed.reader.little : false;
  const enc = new Encoder(little);
  const sink = SINK;
  sink.reset();

  // 1. The base: the original bytes (up to a previous signature), or a bare
  //    header for EXIF created from nothing, then the signature.
  let keep = parsed ? cameraEnd(parsed) : 0;
  /** IFDs whose Padding block is reused: their Padding entry goes. */
  const dropped = new Set<Ifd>();
  if (parsed && options.dropThumbnail) {
    const cut = thumbnailCut(parsed);
    if (cut === undefined) {
      throw new ExifFormatError("thumbnail cannot be dropped");
    }
    keep = cut;
  } else if (parsed && options.reclaimPadding) {
    const cut = paddingCut(parsed);
    if (cut === undefined) throw new ExifFormatError("no padding to reclaim");
    keep = cut.cut;
    for (const { ifd } of cut.dropped) dropped.add(ifd);
  }
  if (original && parsed) {
    sink.write(original.subarray(0, keep));
  } else {
    sink.write(Uint8Array.of(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8));
  }
  sink.align();
  sink.write(EXIF_SIGNATURE_BYTES);

  // 2. New IFDs. Entries we do not own are copied verbatim, in their
  //    original order (a reader may give up on an IFD whose first entry is
  //    corrupt, so a corrupt entry must not become the first); ours replace
  //    theirs in place or go before the first entry with a larger tag.
  //    Values that live in a previous run's rebuilt area are copied along
  //    with their entry.
  const reader = parsed?.reader;
  const inRebuiltArea = (offset: number) =>
    parsed !== undefined && parsed.signed && offset >= parsed.baseEnd;
  const isIfd0Ref = (entry: Entry) =>
    reader !== undefined && entry.tag in IFD_NAMES && entry.count === 1 &&
    (entry.type === LONG || entry.type === 13) &&
    reader.u32(entry.fieldOffset) === parsed?.ifd0.offset;
  const carry = (entry: Entry): OutEntry => {
    if (!reader) throw new Error("unreachable");
    if (isIfd0Ref(entry)) {
      return { kind: "ifd0", tag: entry.tag, raw: entry.raw };
    }
    // Values of unknown type are never in the rebuilt area (we only write
    // known types there), so copying such entries verbatim is always right.
    const at = reader.valueOffset(entry);
    if (at !== undefined && inRebuiltArea(at)) {
      const data = reader.valueBytes(entry);
      if (!data) throw new ExifFormatError("value runs past the EXIF data");
      return {
        kind: "data",
        tag: entry.tag,
        value: { type: entry.type, count: entry.count, data },
      };
    }
    return { kind: "raw", tag: entry.tag, raw: entry.raw };
  };
  const merge = (
    ifd: Ifd | undefined,
    values: Map<number, DataValue>,
    replaced: Map<number, OutEntry | undefined> = new Map(),
  ): OutEntry[] => {
    const out: OutEntry[] = [];
    const placed = new Set<number>();
    for (const entry of ifd?.entries ?? []) {
      if (entry.tag === PADDING_TAG && ifd && dropped.has(ifd)) continue;
      const value = values.get(entry.tag);
      if (value !== undefined || replaced.has(entry.tag)) {
        if (placed.has(entry.tag)) continue;
        placed.add(entry.tag);
        const replacement: OutEntry | undefined = value !== undefined
          ? { kind: "data", tag: entry.tag, value }
          : replaced.get(entry.tag);
        if (replacement) out.push(replacement);
        continue;
      }
      out.push(carry(entry));
    }
    const rest: OutEntry[] = [];
    for (const [tag, value] of values) {
      if (!placed.has(tag)) rest.push({ kind: "data", tag, value });
    }
    for (const [tag, entry] of replaced) {
      if (!placed.has(tag) && entry) rest.push(entry);
    }
    rest.sort((a, b) => a.tag - b.tag);
    for (const entry of rest) insertByTag(out, entry);
    // A corrupt first entry makes readers skip the whole IFD (an earlier
    // version of this program could put one there): a valid one goes first.
    const valid = (e: OutEntry) =>
      e.kind !== "raw" ||
      isValidType(new DataView(e.raw.buffer, e.raw.byteOffset).getUint16(
        2,
        little,
      ));
    if (out.length > 0 && !valid(out[0]!)) {
      const at = out.findIndex(valid);
      if (at > 0) out.unshift(...out.splice(at, 1));
    }
    return out;
  };

  const rewriteSub = (ifd: Ifd | undefined, changes: Map<number, DataValue>) =>
    changes.size > 0 ||
    (ifd !== undefined &&
      (inRebuiltArea(ifd.offset) || ifd.entries.some(isIfd0Ref) ||
        dropped.has(ifd)));
  /** The pointer entry to a sub-IFD: rebuilt, or the original one. */
  const pointer = (
    parent: Ifd | undefined,
    tag: number,
    sub: Ifd | undefined,
    values: Map<number, DataValue>,
    extra: Map<number, DataValue> = new Map(),
  ): OutEntry | undefined => {
    if (rewriteSub(sub, values) || (!sub && extra.size > 0)) {
      const all = new Map(values);
      if (!sub) { for (const [t, v] of extra) all.set(t, v); }
      return { kind: "ifd", tag, ifd: { entries: merge(sub, all), next: 0 } };
    }
    const entry = findEntry(parent, tag);
    return entry ? carry(entry) : undefined;
  };

  const ifd0Values = new Map(plan.ifd0);
  if (!parsed) {
    for (const [tag, value] of newIfd0Values(enc, ctx)) {
      ifd0Values.set(tag, value);
    }
  }
  const exifPointer = pointer(
    parsed?.ifd0,
    TAG.ExifIfd,
    parsed?.exif,
    plan.exif,
    plan.exif.size > 0 ? newExifIfdValues(enc, ctx) : new Map(),
  );
  const gpsPointer = pointer(parsed?.ifd0, TAG.GpsIfd, parsed?.gps, plan.gps);
  const ifd0Entries = merge(
    parsed?.ifd0,
    ifd0Values,
    new Map([[TAG.ExifIfd, exifPointer], [TAG.GpsIfd, gpsPointer]]),
  );
  if (parsed?.exif) {
    const interop = findEntry(parsed.exif, TAG.InteropIfd);
    if (
      interop && !isIfd0Ref(interop) &&
      inRebuiltArea(parsed.reader.u32(interop.fieldOffset))
    ) {
      throw new ExifFormatError("InteropIFD lies in the rebuilt area");
    }
  }

  // IFD1 (the thumbnail's IFD) is rebuilt only when its own ExifIFD gets our
  // date, or when a previous run rebuilt it.
  let ifd1: OutIfd | undefined;
  let next = options.dropThumbnail || !parsed ? 0 : parsed.ifd0.next;
  if (next !== 0 && parsed?.ifd1) {
    const exif1 = parsed.exif1;
    if (
      rewriteSub(exif1, plan.exif1) || inRebuiltArea(parsed.ifd1.offset)
    ) {
      const exif1Pointer = pointer(parsed.ifd1, TAG.ExifIfd, exif1, plan.exif1);
      ifd1 = {
        entries: merge(
          parsed.ifd1,
          new Map(),
          new Map([[TAG.ExifIfd, exif1Pointer]]),
        ),
        next: inRebuiltArea(parsed.ifd1.next) ? 0 : parsed.ifd1.next,
      };
      next = 0;
    }
  }
  if (next !== 0 && inRebuiltArea(next)) {
    throw new ExifFormatError("IFD1 lies in the rebuilt area");
  }
  const ifd0At = emitIfd(sink, enc, { entries: ifd0Entries, next });
  if (ifd1) {
    const ifd1At = emitIfd(sink, enc, ifd1);
    sink.patchU32(ifd0At + 2 + ifd0Entries.length * 12, ifd1At, little);
  }
  sink.patchU32(4, ifd0At, little);
  for (const at of sink.ifd0Refs) sink.patchU32(at, ifd0At, little);
  return sink.bytes();
}
