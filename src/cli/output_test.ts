import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { formatBytes, formatDuration, progressLine } from "./output.ts";

Deno.test("progressLine() draws the share finished, with rate and ETA", () => {
  const line = progressLine(
    { done: 3, failed: 1, total: 8, bytes: 4000 },
    2000,
  );
  assertEquals(line.slice(0, 26), `[${"#".repeat(12)}${"-".repeat(12)}]`);
  assertStringIncludes(line, "4/8 photos, 1 failed, 4.0 KB at 2.0 KB/s");
  assertStringIncludes(line, "ETA 2s");
});

Deno.test("progressLine() never draws outside its bar when counts overshoot the total", () => {
  for (
    const progress of [
      { done: 12, failed: 2, total: 12, bytes: 0 },
      { done: 0, failed: 0, total: 0, bytes: 0 },
    ]
  ) {
    const bar = progressLine(progress, 1000).slice(0, 26);
    assertEquals(bar, `[${"#".repeat(24)}]`);
  }
});

Deno.test("formatBytes() and formatDuration() read naturally", () => {
  assertEquals(formatBytes(999), "999 B");
  assertEquals(formatBytes(1_500_000), "1.5 MB");
  assertEquals(formatDuration(12_000), "12s");
  assertEquals(formatDuration(185_000), "3m 05s");
  assertEquals(formatDuration(3_720_000), "1h 02m");
});
