/**
 * `deno task bench`: the speed, memory and API-budget targets of issue 7,
 * measured against the project's fake Flickr on 127.0.0.1 with a fixed
 * latency per request (default 50 ms), by running the real CLI (`main.ts`
 * with the release permission set plus loopback) as a child process.
 *
 * 1. API budget: calls per method of a full backup and of a no-change rerun
 *    of a 10,000-photo, 60-album account, beside `N/500 + albums`.
 * 2. Throughput: a full backup of 1,000 × 2 MB photos against a plain
 *    parallel download of exactly the same URLs (same concurrency, same
 *    disk, no metadata, no state, no fsync): the limit, as a ratio.
 * 3. Memory: peak RSS (VmHWM of the child, polled from /proc) of the
 *    10,000-photo backup, of a single 1 GB video and of 1,000 photos of
 *    490 KB (the size that keeps the most bodies in memory at once).
 * 4. Metadata: `bench/metadata_bench.ts` (embed vs ExifTool), run as a child.
 * 5. Scale of state: a no-change rerun of an account already backed up,
 *    measured at 10,000 and 20,000 photos and extrapolated to 100,000 (a
 *    first backup of 100,000 photos with downloads is too slow for a
 *    benchmark).
 * 6. Small files and scale (issue 16, `bench/speed_bench.ts`): 10,000 ×
 *    20 KB against a plain download at 0 and 20 ms, with the tool's CPU
 *    time per photo; listing and state of a 100,000-photo account.
 * 7. Streaming: `bench/streaming_bench.ts` (RSS growth of the downloader and
 *    of the fake Flickr moving a few hundred MB), run as a child.
 * 8. Import: `bench/import_bench.ts` (import of export zips vs `unzip` of
 *    the same zips, peak RSS at three zip sizes), run as a child.
 * 9. Site: the offline site of 10,000 photos (`bench/site_bench.ts`): first
 *    generation time and size, refresh after a no-change run, album page
 *    weight.
 *
 * Every number comes from a measurement of the current run. Prints a table
 * and writes `bench/results/latest.json` and `latest.md` (`latest-quick.*`
 * with `--quick`).
 *
 * Usage:
 *   deno run -A --v8-flags=--expose-gc bench/run.ts [--quick] [--latency MS]
 *                            [--only LIST] [--tmp DIR] [--ram-disk DIR]
 *                            [--strict]
 *
 * `--expose-gc` as in the release flags: the site section generates in this
 * process, and without it the site's heap collections fall back to V8's
 * low-memory notification (two compacting, heap-shrinking collections
 * each instead of one), which the shipped program never uses.
 *
 * - `--quick`: 1,000 photos / 10 albums, 200 × 2 MB, a 200 MB video,
 *   metadata `--quick`, 300 × 20 KB, a 1,000-photo site, no scale or big
 *   section; under a minute or so (CI).
 * - `--only budget,throughput,memory,metadata,scale,small,big,
 *   streaming,import,site`: a subset.
 * - `--tmp DIR`: where backups are written (default: the system temp dir).
 * - `--ram-disk DIR`: a folder on a RAM disk (tmpfs) where the small-file
 *   section measures the backup and its I/O floor once more, without the
 *   disk's own kernel work (default: the first tmpfs mount this process can
 *   write outside /dev, /proc, /sys and /run, if any, e.g. a `/tmp` that is
 *   a tmpfs; `--ram-disk none` skips those rows).
 * - `--strict`: exit 2 when a goal is missed.
 *
 * Exit code: 0 when every measurement ran (goals met or not), 1 when a
 * measurement failed (the CLI exited non-zero, a check on its output failed,
 * a child timed out), 2 with `--strict` and a missed goal, 130 on Ctrl-C.
 *
 * @module
 */

import { join, resolve } from "node:path";
import {
  addPhoto,
  bigAccount,
  createAccount,
  type FakeFlickr,
  startFakeFlickr,
} from "../tests/fake_flickr/mod.ts";
import { fakeEnv, signIn } from "../tests/helpers/backup_fixture.ts";
import { spawnCli } from "../tests/helpers/cli.ts";
import { AUTO_CAP } from "../src/download/download_pace.ts";
import {
  sectionHundredThousand,
  sectionSmallFiles,
  type SpeedKit,
} from "./speed_bench.ts";
import { siteBench } from "./site_bench.ts";

// ------------------------------------------------------------ settings

const MB = 1_000_000;
const SECTIONS = [
  "budget",
  "throughput",
  "memory",
  "metadata",
  "scale",
  "small",
  "big",
  "streaming",
  "import",
  "site",
] as const;
type Section = typeof SECTIONS[number];

interface Settings {
  quick: boolean;
  strict: boolean;
  latencyMs: number;
  sections: Set<Section>;
  tmpParent: string | undefined;
  /** See `--ram-disk`; undefined: no RAM-disk rows. */
  ramDisk: string | undefined;
  /** Section 1 (and the 10k point of section 5, and memory row 1). */
  budget: { photos: number; albums: number };
  /** No-change reruns per account (median time, max calls). */
  reruns: number;
  /** Section 2. */
  throughput: { photos: number; bytesPerPhoto: number; albums: number };
  /** Also time a `--no-embed` backup (where the gap to the limit goes). */
  throughputNoEmbed: boolean;
  /** The CLI default, also used by the plain download. */
  concurrency: number;
  /** Section 3: size of the single video. */
  videoBytes: number;
  /** Section 5: the second measured account size; the extrapolation target. */
  scale: { photos: number; albums: number; target: number } | undefined;
  /** Whole-run deadline. */
  deadlineMs: number;
  /** Longest any single child may run. */
  childTimeoutMs: number;
}

function parseSettings(args: string[]): Settings {
  const quick = args.includes("--quick");
  const value = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const latencyMs = Number(value("--latency") ?? 50);
  if (!(latencyMs >= 0)) throw new Error(`Bad --latency "${latencyMs}"`);
  const only = value("--only");
  const sections = new Set<Section>(SECTIONS);
  if (only !== undefined) {
    sections.clear();
    for (const name of only.split(",")) {
      if (!(SECTIONS as readonly string[]).includes(name)) {
        throw new Error(
          `Unknown section "${name}" in --only (one of ${SECTIONS.join(", ")})`,
        );
      }
      sections.add(name as Section);
    }
  }
  if (quick) {
    sections.delete("scale");
    sections.delete("big");
  }
  return {
    quick,
    strict: args.includes("--strict"),
    latencyMs,
    sections,
    tmpParent: value("--tmp"),
    ramDisk: ramDiskSetting(value("--ram-disk")),
    budget: quick
      ? { photos: 1_000, albums: 10 }
      : { photos: 10_000, albums: 60 },
    reruns: 3,
    throughput: {
      photos: quick ? 200 : 1_000,
      bytesPerPhoto: 2 * MB,
      albums: 10,
    },
    throughputNoEmbed: !quick,
    concurrency: 4,
    videoBytes: quick ? 200 * MB : 1_000 * MB,
    scale: quick ? undefined : { photos: 20_000, albums: 60, target: 100_000 },
    // Guards against a hang only: CI runs --quick on a machine whose speed
    // nobody controls, and a slow but healthy run must not turn it red.
    deadlineMs: (quick ? 20 : 30) * 60_000,
    childTimeoutMs: (quick ? 10 : 15) * 60_000,
  };
}

// ------------------------------------------------------------ results

type Verdict = "OK" | "MISS" | "ERROR" | "n/a" | "-";

interface Row {
  section: Section | "runtime";
  measure: string;
  value: string;
  goal: string;
  verdict: Verdict;
}

const rows: Row[] = [];
const errors: string[] = [];
const details: Record<string, unknown> = {};

function row(
  section: Row["section"],
  measure: string,
  value: string,
  goal = "—",
  verdict: Verdict = "-",
): void {
  rows.push({ section, measure, value, goal, verdict });
}

function judge(ok: boolean | undefined): Verdict {
  if (ok === undefined) return "n/a";
  return ok ? "OK" : "MISS";
}

/** A memory row's verdict: peak RSS within 150 MB, or ERROR when the run failed. */
function rssVerdict(
  run: { peakRssBytes: number | undefined },
  ok: boolean,
): Verdict {
  if (!ok) return "ERROR";
  return judge(
    run.peakRssBytes === undefined ? undefined : run.peakRssBytes <= 150 * MB,
  );
}

function fail(message: string): void {
  errors.push(message);
  log(`ERROR: ${message}`);
}

const encoder = new TextEncoder();
function log(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`[bench] ${text}\n`));
}

const seconds = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
const megabytes = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString("en-US");

// ------------------------------------------------------------ children

const IS_LINUX = Deno.build.os === "linux";
const ROOT = new URL("../", import.meta.url).pathname;
const live = new Set<Deno.ChildProcess>();
const stop = new AbortController();

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already exited.
  }
}

/** One child process, timed, with its peak resident set size. */
interface ProcessRun {
  code: number;
  wallMs: number;
  /** VmHWM in bytes (Linux), undefined elsewhere or if never sampled. */
  peakRssBytes: number | undefined;
  /**
   * User + system CPU time of the child in ms (Linux, from /proc/<pid>/stat
   * at the last poll: at most one poll period short), else undefined.
   */
  cpuMs: number | undefined;
  /** The system (kernel) part of {@link cpuMs}. */
  sysMs: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** utime + stime, and stime, of a process in ms (USER_HZ = 100 on Linux). */
async function cpuTimeMs(
  pid: number,
): Promise<{ total: number; sys: number } | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const user = Number(fields[11]);
    const sys = Number(fields[12]);
    return Number.isFinite(user + sys)
      ? { total: (user + sys) * 10, sys: sys * 10 }
      : undefined;
  } catch {
    return undefined; // The process is gone.
  }
}

async function vmHwmKb(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // The process is gone.
  }
}

/**
 * Runs a child to the end, polling its VmHWM (a high-water mark kept by the
 * kernel, so polling misses at most what it gains in its last poll period).
 */
async function measure(
  spawn: () => Deno.ChildProcess,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<ProcessRun> {
  if (stop.signal.aborted) throw stop.signal.reason;
  const pollMs = options.pollMs ?? 25;
  const start = performance.now();
  const child = spawn();
  live.add(child);
  let end = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill(child);
  }, options.timeoutMs ?? settings.childTimeoutMs);
  let exited = false;
  const status = child.status.then(() => {
    end = performance.now();
    exited = true;
  });
  const output = child.output();
  let peakKb: number | undefined;
  let cpuMs: number | undefined;
  let sysMs: number | undefined;
  try {
    while (IS_LINUX && !exited) {
      const kb = await vmHwmKb(child.pid);
      if (kb !== undefined) peakKb = Math.max(peakKb ?? 0, kb);
      const cpu = await cpuTimeMs(child.pid);
      if (cpu !== undefined) {
        cpuMs = Math.max(cpuMs ?? 0, cpu.total);
        sysMs = Math.max(sysMs ?? 0, cpu.sys);
      }
      await Promise.race([sleep(pollMs), status]);
    }
    const out = await output;
    await status;
    const decoder = new TextDecoder();
    return {
      code: out.code,
      wallMs: end - start,
      peakRssBytes: peakKb === undefined ? undefined : peakKb * 1024,
      cpuMs,
      sysMs,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    live.delete(child);
  }
}

const rss = (run: { peakRssBytes: number | undefined }) =>
  run.peakRssBytes === undefined ? "n/a" : megabytes(run.peakRssBytes);

function tail(text: string, chars = 1500): string {
  const trimmed = text.trim();
  return trimmed.length > chars ? "…" + trimmed.slice(-chars) : trimmed;
}

// ------------------------------------------------------------ backups

/** What `last_run.json` holds (the fields the bench reads). */
interface LastRun {
  result: string;
  exitCode: number;
  totals: {
    listed: number;
    present: number;
    downloaded: number;
    alreadyDone: number;
    failed: number;
    bytesDownloaded: number;
  };
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
}

/** One CLI backup run as the fake and the CLI saw it. */
interface BackupRun extends ProcessRun {
  /** REST calls per method, counted by the fake. */
  calls: Record<string, number>;
  callsTotal: number;
  /** Completed 200 GETs of photo/video bytes: URL → bytes sent. */
  files: Map<string, number>;
  fileBytes: number;
  summary: LastRun | undefined;
}

async function backup(
  flickr: FakeFlickr,
  dir: string,
  extraArgs: string[] = [],
): Promise<BackupRun> {
  flickr.clearRequests();
  const run = await measure(() =>
    spawnCli(["backup", "--dir", dir, "--quiet", ...extraArgs], {
      env: fakeEnv(flickr),
    })
  );
  const files = new Map<string, number>();
  for (const request of flickr.fileRequests()) {
    if (request.method === "GET" && request.status === 200) {
      files.set(request.url, (files.get(request.url) ?? 0) + request.bodyBytes);
    }
  }
  let summary: LastRun | undefined;
  try {
    summary = JSON.parse(await Deno.readTextFile(join(dir, "last_run.json")));
  } catch {
    summary = undefined;
  }
  return {
    ...run,
    calls: flickr.callCounts(),
    callsTotal: flickr.apiCallCount(),
    files,
    fileBytes: [...files.values()].reduce((a, b) => a + b, 0),
    summary,
  };
}

/**
 * Checks that a run did what it must (exit 0, complete, the expected number
 * of downloads) and records a precise failure otherwise. Returns true if ok.
 */
function checkRun(
  label: string,
  run: BackupRun,
  expect: { listed: number; downloaded: number },
): boolean {
  const problems: string[] = [];
  if (run.timedOut) problems.push("timed out and was killed");
  if (run.code !== 0) problems.push(`exit code ${run.code}`);
  const s = run.summary;
  if (!s) problems.push("no readable last_run.json");
  else {
    if (s.result !== "complete") problems.push(`result "${s.result}"`);
    if (s.totals.listed !== expect.listed) {
      problems.push(`listed ${s.totals.listed}, expected ${expect.listed}`);
    }
    if (s.totals.downloaded !== expect.downloaded) {
      problems.push(
        `downloaded ${s.totals.downloaded}, expected ${expect.downloaded}`,
      );
    }
    if (s.totals.failed !== 0) problems.push(`${s.totals.failed} failed`);
    if (s.apiCallsTotal !== run.callsTotal) {
      problems.push(
        `last_run.json counts ${s.apiCallsTotal} API calls, the fake saw ${run.callsTotal}`,
      );
    }
  }
  if (run.files.size !== expect.downloaded) {
    problems.push(
      `${run.files.size} files fetched, expected ${expect.downloaded}`,
    );
  }
  if (problems.length === 0) return true;
  fail(
    `${label}: ${problems.join("; ")}\n--- stdout ---\n${
      tail(run.stdout)
    }\n--- stderr ---\n${tail(run.stderr)}`,
  );
  return false;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid] ?? NaN
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** The fewest listing calls possible at 500 per page, for this account. */
function minimumListingCalls(flickr: FakeFlickr): number {
  const account = flickr.account;
  const inAlbum = new Set(account.albums.flatMap((a) => a.photoIds));
  const notInSet = account.photos.size - inAlbum.size;
  const pages = (n: number) => Math.max(1, Math.ceil(n / 500));
  // test.login + people.getInfo + photosets.getList pages + album pages +
  // getNotInSet pages.
  return 2 + pages(account.albums.length) +
    account.albums.reduce((sum, a) => sum + pages(a.photoIds.length), 0) +
    pages(notInSet);
}

// ------------------------------------------------------------ sections

let tmp = "";
/** Median no-change rerun of the section-1 account, for section 5. */
let budgetRerun: { photos: number; wallMs: number } | undefined;

/** Folders whose removal waits for the end of a section (see below). */
let deferredRemovals: string[] | undefined;
let dirCount = 0;

async function freshDir(name: string): Promise<string> {
  const dir = join(tmp, `${name}-${++dirCount}`);
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Runs `fn` with the folders of {@link freshDir} and {@link plainDownload}
 * in a new temp folder under `parent` (removed afterwards).
 */
async function withTmp<T>(parent: string, fn: () => Promise<T>): Promise<T> {
  const saved = tmp;
  const used = await Deno.makeTempDir({
    prefix: "flickr-backup-bench-",
    dir: parent,
  });
  tmp = used;
  try {
    return await fn();
  } finally {
    tmp = saved;
    await Deno.remove(used, { recursive: true }).catch(() => undefined);
  }
}

/** `--ram-disk DIR`, none for "none", else {@link defaultRamDisk}. */
function ramDiskSetting(given: string | undefined): string | undefined {
  if (given === "none") return undefined;
  return given ?? defaultRamDisk();
}

/**
 * The first tmpfs mount (Linux, /proc/mounts) where this process can make a
 * folder, outside /dev, /proc, /sys and /run (the CLI's permissions never
 * reach /dev: Deno asks for --allow-all there, so /dev/shm cannot serve).
 */
function defaultRamDisk(): string | undefined {
  let mounts: string;
  try {
    mounts = Deno.readTextFileSync("/proc/mounts");
  } catch {
    return undefined;
  }
  for (const line of mounts.split("\n")) {
    const [, dir, type] = line.split(" ");
    if (type !== "tmpfs" || !dir || /^\/(dev|proc|sys|run)(\/|$)/.test(dir)) {
      continue;
    }
    try {
      Deno.removeSync(Deno.makeTempDirSync({ dir }));
      return dir;
    } catch {
      // Not ours to write: try the next one.
    }
  }
  return undefined;
}

async function removeDir(dir: string): Promise<void> {
  if (deferredRemovals) deferredRemovals.push(dir);
  else await Deno.remove(dir, { recursive: true }).catch(() => undefined);
}

/**
 * Runs `section` keeping every folder it removes until it ends. Files just
 * deleted make new files dear on some disks: a journal-less ext4 (this
 * VM's) skips an inode deleted in the last 30 s, 5.5 min while its inode
 * block is dirty, and looks up each candidate's block to know
 * (`recently_deleted`, `find_get_block_common`: a third of the I/O floor's
 * CPU in `perf` right after the previous row removed its 20,000 files, and
 * the floor's system time 6.5-8.3 s against 3.1 s after a pause), so a row
 * measured after a removal pays for the previous row's files.
 */
async function keepingFolders(section: () => Promise<void>): Promise<void> {
  const outer = deferredRemovals;
  deferredRemovals = [];
  try {
    await section();
  } finally {
    const dirs = deferredRemovals;
    deferredRemovals = outer;
    for (const dir of dirs) await removeDir(dir);
  }
}

async function denoBaseline(): Promise<number | undefined> {
  log("deno baseline: main.ts --version (3 runs)");
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await measure(() => spawnCli(["--version"]), { pollMs: 2 });
    if (run.code !== 0) {
      fail(`main.ts --version exited ${run.code}: ${tail(run.stderr)}`);
      return undefined;
    }
    if (run.peakRssBytes !== undefined) samples.push(run.peakRssBytes);
    details.denoVersionOutput = run.stdout.trim();
  }
  const value = samples.length ? Math.max(...samples) : undefined;
  details.denoBaselineRssBytes = value;
  return value;
}

async function sectionBudget(baselineRss: number | undefined): Promise<void> {
  const { photos, albums } = settings.budget;
  log(
    `budget: full backup of ${
      count(photos)
    } photos / ${albums} albums at ${settings.latencyMs} ms latency`,
  );
  const account = bigAccount({ photos, albums, seed: 7 });
  await using flickr = await startFakeFlickr({
    account,
    latencyMs: settings.latencyMs,
  });
  const dir = await freshDir("budget");
  await signIn(flickr, dir);
  const full = await backup(flickr, dir);
  const fullOk = checkRun("budget: full backup", full, {
    listed: photos,
    downloaded: photos,
  });
  const reruns: BackupRun[] = [];
  for (let i = 0; i < settings.reruns && fullOk; i++) {
    log(`budget: no-change rerun ${i + 1}/${settings.reruns}`);
    const rerun = await backup(flickr, dir);
    if (
      !checkRun(`budget: no-change rerun ${i + 1}`, rerun, {
        listed: photos,
        downloaded: 0,
      })
    ) break;
    reruns.push(rerun);
  }
  await removeDir(dir);

  const formula = photos / 500 + albums;
  const limit = Math.ceil(photos / 500) + albums + 5;
  const minimum = minimumListingCalls(flickr);
  const label = `${count(photos)} photos, ${albums} albums`;
  if (fullOk) {
    row(
      "budget",
      `API calls, full backup (${label})`,
      `${full.callsTotal} (N/500 + albums = ${formula}; fewest possible ${minimum})`,
      `≈ N/500 + albums (≤ ${limit})`,
      judge(full.callsTotal <= limit),
    );
  } else row("budget", `API calls, full backup (${label})`, "-", "", "ERROR");
  const first = reruns[0];
  if (first) {
    const maxCalls = Math.max(...reruns.map((r) => r.callsTotal));
    const maxFiles = Math.max(...reruns.map((r) => r.files.size));
    const wallMs = median(reruns.map((r) => r.wallMs));
    budgetRerun = { photos, wallMs };
    row(
      "budget",
      "API calls, no-change rerun",
      `${maxCalls} (max of ${reruns.length}), ${maxFiles} files fetched`,
      "≤ 5, 0 files",
      judge(maxCalls <= 5 && maxFiles === 0),
    );
    row(
      "budget",
      "wall time, full backup / no-change rerun",
      `${seconds(full.wallMs)} / ${seconds(wallMs)} (median)`,
    );
  } else if (fullOk) {
    row("budget", "API calls, no-change rerun", "-", "", "ERROR");
  }
  row(
    "memory",
    `peak RSS, full backup of ${count(photos)} photos`,
    fullOk ? `${rss(full)}${baselineNote(baselineRss)}` : "-",
    "≤ 150 MB",
    rssVerdict(full, fullOk),
  );
  details.budget = {
    account: { photos, albums, bytesPerPhoto: 2048, seed: 7 },
    formula: { nOver500PlusAlbums: formula, goalAtMost: limit, minimum },
    full: runDetails(full),
    reruns: reruns.map(runDetails),
  };
}

function baselineNote(baselineRss: number | undefined): string {
  return baselineRss === undefined
    ? ""
    : ` (Deno itself: ${megabytes(baselineRss)})`;
}

function runDetails(run: BackupRun) {
  return {
    code: run.code,
    wallMs: Math.round(run.wallMs),
    peakRssBytes: run.peakRssBytes,
    apiCalls: run.calls,
    apiCallsTotal: run.callsTotal,
    filesFetched: run.files.size,
    bytesFetched: run.fileBytes,
    lastRun: run.summary && {
      result: run.summary.result,
      totals: run.summary.totals,
      apiCalls: run.summary.apiCalls,
      apiCallsTotal: run.summary.apiCallsTotal,
    },
  };
}

async function plainDownload(
  urls: string[],
  concurrency = settings.concurrency,
  durable = false,
): Promise<ProcessRun & { bytes: number; files: number }> {
  const urlsFile = join(tmp, "urls.json");
  await Deno.writeTextFile(urlsFile, JSON.stringify(urls));
  const out = await freshDir("plain");
  const script = join(ROOT, "bench", "_plain_download.ts");
  const run = await measure(() =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        `--allow-read=${tmp}`,
        `--allow-write=${out}`,
        script,
        urlsFile,
        out,
        String(concurrency),
        ...(durable ? ["durable"] : []),
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  await removeDir(out);
  let reported = { bytes: 0, files: 0 };
  try {
    reported = JSON.parse(run.stdout.trim().split("\n").pop() ?? "");
  } catch {
    // Reported below as a failure.
  }
  return { ...run, ...reported };
}

async function sectionThroughput(): Promise<void> {
  const { photos, bytesPerPhoto, albums } = settings.throughput;
  const what = `${count(photos)} × ${megabytes(bytesPerPhoto)}`;
  log(`throughput: full backup of ${what} photos`);
  const account = bigAccount({ photos, albums, bytesPerPhoto, seed: 11 });
  await using flickr = await startFakeFlickr({
    account,
    latencyMs: settings.latencyMs,
  });
  // --no-site: the offline site (thumbnails decoded from every 2 MB photo)
  // has its own rows (section "site"); the plain download builds none.
  const concurrency = [
    "--concurrency",
    String(settings.concurrency),
    "--no-site",
  ];
  const cliDir = await freshDir("throughput-cli");
  await signIn(flickr, cliDir);
  const cli = await backup(flickr, cliDir, concurrency);
  await removeDir(cliDir);
  if (
    !checkRun("throughput: full backup", cli, {
      listed: photos,
      downloaded: photos,
    })
  ) {
    row("throughput", `full backup, ${what}`, "-", "", "ERROR");
    return;
  }
  let noEmbed: BackupRun | undefined;
  if (settings.throughputNoEmbed) {
    log(`throughput: full backup of ${what} photos with --no-embed`);
    const dir = await freshDir("throughput-no-embed");
    await signIn(flickr, dir);
    noEmbed = await backup(flickr, dir, [...concurrency, "--no-embed"]);
    await removeDir(dir);
    if (
      !checkRun("throughput: --no-embed backup", noEmbed, {
        listed: photos,
        downloaded: photos,
      })
    ) noEmbed = undefined;
  }
  const urls = [...cli.files.keys()];
  log(`throughput: plain parallel download of the same ${urls.length} URLs`);
  flickr.clearRequests();
  const plain = await plainDownload(urls);
  if (plain.code !== 0 || plain.files !== urls.length) {
    fail(
      `throughput: plain download exited ${plain.code} with ${plain.files}/${urls.length} files: ${
        tail(plain.stderr)
      }`,
    );
    row("throughput", "plain parallel download (the limit)", "-", "", "ERROR");
    return;
  }
  if (plain.bytes !== cli.fileBytes) {
    fail(
      `throughput: the plain download got ${plain.bytes} bytes, the backup ${cli.fileBytes}`,
    );
  }
  const rate = (bytes: number, ms: number) =>
    `${(bytes / MB / (ms / 1000)).toFixed(1)} MB/s`;
  const ratio = plain.wallMs / cli.wallMs;
  row(
    "throughput",
    `full backup, ${what} (embed on)`,
    `${seconds(cli.wallMs)}, ${rate(cli.fileBytes, cli.wallMs)}`,
  );
  if (noEmbed) {
    row(
      "throughput",
      `full backup, ${what}, --no-embed`,
      `${seconds(noEmbed.wallMs)}, ${rate(noEmbed.fileBytes, noEmbed.wallMs)}`,
    );
  }
  row(
    "throughput",
    `plain parallel download, same URLs (the limit)`,
    `${seconds(plain.wallMs)}, ${rate(plain.bytes, plain.wallMs)}`,
  );
  row(
    "throughput",
    "backup ÷ limit (throughput ratio)",
    `${ratio.toFixed(2)}${
      noEmbed
        ? ` (--no-embed: ${(plain.wallMs / noEmbed.wallMs).toFixed(2)})`
        : ""
    }`,
    "≥ 0.8",
    judge(ratio >= 0.8),
  );
  details.throughput = {
    account: { photos, albums, bytesPerPhoto, seed: 11 },
    concurrency: settings.concurrency,
    backup: runDetails(cli),
    backupNoEmbed: noEmbed && runDetails(noEmbed),
    plainDownload: {
      code: plain.code,
      wallMs: Math.round(plain.wallMs),
      innerMs: Math.round(
        JSON.parse(plain.stdout.trim().split("\n").pop() ?? "{}").ms ?? 0,
      ),
      bytes: plain.bytes,
      files: plain.files,
      peakRssBytes: plain.peakRssBytes,
    },
    ratio,
  };
}

/**
 * Peak RSS of a backup of mid-size photos: 490 KB bodies are held in
 * memory until written, and files this size still go 16 at once, so this is
 * where the most body bytes wait in memory (32 at once here once peaked at
 * 157 MB).
 */
async function sectionMidSize(
  baselineRss: number | undefined,
): Promise<void> {
  const photos = settings.quick ? 100 : 1_000;
  const bytesPerPhoto = 490_000;
  log(
    `memory: backup of ${count(photos)} photos of ${bytesPerPhoto / 1000} KB`,
  );
  const account = bigAccount({ photos, albums: 5, bytesPerPhoto, seed: 41 });
  await using flickr = await startFakeFlickr({
    account,
    latencyMs: settings.latencyMs,
  });
  const dir = await freshDir("midsize");
  await signIn(flickr, dir);
  const run = await backup(flickr, dir, ["--no-site"]);
  await removeDir(dir);
  const ok = checkRun("memory: mid-size photos", run, {
    listed: photos,
    downloaded: photos,
  });
  row(
    "memory",
    `peak RSS, ${count(photos)} photos of ${
      bytesPerPhoto / 1000
    } KB (--no-site; the most bodies held in memory)`,
    ok ? `${rss(run)}${baselineNote(baselineRss)}` : "-",
    "≤ 150 MB",
    rssVerdict(run, ok),
  );
}

async function sectionVideo(baselineRss: number | undefined): Promise<void> {
  const size = settings.videoBytes;
  log(`memory: backup of one ${megabytes(size)} video`);
  const account = createAccount();
  addPhoto(account, {
    title: "Long video",
    media: "video",
    originalFormat: "mp4",
    width: 1920,
    height: 1080,
    videoDuration: 600,
    camera: false,
    content: { kind: "generated", size, seed: 99, format: "mp4" },
  });
  await using flickr = await startFakeFlickr({
    account,
    latencyMs: settings.latencyMs,
  });
  const dir = await freshDir("video");
  await signIn(flickr, dir);
  const run = await backup(flickr, dir);
  await removeDir(dir);
  const ok = checkRun("memory: video backup", run, {
    listed: 1,
    downloaded: 1,
  });
  if (ok && run.fileBytes !== size) {
    fail(`memory: the video fetched was ${run.fileBytes} bytes, not ${size}`);
  }
  row(
    "memory",
    `peak RSS, one ${megabytes(size)} video`,
    ok
      ? `${rss(run)}${baselineNote(baselineRss)}; ${seconds(run.wallMs)}, ${
        (run.fileBytes / MB / (run.wallMs / 1000)).toFixed(0)
      } MB/s`
      : "-",
    "≤ 150 MB",
    rssVerdict(run, ok),
  );
  details.video = { bytes: size, run: runDetails(run) };
}

async function sectionStreaming(): Promise<void> {
  const script = join(ROOT, "bench", "streaming_bench.ts");
  const args = ["run", "-A", script, ...(settings.quick ? ["--quick"] : [])];
  log(`streaming: deno ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    fail(`streaming: streaming_bench.ts exited ${out.code}: ${tail(text)}`);
    row("streaming", "RSS growth while streaming", "-", "", "ERROR");
    return;
  }
  const results = JSON.parse(text) as {
    measure: string;
    rssGrowthBytes: number;
    goalBytes: number;
  }[];
  for (const r of results) {
    row(
      "streaming",
      `RSS growth, ${r.measure}`,
      megabytes(r.rssGrowthBytes),
      `< ${megabytes(r.goalBytes)}`,
      judge(r.rssGrowthBytes < r.goalBytes),
    );
  }
  details.streaming = results;
}

interface MetadataSummary {
  medianMs?: number;
  medianWallMs?: number;
  peakRssMb?: number;
}

interface MetadataRow {
  sizeMb?: number;
  ours?: MetadataSummary;
  oursWarm?: MetadataSummary;
  exiftool?: MetadataSummary;
}

async function sectionMetadata(): Promise<void> {
  const script = join(ROOT, "bench", "metadata_bench.ts");
  const resultsFile = join(ROOT, "bench", "results", "metadata.json");
  try {
    await Deno.stat(script);
  } catch {
    row("metadata", "embed vs ExifTool", "not available", "—", "n/a");
    details.metadata = "not available: bench/metadata_bench.ts is missing";
    return;
  }
  // --quick is a smoke run: it must not replace the committed full numbers.
  const previous = settings.quick
    ? await Deno.readTextFile(resultsFile).catch(() => undefined)
    : undefined;
  const args = ["run", "-A", script, ...(settings.quick ? ["--quick"] : [])];
  log(`metadata: deno ${args.join(" ")}`);
  const run = await measure(() =>
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  let results: { table?: string; rows?: MetadataRow[] } | undefined;
  try {
    results = JSON.parse(await Deno.readTextFile(resultsFile));
  } catch {
    results = undefined;
  }
  if (previous !== undefined) await Deno.writeTextFile(resultsFile, previous);
  if (run.code !== 0 || !results) {
    fail(
      `metadata: metadata_bench.ts exited ${run.code}${
        run.timedOut ? " (timed out)" : ""
      }: ${tail(run.stderr || run.stdout)}`,
    );
    row("metadata", "embed vs ExifTool", "-", "", "ERROR");
    return;
  }
  metadataTable = results.table;
  for (const r of results.rows ?? []) {
    const ours = r.ours;
    const warm = r.oursWarm;
    const exiftool = r.exiftool;
    if (
      r.sizeMb === undefined || ours?.medianWallMs === undefined ||
      exiftool?.medianMs === undefined
    ) continue;
    const ratio = exiftool.medianMs / ours.medianWallMs;
    row(
      "metadata",
      `embed into a ${r.sizeMb} MB JPEG: ours (process) vs ExifTool`,
      `${ours.medianWallMs.toFixed(0)} ms vs ${
        exiftool.medianMs.toFixed(0)
      } ms: ExifTool ÷ ours = ${ratio.toFixed(1)}×${
        warm?.medianMs === undefined
          ? ""
          : ` (in a running backup: ${warm.medianMs.toFixed(0)} ms)`
      }`,
      "≥ 1× (not slower)",
      judge(ratio >= 1),
    );
    if (ours.peakRssMb !== undefined) {
      const peak = ours.peakRssMb * 1024 * 1024;
      row(
        "metadata",
        `embed into a ${r.sizeMb} MB JPEG: peak RSS`,
        `${megabytes(peak)}${
          exiftool.peakRssMb === undefined
            ? ""
            : ` (ExifTool ${megabytes(exiftool.peakRssMb * 1024 * 1024)})`
        }`,
        "≤ 150 MB",
        judge(peak <= 150 * MB),
      );
    }
  }
  details.metadata = { wallMs: Math.round(run.wallMs), results };
}

let metadataTable: string | undefined;

/** `bench/import_bench.ts`: import of export zips against `unzip`. */
async function sectionImport(): Promise<void> {
  const script = join(ROOT, "bench", "import_bench.ts");
  const args = [
    "run",
    "-A",
    script,
    ...(settings.quick ? ["--quick"] : []),
    ...(settings.tmpParent ? ["--tmp", settings.tmpParent] : []),
  ];
  log(`import: deno ${args.join(" ")}`);
  const run = await measure(() =>
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  const file = settings.quick ? "import-quick.json" : "import.json";
  let results: {
    rows?: {
      photos: number;
      zipBytes: number;
      unzipMs: number;
      importMs: number;
      ratio: number;
      importPeakRssBytes?: number;
    }[];
    flat?: boolean;
    skipped?: string;
  } | undefined;
  try {
    results = JSON.parse(
      await Deno.readTextFile(join(ROOT, "bench", "results", file)),
    );
  } catch {
    results = undefined;
  }
  if (results?.skipped) {
    row("import", "import vs unzip", results.skipped, "—", "n/a");
    return;
  }
  if (run.code !== 0 || !results?.rows) {
    fail(`import: import_bench.ts exited ${run.code}: ${tail(run.stdout)}`);
    row("import", "import vs unzip", "-", "", "ERROR");
    return;
  }
  for (const r of results.rows) {
    row(
      "import",
      `import of ${megabytes(r.zipBytes)} of export zips (${
        count(r.photos)
      } photos) vs unzip`,
      `${seconds(r.importMs)} vs ${seconds(r.unzipMs)}: unzip ÷ import = ${
        r.ratio.toFixed(2)
      }`,
      "ratio reported",
      "-",
    );
    const peak = r.importPeakRssBytes;
    row(
      "import",
      `import of ${megabytes(r.zipBytes)}: peak RSS`,
      peak === undefined ? "n/a" : megabytes(peak),
      "≤ 150 MB",
      judge(peak === undefined ? undefined : peak <= 150 * 1024 * 1024),
    );
  }
  row(
    "import",
    "peak RSS independent of zip size (2× the zips)",
    results.flat ? "yes (≤ +10%)" : "no",
    "independent",
    judge(results.flat),
  );
  details.import = results;
}

/** The offline site (bench/site_bench.ts). */
async function sectionSite(): Promise<void> {
  const photos = settings.quick ? 1_000 : 10_000;
  log(`site: ${photos} photos`);
  const r = await siteBench(photos);
  row(
    "site",
    `site of ${r.photos} photos (${r.albums} albums): first generation`,
    `${seconds(r.firstMs)}, ${megabytes(r.siteBytes)} in ${r.siteFiles} files`,
    "seconds",
    judge(r.firstMs < 60_000),
  );
  row(
    "site",
    "site refresh after a no-change run: in process / whole command",
    `${r.refreshMs.toFixed(0)} ms / ${r.refreshCommandMs.toFixed(0)} ms`,
    "well under 1 s",
    judge(r.refreshMs < 500),
  );
  const perPhoto = r.largestAlbum.bytes / Math.max(1, r.largestAlbum.photos);
  row(
    "site",
    `largest album page (${r.largestAlbum.photos} photos): HTML + all thumbnails`,
    `${megabytes(r.largestAlbum.bytes)} (${
      megabytes(perPhoto * 500)
    } per 500 photos)`,
    "≤ 10 MB per 500 photos",
    judge(perPhoto * 500 <= 10 * MB),
  );
  details.site = r;
}

async function sectionScale(): Promise<void> {
  const scale = settings.scale;
  if (!scale) return;
  const { photos, albums, target } = scale;
  log(
    `scale: building an already backed-up ${
      count(photos)
    }-photo account (setup, not measured: no latency, --concurrency 8)`,
  );
  const account = bigAccount({ photos, albums, seed: 7 });
  // The setup runs without latency; the measured reruns get the same
  // latency as every other measurement, as a fault rule on every request.
  await using flickr = await startFakeFlickr({ account, latencyMs: 0 });
  const dir = await freshDir("scale");
  await signIn(flickr, dir);
  const setup = await backup(flickr, dir, ["--concurrency", "8"]);
  if (
    !checkRun("scale: setup backup", setup, {
      listed: photos,
      downloaded: photos,
    })
  ) {
    row("scale", `no-change rerun, ${count(photos)} photos`, "-", "", "ERROR");
    await removeDir(dir);
    return;
  }
  flickr.faults.add({
    kind: "latency",
    ms: settings.latencyMs,
    times: Infinity,
  });
  const reruns: BackupRun[] = [];
  for (let i = 0; i < settings.reruns; i++) {
    log(`scale: no-change rerun ${i + 1}/${settings.reruns}`);
    const rerun = await backup(flickr, dir);
    if (
      !checkRun(`scale: no-change rerun ${i + 1}`, rerun, {
        listed: photos,
        downloaded: 0,
      })
    ) break;
    reruns.push(rerun);
  }
  await removeDir(dir);
  if (reruns.length === 0) {
    row("scale", `no-change rerun, ${count(photos)} photos`, "-", "", "ERROR");
    return;
  }
  const wallMs = median(reruns.map((r) => r.wallMs));
  const maxCalls = Math.max(...reruns.map((r) => r.callsTotal));
  row(
    "scale",
    `no-change rerun, ${count(photos)} photos (measured)`,
    `${seconds(wallMs)} (median of ${reruns.length}), ${maxCalls} API calls, ${
      rss(reruns[0] ?? { peakRssBytes: undefined })
    } peak RSS`,
    "≤ 5 calls",
    judge(maxCalls <= 5),
  );
  let extrapolated: number | undefined;
  if (budgetRerun && budgetRerun.photos < photos) {
    const perPhoto = Math.max(
      0,
      (wallMs - budgetRerun.wallMs) / (photos - budgetRerun.photos),
    );
    extrapolated = wallMs + perPhoto * (target - photos);
    row(
      "scale",
      `no-change rerun, ${count(target)} photos (EXTRAPOLATED)`,
      `≈ ${seconds(extrapolated)} (linear from ${count(budgetRerun.photos)}: ${
        seconds(budgetRerun.wallMs)
      } and ${count(photos)}: ${seconds(wallMs)}; API calls do not grow)`,
    );
  } else {
    row(
      "scale",
      `no-change rerun, ${count(target)} photos`,
      "not extrapolated: needs the budget section's rerun",
      "—",
      "n/a",
    );
  }
  details.scale = {
    account: { photos, albums, bytesPerPhoto: 2048, seed: 7 },
    target,
    setup: runDetails(setup),
    reruns: reruns.map(runDetails),
    medianRerunMs: Math.round(wallMs),
    pointBelow: budgetRerun &&
      {
        photos: budgetRerun.photos,
        medianRerunMs: Math.round(budgetRerun.wallMs),
      },
    extrapolatedMs: extrapolated && Math.round(extrapolated),
    why:
      `A first backup of ${target} photos with downloads takes too long for a benchmark (each download costs a few ms of CPU), so the already-backed-up state is built at two sizes and the rerun time is extrapolated linearly; the "big" section measures listing and state of ${target} photos without downloads.`,
  };
}

/** What bench/speed_bench.ts (issue 16's rows) needs from this file. */
function speedKit(): SpeedKit {
  return {
    quick: settings.quick,
    concurrency: settings.concurrency,
    backup,
    checkRun,
    plainDownload,
    freshDir,
    removeDir,
    ...(settings.ramDisk ? { ramDisk: settings.ramDisk } : {}),
    withTmp,
    row,
    fail,
    log,
    details,
  };
}

// ------------------------------------------------------------ output

function renderTable(): string {
  const header = ["measure", "value", "goal", "verdict"];
  const body = rows.map((r) => [r.measure, r.value, r.goal, r.verdict]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => cells[i]?.length ?? 0))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

function renderCallsTable(): string | undefined {
  const budget = details.budget as
    | {
      full: { apiCalls: Record<string, number>; apiCallsTotal: number };
      reruns: { apiCalls: Record<string, number>; apiCallsTotal: number }[];
    }
    | undefined;
  if (!budget) return undefined;
  const rerun = budget.reruns[0];
  const methods = [
    ...new Set([
      ...Object.keys(budget.full.apiCalls),
      ...Object.keys(rerun?.apiCalls ?? {}),
    ]),
  ];
  const header = ["API method", "full backup", "no-change rerun"];
  const body = methods.map((m) => [
    m,
    String(budget.full.apiCalls[m] ?? 0),
    rerun ? String(rerun.apiCalls[m] ?? 0) : "-",
  ]);
  body.push([
    "total",
    String(budget.full.apiCallsTotal),
    rerun ? String(rerun.apiCallsTotal) : "-",
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => cells[i]?.length ?? 0))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

async function environment() {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? NaN);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    arch: Deno.build.arch,
    osRelease: Deno.osRelease(),
    cores: navigator.hardwareConcurrency,
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    memoryBytes: Number.isFinite(memKb) ? memKb * 1024 : undefined,
  };
}

// ------------------------------------------------------------ main

const settings = parseSettings(Deno.args);

async function main(): Promise<number> {
  const started = performance.now();
  const date = new Date().toISOString();
  tmp = await Deno.makeTempDir({
    prefix: "flickr-backup-bench-",
    ...(settings.tmpParent ? { dir: resolve(settings.tmpParent) } : {}),
  });
  const deadline = setTimeout(() => {
    stop.abort(
      new Error(
        `The benchmark ran past its ${
          settings.deadlineMs / 60_000
        } min deadline`,
      ),
    );
    for (const child of live) kill(child);
  }, settings.deadlineMs);
  const onSignal = () => {
    stop.abort(new Error("Interrupted"));
    for (const child of live) kill(child);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  log(
    `${
      settings.quick ? "quick" : "full"
    } run, ${settings.latencyMs} ms latency per request, temp dir ${tmp}`,
  );
  try {
    const baselineRss = await denoBaseline();
    row(
      "memory",
      "Deno runtime alone (main.ts --version)",
      baselineRss === undefined ? "n/a" : megabytes(baselineRss),
    );
    const sections: [Section, () => Promise<void>][] = [
      // First: its CPU rows are not to pay for other sections' removals
      // (see keepingFolders).
      ["small", () => keepingFolders(() => sectionSmallFiles(speedKit()))],
      ["budget", () => sectionBudget(baselineRss)],
      ["throughput", sectionThroughput],
      ["memory", async () => {
        await sectionVideo(baselineRss);
        await sectionMidSize(baselineRss);
      }],
      ["metadata", sectionMetadata],
      ["scale", sectionScale],
      ["big", () => sectionHundredThousand(speedKit())],
      ["streaming", sectionStreaming],
      ["import", sectionImport],
      ["site", sectionSite],
    ];
    for (const [name, run] of sections) {
      if (!settings.sections.has(name)) continue;
      if (stop.signal.aborted) break;
      try {
        await run();
      } catch (error) {
        if (stop.signal.aborted) break;
        fail(`${name}: ${(error as Error).stack ?? error}`);
      }
    }
  } finally {
    clearTimeout(deadline);
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    for (const child of live) kill(child);
    await removeDir(tmp);
  }
  if (stop.signal.aborted) {
    log(`stopped: ${(stop.signal.reason as Error).message}`);
    return 130;
  }
  if (!settings.sections.has("scale")) {
    row(
      "scale",
      "no-change rerun of 100,000 photos",
      settings.quick ? "skipped in --quick" : "skipped (--only)",
      "—",
      "n/a",
    );
  }
  const totalMs = performance.now() - started;
  row(
    "runtime",
    `this benchmark run${settings.quick ? " (--quick)" : ""}`,
    seconds(totalMs),
    settings.quick ? "< 60 s" : "a few minutes",
    settings.quick ? judge(totalMs < 60_000) : "-",
  );

  const table = renderTable();
  const calls = renderCallsTable();
  const notes = [
    `Fake Flickr on 127.0.0.1 with ${settings.latencyMs} ms added to every request (API, CDN, video redirects); the real CLI (main.ts, release permissions + loopback) runs as a child with --quiet; MB = 10^6 bytes.`,
    "Peak RSS: VmHWM of the CLI process from /proc/<pid>/status, polled every 25 ms (2 ms for --version); it includes the Deno runtime itself (first memory row).",
    `Throughput: both sides are child processes started and timed the same way, with ${settings.concurrency} parallel downloads, writing to the same disk; the plain download keeps no state, writes no sidecars or metadata and does not fsync, the backup does all of that but leaves the offline site out (--no-site; it has its own rows) (ratio = plain wall time ÷ backup wall time).`,
    ...(settings.sections.has("small")
      ? [
        `Small files (section "small"): the backup runs with its default downloads at once (automatic: 4, up to ${AUTO_CAP} while the files are small, as here); the plain download runs ${settings.concurrency} at once (the goal row: issue 16's yardstick) and ${AUTO_CAP} at once (the like-for-like row: as many as the backup's most). The I/O floor is bench/_plain_download.ts in its durable mode: the same URLs, ${AUTO_CAP} at once, each body and a ~1.5 KB sidecar written as the backup writes them (temporary name, fsync, rename; each folder fsynced once), with no checks, metadata or state: what any tool with the backup's durability pays in Deno and the kernel on this disk.`,
      ]
      : []),
    "Wall times include Deno start-up and, for backups, signing in and listing. The product's API budget lets 3,000 calls go at once in any hour (then slows down, never above 3,600 an hour), so no listing here is paced.",
    "Tool CPU: user + system time of the CLI process from /proc/<pid>/stat (all its threads), at the last 25 ms poll.",
  ];
  const out = [
    table,
    ...(calls ? ["", calls] : []),
    ...(metadataTable
      ? ["", "Metadata (bench/metadata_bench.ts):", metadataTable]
      : []),
    "",
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
  console.log(out);
  if (errors.length > 0) {
    console.log(`\n${errors.length} measurement(s) failed:`);
    for (const e of errors) console.log(`\n${e}`);
  }

  const name = settings.quick ? "latest-quick" : "latest";
  const resultsDir = join(ROOT, "bench", "results");
  await Deno.mkdir(resultsDir, { recursive: true });
  const json = {
    schemaVersion: 1,
    date,
    mode: settings.quick ? "quick" : "full",
    command: `deno run -A ${
      typeof (globalThis as { gc?: unknown }).gc === "function"
        ? "--v8-flags=--expose-gc "
        : ""
    }bench/run.ts ${Deno.args.join(" ")}`.trim(),
    durationMs: Math.round(totalMs),
    environment: { ...await environment(), latencyMs: settings.latencyMs },
    rows,
    errors,
    notes,
    details,
  };
  await Deno.writeTextFile(
    join(resultsDir, `${name}.json`),
    JSON.stringify(json, null, 2) + "\n",
  );
  await Deno.writeTextFile(
    join(resultsDir, `${name}.md`),
    `# flickr-backup benchmark (${json.mode})\n\n${date}, Deno ${json.environment.deno}, ${json.environment.os}/${json.environment.arch}, ${json.environment.cores} cores (${json.environment.cpu}); \`${json.command}\`\n\n${out}\n${
      errors.length
        ? `\n${errors.length} measurement(s) failed: see ${name}.json\n`
        : ""
    }`,
  );
  log(`wrote bench/results/${name}.json and ${name}.md`);
  if (errors.length > 0) return 1;
  if (settings.strict && rows.some((r) => r.verdict === "MISS")) return 2;
  return 0;
}

Deno.exit(await main());
