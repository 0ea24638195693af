import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import { concatBytes, latin1Bytes, utf8 } from "./_bytes.ts";
import { prepareFields } from "./fields.ts";
import {
  buildIim,
  findIim,
  IIM_LIMITS,
  iptcValuesFrom,
  mergePhotoshopIptc,
  parseIim,
  parsePhotoshopResources,
  serializeIim,
  serializePhotoshopResources,
} from "./iptc.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("buildIim() encodes datasets in record/dataset order with UTF-8 declared", () => {
  const iim = buildIim({
    objectName: "Title",
    keywords: ["b", "a"],
    dateCreated: "20190700",
    byline: "Jane",
    copyrightNotice: "©",
    caption: "日本",
  });
  const datasets = parseIim(iim).map((
    d,
  ) => [`${d.record}:${d.dataset}`, [...d.data]]);
  assertEquals(datasets, [
    ["1:0", [0, 4]],
    ["1:90", [0x1b, 0x25, 0x47]],
    ["2:0", [0, 4]],
    ["2:5", [...utf8("Title")]],
    ["2:25", [...utf8("b")]],
    ["2:25", [...utf8("a")]],
    ["2:55", [...utf8("20190700")]],
    ["2:80", [...utf8("Jane")]],
    ["2:116", [...utf8("©")]],
    ["2:120", [...utf8("日本")]],
  ]);
  // Exact framing of one dataset: 1C rec ds len-hi len-lo data.
  assertEquals([...iim.subarray(0, 7)], [0x1c, 1, 0, 0, 2, 0, 4]);
});

Deno.test("serializeIim() uses the extended length form above 32767 bytes", () => {
  const big = new Uint8Array(40_000).fill(65);
  const bytes = serializeIim([{ record: 2, dataset: 202, data: big }]);
  assertEquals([...bytes.subarray(0, 9)], [
    0x1c,
    2,
    202,
    0x80,
    4,
    0,
    0,
    0x9c,
    0x40,
  ]);
  assertEquals(parseIim(bytes)[0]!.data.length, 40_000);
});

Deno.test("iptcValuesFrom() cuts to IIM limits on UTF-8 boundaries", () => {
  const warnings: string[] = [];
  const { fields } = prepareFields({
    title: "題".repeat(40), // 120 bytes
    description: "😀".repeat(600), // 2400 bytes
    tags: ["k".repeat(70), "ok"],
    creator: "ü".repeat(20), // 40 bytes
    rights: "r".repeat(200),
    dateTakenGranularity: 0,
    dateTakenUnknown: false,
  });
  const values = iptcValuesFrom(fields, warnings);
  assert(utf8(values.objectName!).length <= IIM_LIMITS.ObjectName);
  assert(utf8(values.caption!).length <= IIM_LIMITS.CaptionAbstract);
  assert(utf8(values.keywords[0]!).length <= IIM_LIMITS.Keywords);
  assertEquals(values.keywords[1], "ok");
  assert(utf8(values.byline!).length <= IIM_LIMITS.Byline);
  assert(utf8(values.copyrightNotice!).length <= IIM_LIMITS.CopyrightNotice);
  assert(!values.caption!.includes("\uFFFD"));
  assertEquals(warnings.length, 5);
});

Deno.test("buildIim() keeps other datasets and converts legacy Latin text", () => {
  const existing = serializeIim([
    { record: 2, dataset: 0, data: Uint8Array.of(0, 2) },
    { record: 2, dataset: 5, data: latin1Bytes("Old title") },
    { record: 2, dataset: 90, data: latin1Bytes("M\xfcnchen") }, // City, cp1252
    { record: 2, dataset: 25, data: latin1Bytes("old") },
  ]);
  const iim = buildIim({ objectName: "New", keywords: ["k"] }, existing);
  const byKey = new Map<string, string[]>();
  for (const d of parseIim(iim)) {
    const key = `${d.record}:${d.dataset}`;
    byKey.set(key, [...(byKey.get(key) ?? []), decode(d.data)]);
  }
  assertEquals(byKey.get("2:5"), ["New"]);
  assertEquals(byKey.get("2:25"), ["k"]);
  assertEquals(byKey.get("2:90"), ["München"]);
  assertEquals(byKey.get("2:0"), ["\0\x02"]); // kept, not duplicated
});

Deno.test("buildIim() refuses text in a declared non-UTF-8 character set", () => {
  const existing = serializeIim([
    { record: 1, dataset: 90, data: Uint8Array.of(0x1b, 0x2e, 0x41) },
    { record: 2, dataset: 90, data: latin1Bytes("M\xfcnchen") },
  ]);
  assertThrows(() => buildIim({ keywords: ["k"] }, existing));
});

Deno.test("mergePhotoshopIptc() keeps other resources and updates the digest", () => {
  const other = {
    signature: "8BIM",
    id: 0x0409,
    name: Uint8Array.of(3, 0x61, 0x62, 0x63),
    data: Uint8Array.of(1, 2, 3), // odd size: padded
  };
  const existing = serializePhotoshopResources([
    other,
    {
      signature: "8BIM",
      id: 0x0404,
      name: Uint8Array.of(0, 0),
      data: Uint8Array.of(0x1c, 2, 0, 0, 0),
    },
    {
      signature: "8BIM",
      id: 0x0425,
      name: Uint8Array.of(0, 0),
      data: new Uint8Array(16),
    },
  ]);
  const iim = buildIim({ keywords: ["x"] });
  const merged = mergePhotoshopIptc(existing, iim);
  const resources = parsePhotoshopResources(merged);
  assertEquals(resources.map((r) => r.id), [0x0409, 0x0404, 0x0425]);
  assertEquals(resources[0]!.data, other.data);
  assertEquals(resources[0]!.name, other.name);
  assertEquals(findIim(merged), iim);
  const md5 = new Uint8Array(createHash("md5").update(iim).digest());
  assertEquals(resources[2]!.data, md5);
  // Without an existing block both resources are created.
  assertEquals(
    parsePhotoshopResources(mergePhotoshopIptc(undefined, iim)).map((r) =>
      r.id
    ),
    [0x0404, 0x0425],
  );
});

Deno.test("parsePhotoshopResources() rejects truncated blocks", () => {
  const good = serializePhotoshopResources([
    {
      signature: "8BIM",
      id: 0x0404,
      name: Uint8Array.of(0, 0),
      data: new Uint8Array(10),
    },
  ]);
  assertThrows(() =>
    parsePhotoshopResources(good.subarray(0, good.length - 3))
  );
  assertThrows(() =>
    parsePhotoshopResources(concatBytes([latin1Bytes("XXXX"), good]))
  );
});
