import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  checkPosition,
  cleanText,
  type DateGranularity,
  dateResolutionToLocalDate,
  parseExifDate,
  prepareFields,
  resolveDateTaken,
  TRUNCATION_MARKER,
} from "./fields.ts";
import { truncateUtf8, utf8 } from "./_bytes.ts";

function meta(
  dateTaken: string | undefined,
  granularity: DateGranularity,
  unknown = false,
) {
  return {
    ...(dateTaken === undefined ? {} : { dateTaken }),
    dateTakenGranularity: granularity,
    dateTakenUnknown: unknown,
  };
}

Deno.test("resolveDateTaken() applies the date policy table", () => {
  const cases: Array<{
    name: string;
    input: ReturnType<typeof meta>;
    camera?: string;
    want: Record<string, unknown>;
  }> = [
    {
      name: "exact Flickr date wins over the camera",
      input: meta("2019-07-14 18:22:01", 0),
      camera: "2016:01:02 03:04:05",
      want: {
        source: "flickr",
        granularity: 0,
        exifDate: "2019:07:14 18:22:01",
        xmpDate: "2019-07-14T18:22:01",
        iptcDate: "20190714",
      },
    },
    {
      name: "month granularity",
      input: meta("2019-07-01 00:00:00", 4),
      want: {
        source: "flickr",
        granularity: 4,
        exifDate: "2019:07:01 00:00:00",
        xmpDate: "2019-07",
        iptcDate: "20190700",
      },
    },
    {
      name: "year granularity",
      input: meta("2019-01-01 00:00:00", 6),
      want: {
        source: "flickr",
        granularity: 6,
        exifDate: "2019:01:01 00:00:00",
        xmpDate: "2019",
        iptcDate: "20190000",
      },
    },
    {
      name: "circa is written as a year",
      input: meta("1975-01-01 00:00:00", 8),
      camera: "2003:01:01 00:00:00",
      want: {
        source: "flickr",
        granularity: 8,
        exifDate: "1975:01:01 00:00:00",
        xmpDate: "1975",
        iptcDate: "19750000",
      },
    },
    {
      name: "camera's exact date inside Flickr's month wins",
      input: meta("2019-07-01 00:00:00", 4),
      camera: "2019:07:14 10:22:01",
      want: {
        source: "camera",
        granularity: 0,
        exifDate: "2019:07:14 10:22:01",
        xmpDate: "2019-07-14T10:22:01",
        iptcDate: "20190714",
      },
    },
    {
      name: "camera outside Flickr's month loses",
      input: meta("2019-07-01 00:00:00", 4),
      camera: "2019:08:14 10:22:01",
      want: { source: "flickr", xmpDate: "2019-07" },
    },
    {
      name: "unknown Flickr date keeps the camera's",
      input: meta("2023-05-06 07:08:09", 0, true),
      camera: "2010:02:03 04:05:06",
      want: { source: "camera", exifDate: "2010:02:03 04:05:06" },
    },
    {
      name: "unknown Flickr date and no camera date: nothing",
      input: meta("2023-05-06 07:08:09", 0, true),
      want: { source: "none", exifDate: undefined, xmpDate: undefined },
    },
    {
      name: "zeroed camera date counts as none",
      input: meta(undefined, 0),
      camera: "0000:00:00 00:00:00",
      want: { source: "none" },
    },
    {
      name: "invalid Flickr date falls back to the camera",
      input: meta("2019-02-30 00:00:00", 0),
      camera: "2019:02:27 10:00:00",
      want: { source: "camera", exifDate: "2019:02:27 10:00:00" },
    },
  ];
  for (const { name, input, camera, want } of cases) {
    const got = resolveDateTaken(input, camera) as unknown as Record<
      string,
      unknown
    >;
    for (const [key, value] of Object.entries(want)) {
      assertEquals(got[key], value, `${name}: ${key}`);
    }
  }
});

Deno.test("parseExifDate() rejects blank, zero and out-of-range dates", () => {
  assertEquals(parseExifDate("    :  :     :  :  "), undefined);
  assertEquals(parseExifDate("2019:13:01 00:00:00"), undefined);
  assertEquals(parseExifDate("2019:02:29 00:00:00"), undefined);
  assertEquals(parseExifDate("2020:02:29 23:59:59\0")?.day, 29);
});

Deno.test("dateResolutionToLocalDate() gives local midnight of a coarse date", () => {
  const date = dateResolutionToLocalDate(
    resolveDateTaken(meta("2019-07-01 00:00:00", 4)),
  );
  assertEquals(date, new Date(2019, 6, 1, 0, 0, 0));
});

Deno.test("cleanText() removes what XML cannot carry", () => {
  assertEquals(cleanText("a\u0000b\u0007c\td\ne\rf"), "abc\td\ne\rf");
  assertEquals(cleanText("x\uFFFEy\uD800z"), "xy\uFFFDz");
  assertEquals(cleanText("🌅"), "🌅");
  assertEquals(cleanText("e\u0301"), "\u00e9");
});

Deno.test("checkPosition() drops (0, 0) silently and warns on bad input", () => {
  assertEquals(checkPosition(0, 0), {});
  assertEquals(checkPosition(10, 20).position, { latitude: 10, longitude: 20 });
  assertEquals(typeof checkPosition(91, 0).warning, "string");
  assertEquals(typeof checkPosition(10, undefined).warning, "string");
  assertEquals(typeof checkPosition(Number.NaN, 1).warning, "string");
});

Deno.test("prepareFields() cleans and de-duplicates tags", () => {
  const { fields } = prepareFields({
    tags: [" a ", "a", "", "b\u0000", "  "],
    title: "   ",
    dateTakenGranularity: 0,
    dateTakenUnknown: false,
  });
  assertEquals(fields.tags, ["a", "b"]);
  assertEquals(fields.title, undefined);
});

Deno.test("truncateUtf8() cuts on a code point boundary and keeps the marker in budget", () => {
  const text = "日本語🌅abc";
  for (let max = 0; max <= utf8(text).length; max++) {
    const cut = truncateUtf8(text, max, TRUNCATION_MARKER);
    const bytes = utf8(cut.text);
    if (bytes.length > max) throw new Error(`over budget at ${max}`);
    assertEquals(new TextDecoder().decode(bytes), cut.text);
    assertEquals(cut.text.includes("\uFFFD"), false);
  }
  assertEquals(truncateUtf8(text, 100).truncated, false);
  assertEquals(truncateUtf8("🌅🌅", 5).text, "🌅");
});
