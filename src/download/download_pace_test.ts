import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  AUTO_CAP,
  AUTO_FLOOR,
  BYTES_IN_FLIGHT,
  DownloadPace,
  downloadPace,
} from "./download_pace.ts";

Deno.test("downloadPace(): automatic from 4 to 32, a user's number fixed", () => {
  const auto = downloadPace(undefined);
  assertEquals([auto.floor, auto.cap, auto.limit], [AUTO_FLOOR, AUTO_CAP, 4]);
  assertEquals([AUTO_FLOOR, AUTO_CAP], [4, 32]);
  // 32 downloads and 4 photos finishing; a given n: n and n more.
  assertEquals(auto.workers, 36);
  // 32 at once only while 2 MB fit (files of 64 KB or less), 16 while 16
  // MB fit (up to 1 MB), then fewer: 4 MB files go 4 at once.
  for (
    const [bytes, limit] of [
      [20_000, 32],
      [62_500, 32],
      [100_000, 20],
      [125_000, 16],
      [490_000, 16],
      [1_000_000, 16],
      [2_000_000, 8],
      [4_000_000, 4],
    ]
  ) {
    const pace = downloadPace(undefined);
    for (let i = 0; i < 16; i++) pace.record(bytes!);
    assertEquals(pace.limit, limit);
  }
  assertEquals(downloadPace(3).workers, 6);
  for (const n of [1, 4, 8, 32]) {
    const fixed = downloadPace(n);
    assertEquals([fixed.floor, fixed.cap, fixed.limit], [n, n, n]);
    // Small or large files: a number given by the user is kept.
    assertEquals(fixed.record(20_000), n);
    assertEquals(fixed.record(500_000_000), n);
  }
});

Deno.test("DownloadPace: small files raise the limit to the cap, large ones bring it back to the floor", () => {
  const pace = new DownloadPace(4, 16);
  assertEquals(pace.meanBytes, undefined);
  // Starts at the floor: nothing is known before the first file.
  assertEquals(pace.limit, 4);
  assertEquals(pace.record(20_000), 16);
  assertEquals(pace.peak, 16);
  // 16 MB in flight: files of 2 MB on average go 8 at once.
  const mid = new DownloadPace(4, 16);
  for (let i = 0; i < 16; i++) mid.record(2_000_000);
  assertEquals(mid.limit, BYTES_IN_FLIGHT / 2_000_000);
  assertEquals(mid.limit, 8);
  // One 100 MB video among small photos: the mean of the last 16 sizes
  // is large, so the limit falls to the floor at once…
  assertEquals(pace.record(100_000_000), 4);
  // …and stays there until the video leaves the window of 16 sizes.
  for (let i = 0; i < 15; i++) assertEquals(pace.record(20_000), 4);
  assertEquals(pace.record(20_000), 16);
  assertEquals(pace.meanBytes, 20_000);
  assertEquals(pace.peak, 16);
});

Deno.test("DownloadPace: empty files, the limit between floor and cap, bad bounds", () => {
  const pace = new DownloadPace(2, 6);
  assertEquals(pace.record(0), 6);
  for (let i = 0; i < 16; i++) pace.record(4_000_000);
  assertEquals(pace.limit, 4);
  for (let i = 0; i < 16; i++) pace.record(12_000_000);
  assertEquals(pace.limit, 2);
  assertThrows(() => new DownloadPace(0, 4), RangeError);
  assertThrows(() => new DownloadPace(5, 4), RangeError);
  assertThrows(() => new DownloadPace(1.5, 4), RangeError);
});
