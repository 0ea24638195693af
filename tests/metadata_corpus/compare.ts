/**
 * Compares, with ExifTool, a real camera file before and after
 * `embedMetadata` wrote Flickr's fields into a copy of it: tags lost, camera
 * values changed, new `exiftool -validate` warnings, and whether our fields
 * read back. Used by `tests/integration/metadata_corpus_test.ts` and, for the
 * counts in a report, as a script:
 *
 *   deno run -A tests/metadata_corpus/compare.ts [dir-or-files...]
 *
 * (default: the committed corpus in tests/metadata_corpus/images).
 *
 * @module
 */

import { basename, join } from "node:path";
import { embedMetadata, type EmbedResult } from "../../src/metadata/embed.ts";
import type { PhotoMetadata } from "../../src/metadata/fields.ts";

/** The fields written into every corpus file. */
export const CORPUS_META: PhotoMetadata = {
  title: "Corpus title — 夕焼け",
  description: "A description written by flickr-backup.",
  tags: ["sunset", "京都", "corpus"],
  dateTaken: "2019-07-14 18:22:01",
  dateTakenGranularity: 0,
  dateTakenUnknown: false,
  latitude: 35.011636,
  longitude: 135.768029,
  creator: "Jane Doe",
  rights: "© 2019 Jane Doe, CC BY-SA 2.0",
  flickrUrl: "https://www.flickr.com/photos/jane/123456/",
};

/** What one file's comparison found. */
export interface FileComparison {
  file: string;
  status: EmbedResult["status"];
  embedWarnings: string[];
  /** Tags ExifTool read before and not after ("Group:Tag"). */
  lost: string[];
  /** Camera tags whose value changed ("Group:Tag: before -> after"). */
  changed: string[];
  /** ExifTool -validate warnings before (all) and new after. */
  warningsBefore: string[];
  newWarnings: string[];
  /** Our fields that ExifTool does not read back as written. */
  missing: string[];
}

type Json = Record<string, unknown>;

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command("exiftool", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** ExifTool's tags for each file, in the order given. */
async function tags(paths: string[]): Promise<Json[]> {
  const text = await run(["-j", "-G1", "-a", "-s", "-b", "-n", ...paths]);
  const byFile = new Map(
    (JSON.parse(text) as Json[]).map((j) => [j["SourceFile"], j]),
  );
  return paths.map((p) => byFile.get(p) ?? {});
}

/** ExifTool's -validate warnings for each file ("entry N" made generic). */
async function warnings(paths: string[]): Promise<string[][]> {
  const text = await run(["-validate", "-warning", "-a", "-s3", ...paths]);
  const out = new Map<string, string[]>();
  let current: string[] | undefined = paths.length === 1 ? [] : undefined;
  if (current) out.set(paths[0]!, current);
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("======== ")) {
      current = [];
      out.set(line.slice(9), current);
    } else if (
      current && line !== "" && line !== "OK" &&
      !/^\d+ (Warning|Error)/.test(line) && !/image files read$/.test(line)
    ) {
      current.push(line.replace(/entry \d+/, "entry N"));
    }
  }
  return paths.map((p) => out.get(p) ?? []);
}

/** Groups that describe the file, not its metadata. */
const IGNORED_GROUPS = /^(SourceFile|ExifTool|System|File|Composite):?/;
/** Tags flickr-backup writes (their values are meant to change). */
const OURS = new RegExp(
  "^(XMP-[^:]+|XMP|IPTC\\d*|Photoshop|GPS|IFD0:(ImageDescription|Artist|" +
    "Copyright|XPTitle|XPComment|XPKeywords)|[^:]+:(DateTimeOriginal|" +
    "CreateDate|CurrentIPTCDigest|IPTCDigest))(:|$)",
);
/** Offsets and sizes move when the header changes; their data is compared. */
const POINTER = /(Offset|Offsets|Start|Pointer|Padding)$|^[^:]+:IPTC-NAA$/;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function removeOnce(list: string[], item: string): boolean {
  const at = list.indexOf(item);
  if (at < 0) return false;
  list.splice(at, 1);
  return true;
}

/**
 * Embeds `meta` into a copy of each source (in `workDir`) and compares
 * (ExifTool runs four times in all, not per file).
 */
export async function compareFiles(
  sources: string[],
  workDir: string,
  meta: PhotoMetadata = CORPUS_META,
): Promise<FileComparison[]> {
  const copies: string[] = [];
  for (const source of sources) {
    const copy = join(workDir, basename(source));
    await Deno.copyFile(source, copy);
    copies.push(copy);
  }
  const before = await tags(copies);
  const warningsBefore = await warnings(copies);
  const results: EmbedResult[] = [];
  for (const copy of copies) {
    results.push(await embedMetadata(copy, meta, { xmpSidecar: "never" }));
  }
  const after = await tags(copies);
  const warningsAfter = await warnings(copies);
  return copies.map((copy, i) =>
    compareOne(
      copy,
      results[i]!,
      meta,
      before[i]!,
      after[i]!,
      warningsBefore[i]!,
      warningsAfter[i]!,
    )
  );
}

function compareOne(
  copy: string,
  result: EmbedResult,
  meta: PhotoMetadata,
  before: Json,
  after: Json,
  warningsBefore: string[],
  warningsAfter: string[],
): FileComparison {
  const lost: string[] = [];
  const changed: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    if (IGNORED_GROUPS.test(key)) continue;
    if (!(key in after)) {
      lost.push(key);
      continue;
    }
    if (OURS.test(key) || POINTER.test(key)) continue;
    if (!same(value, after[key])) {
      const show = (v: unknown) => String(JSON.stringify(v)).slice(0, 60);
      changed.push(`${key}: ${show(value)} -> ${show(after[key])}`);
    }
  }
  const remaining = [...warningsBefore];
  const newWarnings = warningsAfter.filter((w) => !removeOnce(remaining, w));
  const missing: string[] = [];
  if (result.status === "written" || result.status === "unchanged") {
    const expect: Array<[string, unknown]> = [
      ["XMP-dc:Title", meta.title],
      ["XMP-dc:Description", meta.description],
      ["IPTC:ObjectName", meta.title],
      ["IFD0:ImageDescription", meta.description],
      ["IFD0:Artist", meta.creator],
      ["ExifIFD:DateTimeOriginal", "2019:07:14 18:22:01"],
      ["GPS:GPSLatitude", meta.latitude],
    ];
    for (const [key, want] of expect) {
      const got = after[key];
      const ok = typeof want === "number"
        ? typeof got === "number" && Math.abs(got - want) < 1e-5
        : got === want;
      if (!ok) missing.push(key);
    }
    for (const [key, value] of Object.entries(after)) {
      if (
        /^(ExifIFD|XMP-exif):DateTimeOriginal$/.test(key) &&
        !String(value).startsWith("2019:07:14 18:22:01")
      ) {
        missing.push(`${key} (stale: ${value})`);
      }
      if (/^IPTC\d*:ObjectName$/.test(key) && value !== meta.title) {
        missing.push(`${key} (stale: ${value})`);
      }
    }
  }
  return {
    file: basename(copy),
    status: result.status,
    embedWarnings: result.warnings,
    lost,
    changed,
    warningsBefore,
    newWarnings,
    missing,
  };
}

/** The committed corpus. */
export const CORPUS_DIR = new URL("./images/", import.meta.url).pathname;

/** JPEG files in `dir`, sorted. */
export async function corpusFiles(dir = CORPUS_DIR): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.jpe?g$/i.test(entry.name)) {
      out.push(join(dir, entry.name));
    }
  }
  return out.sort();
}

if (import.meta.main) {
  const args = Deno.args.length > 0 ? Deno.args : [CORPUS_DIR];
  const files: string[] = [];
  for (const arg of args) {
    if ((await Deno.stat(arg)).isDirectory) {
      files.push(...await corpusFiles(arg));
    } else files.push(arg);
  }
  const work = await Deno.makeTempDir({ prefix: "corpus-" });
  const totals = {
    files: 0,
    written: 0,
    lost: 0,
    changed: 0,
    newWarnings: 0,
    missing: 0,
  };
  try {
    for (const c of await compareFiles(files, work)) {
      totals.files++;
      if (c.status === "written") totals.written++;
      totals.lost += c.lost.length;
      totals.changed += c.changed.length;
      totals.newWarnings += c.newWarnings.length;
      totals.missing += c.missing.length;
      const problems = [
        ...c.lost.map((t) => `lost ${t}`),
        ...c.changed.map((t) => `changed ${t}`),
        ...c.newWarnings.map((w) => `new warning: ${w}`),
        ...c.missing.map((t) => `not written: ${t}`),
      ];
      console.log(
        `${c.file}: ${c.status}${problems.length ? "" : " ok"}` +
          problems.map((p) => `\n    ${p}`).join("") +
          c.embedWarnings.map((w) => `\n    (embed) ${w}`).join(""),
      );
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  console.log(JSON.stringify(totals));
}
