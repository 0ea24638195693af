import {
  deepStrictEqual as assertEquals,
  notDeepStrictEqual as assertNotEquals,
  ok as assert,
} from "node:assert/strict";
import piexif from "piexifjs";
import { bytesEqual, latin1Bytes, toBinaryString } from "./_bytes.ts";
import {
  cameraExif,
  canonStyleExif,
  encodeJpeg,
} from "../../tests/helpers/media_builders.ts";
import type { NewExifContext } from "./build_exif.ts";
import { crossCheckWithPiexif } from "./cross_check_with_piexif.ts";
import type { ExifEdit } from "./exif_plan.ts";
import {
  type ExifMergeResult,
  MAX_EXIF_TIFF_BYTES,
  mergeExif,
} from "./merge_exif.ts";
import { readableTags } from "./readable_tags.ts";
import { listExifEntries, readExif } from "./read_exif.ts";
import { EXIF_SIGNATURE_BYTES, TAG } from "./tiff_reader.ts";
import {
  buildTiff,
  nikonPaddedJpeg,
  Order,
  sonyCorruptEntryJpeg,
} from "../../tests/metadata_corpus/camera_fixtures.ts";

const ctx: NewExifContext = {
  width: 64,
  height: 48,
  components: 3,
  hasIccProfile: false,
};

const edit: ExifEdit = {
  imageDescription: "Description — 日本語",
  artist: "Jane Doe",
  copyright: "© Jane Doe",
  xpTitle: "Title 🌅",
  xpComment: "Description — 日本語",
  xpKeywords: "a;b;京都",
  dateTimeOriginal: "2019:07:14 18:22:01",
  createDateIfAbsent: "2019:07:14 18:22:01",
  gps: { latitude: -33.856784, longitude: -151.215297 },
};

function changed(result: ExifMergeResult): Uint8Array {
  if (result.kind !== "changed") {
    throw new Error(`expected a change, got ${JSON.stringify(result)}`);
  }
  return result.tiff;
}

function entry(tiff: Uint8Array, ifd: string, tag: number) {
  return listExifEntries(tiff).find((e) => e.ifd === ifd && e.tag === tag);
}

function ucs2(bytes: Uint8Array): string {
  return new TextDecoder("utf-16le").decode(bytes).replace(/\0+$/, "");
}

Deno.test("mergeExif() creates EXIF with the tags a JPEG requires", () => {
  const tiff = changed(mergeExif(undefined, edit, ctx));
  const summary = readExif(tiff);
  assertEquals(summary.dateTimeOriginal, "2019:07:14 18:22:01");
  assertEquals(summary.createDate, "2019:07:14 18:22:01");
  assert(Math.abs(summary.gps!.latitude - edit.gps!.latitude) < 1e-6);
  assert(Math.abs(summary.gps!.longitude - edit.gps!.longitude) < 1e-6);
  const tags = listExifEntries(tiff).map((e) =>
    `${e.ifd}:${e.tag.toString(16)}`
  );
  for (
    const required of [
      "IFD0:11a",
      "IFD0:11b",
      "IFD0:128",
      "IFD0:213",
      "ExifIFD:9000",
      "ExifIFD:9101",
      "ExifIFD:a000",
      "ExifIFD:a001",
      "ExifIFD:a002",
      "ExifIFD:a003",
      "GPS:0",
    ]
  ) {
    assert(tags.includes(required), required);
  }
  assertEquals(crossCheckWithPiexif(undefined, tiff, edit), undefined);
});

Deno.test("mergeExif() writes XP tags as UTF-16LE, emoji as surrogate pairs", () => {
  const tiff = changed(mergeExif(undefined, edit, ctx));
  assertEquals(ucs2(entry(tiff, "IFD0", TAG.XPTitle)!.value!), "Title 🌅");
  assertEquals(ucs2(entry(tiff, "IFD0", TAG.XPKeywords)!.value!), "a;b;京都");
  // piexifjs, an independent reader, sees the same bytes.
  const dict = piexif.load("Exif\0\0" + toBinaryString(tiff));
  const xp = Uint8Array.from(dict["0th"][TAG.XPTitle] as number[]);
  assertEquals(ucs2(xp), "Title 🌅");
});

Deno.test("mergeExif() keeps every original byte in place, byte order included", () => {
  const original = canonStyleExif();
  const tiff = changed(mergeExif(original, edit, ctx));
  assertEquals(readExif(tiff).byteOrder, "II");
  // Everything but the IFD0 pointer (bytes 4..8) is unchanged and in place.
  assert(bytesEqual(tiff.subarray(0, 4), original.subarray(0, 4)));
  assert(bytesEqual(tiff.subarray(8, original.length), original.subarray(8)));
  // The MakerNote entry still points at the same bytes.
  const before = entry(original, "ExifIFD", TAG.MakerNote)!;
  const after = entry(tiff, "ExifIFD", TAG.MakerNote)!;
  assertEquals(after.valueOffset, before.valueOffset);
  assertEquals(after.value, before.value);
  // Every camera tag is still there with the same value.
  for (const e of listExifEntries(original)) {
    if (e.ifd === "ExifIFD" && e.tag === TAG.DateTimeOriginal) continue;
    if (e.tag === TAG.ExifIfd || e.tag === TAG.GpsIfd) continue; // pointers
    const kept = entry(tiff, e.ifd, e.tag);
    assert(kept, `${e.ifd} 0x${e.tag.toString(16)} kept`);
    assertEquals(kept.value, e.value);
  }
  assertEquals(readExif(tiff).make, "Canon");
  assertEquals(readExif(tiff).createDate, "2015:08:09 10:11:12");
  assertEquals(crossCheckWithPiexif(original, tiff, edit), undefined);
});

Deno.test("mergeExif() is idempotent and never grows on rewrites", () => {
  const original = canonStyleExif();
  const first = changed(mergeExif(original, edit, ctx));
  assertEquals(mergeExif(first, edit, ctx).kind, "unchanged");
  const other: ExifEdit = {
    ...edit,
    imageDescription: "Other",
    xpTitle: "Other title",
    dateTimeOriginal: "2001:02:03 04:05:06",
    gps: { latitude: 1, longitude: 2 },
  };
  const second = changed(mergeExif(first, other, ctx));
  assertNotEquals(second, first);
  // Back to the first values: the very same bytes as the first write.
  const third = changed(mergeExif(second, edit, ctx));
  assertEquals(third, first);
  // The signature sits right before the rebuilt IFD0.
  const ifd0 = new DataView(first.buffer, first.byteOffset).getUint32(4, true);
  assert(bytesEqual(first.subarray(ifd0 - 16, ifd0), EXIF_SIGNATURE_BYTES));
});

Deno.test("mergeExif() leaves equal values alone", () => {
  const original = cameraExif({ dateTimeOriginal: "2019:07:14 18:22:01" });
  assertEquals(
    mergeExif(original, { dateTimeOriginal: "2019:07:14 18:22:01" }, ctx).kind,
    "unchanged",
  );
  const withGps = changed(
    mergeExif(original, { gps: { latitude: 10, longitude: 20 } }, ctx),
  );
  assertEquals(
    mergeExif(withGps, { gps: { latitude: 10.0000004, longitude: 20 } }, ctx)
      .kind,
    "unchanged",
  );
});

Deno.test("mergeExif() adds CreateDate only when absent", () => {
  const original = cameraExif({ dateTimeOriginal: "2010:01:01 00:00:00" });
  const tiff = changed(mergeExif(original, edit, ctx));
  const summary = readExif(tiff);
  assertEquals(summary.dateTimeOriginal, "2019:07:14 18:22:01");
  assertEquals(summary.createDate, "2010:01:01 00:00:00");
});

Deno.test("mergeExif() keeps tags piexifjs does not know", () => {
  // piexifjs drops unknown tags on load; ours must survive a merge.
  const base = changed(mergeExif(undefined, { artist: "x" }, ctx));
  const withUnknown = addIfd0Entry(base, 0xfde8, 2, latin1Bytes("private!\0"));
  const tiff = changed(mergeExif(withUnknown, edit, ctx));
  const kept = entry(tiff, "IFD0", 0xfde8);
  assertEquals(kept?.value, latin1Bytes("private!\0"));
  // And a second rewrite (from the rebuilt area) still keeps it.
  const again = changed(mergeExif(tiff, { ...edit, artist: "y" }, ctx));
  assertEquals(entry(again, "IFD0", 0xfde8)?.value, latin1Bytes("private!\0"));
});

Deno.test("mergeExif() keeps only the short set when the APP1 would be full", () => {
  const big = cameraExif({ makerNote: new Uint8Array(60_000).fill(1) });
  const long: ExifEdit = {
    ...edit,
    imageDescription: "x".repeat(4000),
    xpComment: "y".repeat(4000),
  };
  const result = mergeExif(big, long, ctx);
  const tiff = changed(result);
  assert(tiff.length <= 65527);
  assert(result.warnings.some((w) => w.includes("keeps only the date")));
  assertEquals(entry(tiff, "IFD0", TAG.ImageDescription), undefined);
  assertEquals(readExif(tiff).dateTimeOriginal, edit.dateTimeOriginal);
  assertEquals(entry(tiff, "ExifIFD", TAG.MakerNote)?.value?.length, 60_000);
});

Deno.test("mergeExif() drops the thumbnail only when it is safe and needed", () => {
  const thumbnail = encodeJpeg({ width: 160, height: 120, noise: 6 });
  const original = cameraExif({ thumbnail });
  const full = changed(mergeExif(original, edit, ctx));
  // A budget that fits neither our fields nor the short set with the
  // thumbnail, but does without it.
  const max = full.length - thumbnail.length + 200;
  const result = mergeExif(original, edit, ctx, max);
  const tiff = changed(result);
  assert(tiff.length <= max);
  assert(result.warnings.some((w) => w.includes("thumbnail")));
  assertEquals(listExifEntries(tiff).some((e) => e.ifd === "IFD1"), false);
  // With a MakerNote the thumbnail is never dropped: EXIF is left alone.
  const withMakerNote = cameraExif({ thumbnail, makerNote: new Uint8Array(8) });
  const refused = mergeExif(withMakerNote, edit, ctx, max);
  assertEquals(refused.kind, "failed");
});

Deno.test("mergeExif() refuses malformed EXIF", () => {
  assertEquals(
    mergeExif(latin1Bytes("XX*\0\0\0\0\x08"), edit, ctx).kind,
    "failed",
  );
  const badOffset = canonStyleExif().slice();
  new DataView(badOffset.buffer).setUint32(4, 0xfffff, true);
  assertEquals(mergeExif(badOffset, edit, ctx).kind, "failed");
});

Deno.test("piexifjs dump would break a Canon MakerNote (why exif.ts does not use it)", () => {
  const original = canonStyleExif();
  const dict = piexif.load("Exif\0\0" + toBinaryString(original));
  dict["0th"][TAG.ImageDescription] = "x";
  const dumped = latin1Bytes(piexif.dump(dict) as string).subarray(6);
  assertEquals(readExif(dumped).byteOrder, "MM"); // byte order flipped
  const before = entry(original, "ExifIFD", TAG.MakerNote)!;
  const after = entry(dumped, "ExifIFD", TAG.MakerNote)!;
  // The MakerNote moved, so its absolute offsets now point elsewhere.
  assertNotEquals(after.valueOffset, before.valueOffset);
});

/** Adds an entry to IFD0 of a TIFF made by mergeExif (rebuilds IFD0 at the end). */
function addIfd0Entry(
  tiff: Uint8Array,
  tag: number,
  type: number,
  value: Uint8Array,
): Uint8Array {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49;
  const ifd0 = view.getUint32(4, little);
  const count = view.getUint16(ifd0, little);
  const valueAt = tiff.length + (tiff.length & 1);
  const tableAt = valueAt + value.length + (value.length & 1);
  const out = new Uint8Array(tableAt + 2 + (count + 1) * 12 + 4);
  out.set(tiff);
  out.set(value, valueAt);
  const w = new DataView(out.buffer);
  w.setUint16(tableAt, count + 1, little);
  out.set(tiff.subarray(ifd0 + 2, ifd0 + 2 + count * 12), tableAt + 2);
  const at = tableAt + 2 + count * 12;
  w.setUint16(at, tag, little);
  w.setUint16(at + 2, type, little);
  w.setUint32(at + 4, value.length, little);
  w.setUint32(at + 8, valueAt, little);
  w.setUint32(at + 12, view.getUint32(ifd0 + 2 + count * 12, little), little);
  w.setUint32(4, tableAt, little);
  return out;
}

Deno.test("readableTags() ignores an IFD whose first entry has a bad type, as ExifTool does", () => {
  const o = new Order(true);
  const corrupt = { tag: 0x0001, type: 0, count: 0, value: new Uint8Array(4) };
  const make = { tag: 0x010f, ...o.ascii("SONY") };
  const model = { tag: 0x0110, ...o.ascii("DSC-HX5V") };
  const first = readableTags(
    buildTiff(o, { entries: [corrupt, make, model] }),
  );
  assertEquals([...first.keys()], []);
  const third = readableTags(
    buildTiff(o, { entries: [make, model, corrupt] }),
  );
  assertEquals([...third.keys()], ["IFD0:0x010f", "IFD0:0x0110"]);
});

Deno.test("mergeExif() keeps a camera's IFD order: a corrupt entry never becomes the first", () => {
  const jpeg = sonyCorruptEntryJpeg();
  const tiff = jpeg.subarray(12, 12 + ((jpeg[4]! << 8) | jpeg[5]!) - 8);
  const out = changed(mergeExif(tiff, edit, ctx));
  const ifd0 = listExifEntries(out).filter((e) => e.ifd === "IFD0");
  assertNotEquals(ifd0[0]!.type, 0);
  const before = readableTags(tiff);
  const after = readableTags(out);
  for (const key of before.keys()) assert(after.has(key), key);
});

Deno.test("mergeExif() writes into a full 64 KiB Exif segment by reusing its zero padding", () => {
  const jpeg = nikonPaddedJpeg();
  const tiff = jpeg.subarray(12, 12 + ((jpeg[4]! << 8) | jpeg[5]!) - 8);
  assertEquals(tiff.length, MAX_EXIF_TIFF_BYTES);
  const out = changed(mergeExif(tiff, edit, ctx));
  assert(out.length <= MAX_EXIF_TIFF_BYTES);
  assertEquals(readExif(out).dateTimeOriginal, edit.dateTimeOriginal);
  assert(
    entry(out, "IFD0", TAG.ImageDescription),
    "all fields, not the short set",
  );
  // The camera's bytes up to the padding are unchanged, in place.
  const used = tiff.findLastIndex((b) => b !== 0) + 1;
  assert(bytesEqual(out.subarray(8, used), tiff.subarray(8, used)));
  // A second run finds nothing to change.
  assertEquals(mergeExif(out, edit, ctx).kind, "unchanged");
});
