/**
 * Benchmark: `flickr-backup import` of a Flickr data export against `unzip`
 * extracting the same zips, at three export sizes, with the peak RSS of
 * the import (VmHWM of the child, polled from /proc) to show that memory
 * does not grow with the size of the zips.
 *
 * Both sides are child processes timed the same way, writing to the same
 * disk. `unzip -q -o` only extracts (flat, no CRC beyond its own, no state);
 * the import also hashes, fsyncs each file, writes metadata into every JPEG,
 * writes sidecars and album links, and records each photo in its state.
 * The import runs with `--no-site`: the offline site it refreshes by default
 * is its own step (src/site), whose thumbnails of these EXIF-less JPEGs are
 * decoded in JavaScript and would dominate both the time and the memory.
 *
 * Usage:
 *   deno run -A bench/import_bench.ts [--quick] [--tmp DIR] [--photos N,M]
 *
 * `--quick`: 10 and 20 MB exports (smoke run for CI). Full: 300 MB, 1.2 GB
 * and 2.4 GB of 1 MB JPEGs (300, 1,200 and 2,400 photos). Prints a table and writes `bench/results/import.json`
 * (`import-quick.json` with `--quick`). Linux only (reads /proc).
 *
 * @module
 */

import { join } from "node:path";
import { writeBulkExport } from "../tests/export_fixture.ts";
import { releaseFlags } from "../tests/helpers/cli.ts";

const MB = 1_000_000;
const ROOT = new URL("../", import.meta.url).pathname;
const quick = Deno.args.includes("--quick");
const tmpFlag = Deno.args.indexOf("--tmp");
const tmpParent = tmpFlag >= 0 ? Deno.args[tmpFlag + 1] : undefined;
const photosFlag = Deno.args.indexOf("--photos");
const SIZES = photosFlag >= 0
  ? (Deno.args[photosFlag + 1] ?? "").split(",").map((n) => ({
    photos: Number(n),
    bytes: 1 * MB,
  }))
  : quick
  ? [{ photos: 10, bytes: 1 * MB }, { photos: 20, bytes: 1 * MB }]
  : [300, 1200, 2400].map((photos) => ({ photos, bytes: 1 * MB }));
const RSS_GOAL = 150 * 1024 * 1024;

async function vmHwmKb(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function timed(
  command: string,
  args: string[],
): Promise<{ code: number; ms: number; peakBytes?: number; out: string }> {
  const start = performance.now();
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  let end = 0;
  const status = child.status.then(() => {
    end = performance.now();
    exited = true;
  });
  const output = child.output();
  let peakKb: number | undefined;
  while (!exited) {
    const kb = await vmHwmKb(child.pid);
    if (kb !== undefined) peakKb = Math.max(peakKb ?? 0, kb);
    await Promise.race([new Promise((r) => setTimeout(r, 20)), status]);
  }
  const out = await output;
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    ms: end - start,
    ...(peakKb !== undefined ? { peakBytes: peakKb * 1024 } : {}),
    out: text.slice(-2000),
  };
}

const hasUnzip = await new Deno.Command("unzip", {
  args: ["-v"],
  stdout: "null",
  stderr: "null",
}).output().then((out) => out.success, () => false);
if (!hasUnzip) {
  const skipped = "unzip is not installed: nothing to compare the import with";
  console.log(skipped);
  await Deno.writeTextFile(
    join(ROOT, "bench", "results", quick ? "import-quick.json" : "import.json"),
    JSON.stringify({ date: new Date().toISOString(), skipped, rows: [] }) +
      "\n",
  );
  Deno.exit(0);
}

const tmp = await Deno.makeTempDir({
  prefix: "flickr-backup-import-bench-",
  ...(tmpParent ? { dir: tmpParent } : {}),
});
const rows: {
  photos: number;
  zipBytes: number;
  unzipMs: number;
  importMs: number;
  ratio: number;
  importPeakRssBytes?: number;
  unzipPeakRssBytes?: number;
}[] = [];
const errors: string[] = [];
try {
  for (const size of SIZES) {
    const exportDir = join(tmp, `export-${size.photos}`);
    const built = await writeBulkExport(exportDir, {
      photos: size.photos,
      bytesPerPhoto: size.bytes,
      perZip: quick ? 10 : 100,
    });
    const unzipDir = join(tmp, `unzip-${size.photos}`);
    await Deno.mkdir(unzipDir);
    // One unzip per zip, as a person would: timed together.
    let unzipMs = 0;
    let unzipPeak = 0;
    for (const zip of built.zips) {
      const run = await timed("unzip", ["-q", "-o", zip, "-d", unzipDir]);
      if (run.code !== 0) errors.push(`unzip ${zip}: ${run.out}`);
      unzipMs += run.ms;
      unzipPeak = Math.max(unzipPeak, run.peakBytes ?? 0);
    }
    const backupDir = join(tmp, `backup-${size.photos}`);
    const run = await timed(Deno.execPath(), [
      "run",
      ...releaseFlags(),
      join(ROOT, "main.ts"),
      "import",
      "--quiet",
      "--no-site",
      "--dir",
      backupDir,
      ...built.zips,
    ]);
    if (run.code !== 0) errors.push(`import exited ${run.code}: ${run.out}`);
    const last = JSON.parse(
      await Deno.readTextFile(join(backupDir, "last_run.json")),
    );
    if (last.totals.imported !== size.photos) {
      errors.push(
        `import copied ${last.totals.imported} of ${size.photos} photos`,
      );
    }
    rows.push({
      photos: size.photos,
      zipBytes: built.bytes,
      unzipMs,
      importMs: run.ms,
      ratio: unzipMs / run.ms,
      ...(run.peakBytes !== undefined
        ? { importPeakRssBytes: run.peakBytes }
        : {}),
      unzipPeakRssBytes: unzipPeak,
    });
    await Deno.remove(exportDir, { recursive: true });
    await Deno.remove(unzipDir, { recursive: true });
    await Deno.remove(backupDir, { recursive: true });
  }
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => undefined);
}

const mb = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / MB).toFixed(1)} MB`;
const table = [
  "| export | unzip | import | unzip ÷ import | import peak RSS |",
  "| --- | --- | --- | --- | --- |",
  ...rows.map((r) =>
    `| ${r.photos} photos, ${mb(r.zipBytes)} | ${
      (r.unzipMs / 1000).toFixed(2)
    } s | ${(r.importMs / 1000).toFixed(2)} s | ${r.ratio.toFixed(2)} | ${
      mb(r.importPeakRssBytes)
    } |`
  ),
].join("\n");
const peaks = rows.map((r) => r.importPeakRssBytes ?? Infinity);
const rssOk = peaks.every((p) => p <= RSS_GOAL);
// "Independent of zip size": the biggest export's peak, and every other,
// at most 10% above the smallest export's.
const flat = peaks.length >= 2 && Math.max(...peaks) <= peaks[0]! * 1.1;
console.log(table);
console.log(
  `peak RSS ≤ 150 MiB: ${
    rssOk ? "OK" : "MISS"
  }; independent of zip size (bigger zips, ≤ +10% RSS): ${
    flat ? "OK" : "MISS"
  }`,
);
for (const error of errors) console.log(`ERROR: ${error}`);
await Deno.writeTextFile(
  join(ROOT, "bench", "results", quick ? "import-quick.json" : "import.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      command: `deno run -A bench/import_bench.ts ${Deno.args.join(" ")}`
        .trim(),
      rows,
      rssOk,
      flat,
      errors,
      table,
    },
    null,
    2,
  ) + "\n",
);
Deno.exit(errors.length ? 1 : 0);
