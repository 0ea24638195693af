import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { join } from "node:path";
import { configure, dispose, getLogger } from "@logtape/logtape";
import { lineFileSink } from "./log_sink.ts";

Deno.test("lineFileSink() writes each line at once and creates the file lazily", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fb-log-" });
  try {
    const path = join(dir, "run.log");
    await configure({
      reset: true,
      sinks: { file: lineFileSink(path) },
      loggers: [
        { category: ["t"], lowestLevel: "info", sinks: ["file"] },
        { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
      ],
    });
    const logger = getLogger(["t"]);
    let exists = true;
    await Deno.stat(path).catch(() => exists = false);
    assertEquals(exists, false);
    logger.info("first line");
    // Already in the file before the log is closed.
    assertStringIncludes(await Deno.readTextFile(path), "first line");
    logger.warn("second line");
    await dispose();
    const lines = (await Deno.readTextFile(path)).trim().split("\n");
    assertEquals(lines.length, 2);
    assertStringIncludes(lines[1]!, "second line");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
