/**
 * The per-photo fast paths of the metadata writers (issue 16) give exactly
 * what a plain reference gives: each test keeps the straightforward version
 * (DataView, TextEncoder, `node:crypto`, concatenation of small arrays) and
 * compares on many varied inputs, both byte orders, edge sizes included.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  concatBytes,
  toBinaryString,
  truncateUtf8,
  utf8,
  utf8WithNul,
} from "./_bytes.ts";
import { cleanText } from "./fields.ts";
import { mergeExif } from "./merge_exif.ts";
import { readDateTimeOriginal, readExif } from "./read_exif.ts";
import { crossCheckWithPiexif } from "./cross_check_with_piexif.ts";
import { type DataValue, Encoder } from "./emit_ifd.ts";
import {
  type Dataset,
  type PhotoshopResource,
  serializeIim,
  serializePhotoshopResources,
} from "./iptc.ts";
import { buildSegment } from "./jpeg_segments.ts";
import { md5 } from "./md5.ts";
import { concat, encodeIfd } from "../../tests/helpers/jpeg.ts";
import {
  cameraExif,
  canonStyleExif,
} from "../../tests/helpers/media_builders.ts";

/** A seeded generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

const TEXTS = [
  "",
  "a",
  "IMG_00123",
  "© Big Account, CC BY-SA 2.0",
  "Sunset over Kyoto — 夕焼け",
  "emoji 📷 and a lone surrogate \ud800 end",
  "with\0nul\0bytes",
  "x".repeat(256),
  "y".repeat(257),
  "é".repeat(300),
  "ascii then é",
];

Deno.test("md5() is node:crypto's MD5 for every length 0..300 and large inputs", () => {
  const next = rng(5);
  const lengths = [...Array(301).keys(), 1000, 4095, 65_536, 100_003];
  for (const length of lengths) {
    const bytes = randomBytes(next, length);
    const want = new Uint8Array(createHash("md5").update(bytes).digest());
    assertEquals(md5(bytes), want, `length ${length}`);
  }
  // A view into a larger buffer digests only its own bytes.
  const big = randomBytes(next, 500);
  const view = big.subarray(17, 333);
  assertEquals(
    md5(view),
    new Uint8Array(createHash("md5").update(view).digest()),
  );
});

Deno.test("toBinaryString() maps each byte to one char of that code", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const reference = (bytes: Uint8Array) =>
    Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  assertEquals(toBinaryString(all), reference(all));
  const next = rng(9);
  for (const length of [0, 1, 2, 100, 70_000]) {
    const bytes = randomBytes(next, length + 20);
    const view = bytes.subarray(7, 7 + length);
    assertEquals(toBinaryString(view), reference(view));
  }
});

Deno.test("utf8WithNul() is TextEncoder's UTF-8 plus one NUL", () => {
  for (const text of TEXTS) {
    assertEquals(
      utf8WithNul(text),
      concatBytes([new TextEncoder().encode(text), Uint8Array.of(0)]),
      JSON.stringify(text),
    );
  }
});

/** The Encoder as it was: DataView writes, arrays joined. */
function referenceEncoder(little: boolean) {
  const u16 = (v: number) => {
    const out = new Uint8Array(2);
    new DataView(out.buffer).setUint16(0, v, little);
    return out;
  };
  const u32 = (v: number) => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, v, little);
    return out;
  };
  return {
    ascii: (text: string): DataValue => {
      const data = concatBytes([
        utf8(text.replaceAll("\0", "")),
        new Uint8Array(1),
      ]);
      return { type: 2, count: data.length, data };
    },
    shorts: (values: number[]): DataValue => ({
      type: 3,
      count: values.length,
      data: concatBytes(values.map(u16)),
    }),
    longs: (values: number[]): DataValue => ({
      type: 4,
      count: values.length,
      data: concatBytes(values.map(u32)),
    }),
    rationals: (values: Array<[number, number]>): DataValue => ({
      type: 5,
      count: values.length,
      data: concatBytes(values.flatMap(([n, d]) => [u32(n), u32(d)])),
    }),
  };
}

Deno.test("Encoder writes what DataView writes, in both byte orders", () => {
  const next = rng(13);
  const u32 = () => Math.floor(next() * 2 ** 32);
  const edges = [0, 1, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];
  for (const little of [true, false]) {
    const enc = new Encoder(little);
    const ref = referenceEncoder(little);
    for (const text of TEXTS) {
      assertEquals(enc.ascii(text), ref.ascii(text), JSON.stringify(text));
    }
    for (let round = 0; round < 50; round++) {
      const count = 1 + Math.floor(next() * 5);
      const shorts = Array.from(
        { length: count },
        () => Math.floor(next() * 0x10000),
      );
      const longs = [...Array.from({ length: count }, u32), ...edges];
      const rationals = longs.map((n): [number, number] => [n, u32()]);
      assertEquals(enc.shorts(shorts), ref.shorts(shorts));
      assertEquals(enc.longs(longs), ref.longs(longs));
      assertEquals(enc.rationals(rationals), ref.rationals(rationals));
    }
    assertEquals(enc.shorts([0xffff, 0]), ref.shorts([0xffff, 0]));
  }
});

Deno.test("serializeIim() and serializePhotoshopResources() write what joining the parts writes", () => {
  const next = rng(17);
  const be = (value: number, size: number) =>
    Uint8Array.from(
      { length: size },
      (_, i) => (value >>> (8 * (size - 1 - i))) & 0xff,
    );
  const iimReference = (datasets: Dataset[]) =>
    concatBytes(datasets.flatMap(({ record, dataset, data }) => [
      Uint8Array.of(0x1c, record, dataset),
      data.length < 0x8000
        ? be(data.length, 2)
        : concatBytes([Uint8Array.of(0x80, 4), be(data.length, 4)]),
      data,
    ]));
  const psReference = (resources: PhotoshopResource[]) =>
    concatBytes(resources.flatMap((r) => [
      Uint8Array.from(r.signature, (c) => c.charCodeAt(0)),
      be(r.id, 2),
      r.name,
      be(r.data.length, 4),
      r.data,
      new Uint8Array(r.data.length & 1),
    ]));
  for (let round = 0; round < 40; round++) {
    const sizes = [0, 1, 2, 63, 64, 0x7fff, 0x8000, 70_001];
    const datasets: Dataset[] = Array.from(
      { length: Math.floor(next() * 6) },
      () => ({
        record: 1 + Math.floor(next() * 2),
        dataset: Math.floor(next() * 256),
        data: randomBytes(
          next,
          round % 10 === 0
            ? sizes[Math.floor(next() * sizes.length)]!
            : Math.floor(next() * 80),
        ),
      }),
    );
    assertEquals(serializeIim(datasets), iimReference(datasets));
    const signatures = ["8BIM", "PHUT", "MeSa"];
    const resources: PhotoshopResource[] = Array.from(
      { length: Math.floor(next() * 5) },
      () => {
        const nameLength = Math.floor(next() * 5);
        return {
          signature: signatures[Math.floor(next() * 3)]!,
          id: Math.floor(next() * 0x10000),
          name: concatBytes([
            Uint8Array.of(nameLength),
            randomBytes(next, nameLength + ((nameLength + 1) & 1)),
          ]),
          data: randomBytes(next, Math.floor(next() * 40)),
        };
      },
    );
    assertEquals(
      serializePhotoshopResources(resources),
      psReference(resources),
    );
  }
});

Deno.test("buildSegment() with a prefix is the segment of prefix + payload", () => {
  const next = rng(21);
  for (const [p, n] of [[0, 0], [6, 0], [0, 10], [29, 1000], [14, 65_519]]) {
    const prefix = randomBytes(next, p!);
    const payload = randomBytes(next, n!);
    assertEquals(
      buildSegment(0xe1, payload, prefix),
      buildSegment(0xe1, concatBytes([prefix, payload])),
    );
  }
});

Deno.test("crossCheckWithPiexif() judges the new EXIF only when piexifjs reads the original", () => {
  const tiff = (entries: Parameters<typeof encodeIfd>[0]) =>
    concat([
      Uint8Array.of(0x49, 0x49, 0x2a, 0, 8, 0, 0, 0),
      encodeIfd(entries, 8),
    ]);
  const artist = (text: string) => {
    const value = utf8WithNul(text);
    return { tag: 0x013b, type: 2, count: value.length, value };
  };
  // piexifjs refuses a FLOAT-typed XResolution.
  const floatEntry = {
    tag: 0x011a,
    type: 11,
    count: 1,
    value: Uint8Array.of(0, 0, 0x90, 0x42),
  };
  const readable = tiff([artist("Old")]);
  const unreadable = tiff([floatEntry, artist("Old")]);
  const edit = { artist: "New" };
  // The new block holds our value: no problem, whatever the original.
  for (const original of [undefined, readable, unreadable]) {
    assertEquals(
      crossCheckWithPiexif(original, tiff([artist("New")]), edit),
      undefined,
    );
  }
  // It does not: a problem, unless piexifjs cannot read the original.
  const wrong = tiff([artist("Other")]);
  assert(crossCheckWithPiexif(undefined, wrong, edit)?.includes("0x13b"));
  assert(crossCheckWithPiexif(readable, wrong, edit)?.includes("0x13b"));
  assertEquals(crossCheckWithPiexif(unreadable, wrong, edit), undefined);
  // A new block piexifjs cannot read is a problem too, on the same terms.
  const broken = tiff([floatEntry, artist("New")]);
  assert(crossCheckWithPiexif(readable, broken, edit)?.includes("cannot read"));
  assertEquals(crossCheckWithPiexif(unreadable, broken, edit), undefined);
});

/** Random text from pieces that matter to UTF-8, NFC and the cleaners. */
function randomText(next: () => number): string {
  const pieces = [
    "a",
    "Z",
    " ",
    "~",
    "\t",
    "\n",
    "\r",
    "\0",
    "\x07",
    "\x1f",
    "\x7f",
    "é",
    "e\u0301",
    "\u00ff",
    "ß",
    "日",
    "\uffff",
    "\ufffe",
    "📷",
    "\ud800",
    "\udc00",
  ];
  let text = "";
  const length = Math.floor(next() * 30);
  for (let i = 0; i < length; i++) {
    // Mostly plain ASCII, like most titles and tags.
    text += next() < 0.7
      ? String.fromCharCode(0x20 + Math.floor(next() * 95))
      : pieces[Math.floor(next() * pieces.length)]!;
  }
  return text;
}

Deno.test("cleanText() gives what the full cleaning gives, plain ASCII or not", () => {
  const reference = (text: string) =>
    text
      // deno-lint-ignore no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "")
      .replace(/[\uFFFE\uFFFF]/g, "")
      .replace(
        /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        "\uFFFD",
      ).normalize("NFC");
  const next = rng(25);
  for (let i = 0; i < 2000; i++) {
    const text = randomText(next);
    assertEquals(cleanText(text), reference(text), JSON.stringify(text));
  }
});

Deno.test("truncateUtf8() cuts exactly when the UTF-8 is over the budget", () => {
  const next = rng(29);
  for (let i = 0; i < 500; i++) {
    const text = randomText(next);
    const size = utf8(text).length;
    for (let max = 0; max <= text.length * 3 + 1; max++) {
      const cut = truncateUtf8(text, max, " […]");
      assertEquals(cut.truncated, size > max, `${JSON.stringify(text)} ${max}`);
      if (!cut.truncated) assertEquals(cut.text, text);
    }
  }
});

Deno.test("readDateTimeOriginal() reads what readExif() reads, and fails alike", () => {
  const tiffs = [
    canonStyleExif(),
    cameraExif().subarray(6),
    changed(mergeExif(undefined, { dateTimeOriginal: "2001:02:03 04:05:06" }, {
      width: 8,
      height: 8,
      components: 3,
      hasIccProfile: false,
    })),
  ];
  for (const tiff of tiffs) {
    for (const length of [tiff.length, 40, 12, 8, 4]) {
      const cut = tiff.subarray(0, length);
      let want: string | undefined | Error;
      try {
        want = readExif(cut).dateTimeOriginal;
      } catch (error) {
        want = error as Error;
      }
      if (want instanceof Error) {
        let thrown = false;
        try {
          readDateTimeOriginal(cut);
        } catch {
          thrown = true;
        }
        assert(thrown, `length ${length} throws`);
      } else {
        assertEquals(readDateTimeOriginal(cut), want, `length ${length}`);
      }
    }
  }
});

function changed(result: ReturnType<typeof mergeExif>): Uint8Array {
  if (result.kind !== "changed") throw new Error(JSON.stringify(result));
  return result.tiff;
}

Deno.test("mergeExif() gives the same bytes after a bigger EXIF was built (the sink is reused)", () => {
  const ctx = { width: 64, height: 48, components: 3, hasIccProfile: false };
  const small = { dateTimeOriginal: "2019:07:14 18:22:01", artist: "A" };
  const big = {
    ...small,
    imageDescription: "x".repeat(3000),
    xpComment: "y".repeat(2000),
  };
  const first = changed(mergeExif(undefined, small, ctx));
  const firstCamera = changed(mergeExif(canonStyleExif(), small, ctx));
  changed(mergeExif(canonStyleExif(), big, ctx));
  changed(mergeExif(undefined, big, ctx));
  assertEquals(changed(mergeExif(undefined, small, ctx)), first);
  assertEquals(changed(mergeExif(canonStyleExif(), small, ctx)), firstCamera);
});
