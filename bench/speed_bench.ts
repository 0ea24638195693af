/**
 * Benchmark rows of issue 16 (called from `bench/run.ts`, which owns the
 * child processes, the fake Flickr and the result table):
 *
 * - `small`: a full backup of 10,000 × ~20 KB photos (`--no-site`: the
 *   offline site has its own rows; default `--concurrency`, i.e. automatic:
 *   4 to 32 downloads at once by file size) against a plain parallel
 *   download of the same URLs (same disk) 4 at once (the yardstick,
 *   the goal row) and 32 at once (the backup's most downloads at once: the
 *   like-for-like row), at 0 and 20 ms added latency, with the tool's CPU
 *   time (user + system) per photo and its peak RSS, and the I/O floor of
 *   the same URLs: each body and a sidecar written durably as the backup
 *   writes them (temp, fsync, rename), 32 at once, no checks, metadata or
 *   state: the CPU any tool with the same durability pays in Deno and the
 *   kernel, so the backup's own work reads as the difference. The backup and
 *   the floor run once more on a RAM disk (`kit.ramDisk`, a tmpfs; see
 *   `--ram-disk` in run.ts), where the disk's own kernel work (block
 *   allocation, journal, device flushes) is nearly gone and the tool's CPU
 *   is what is left. `--quick`: 300
 *   photos.
 * - `big`: a 100,000-photo account, listing and state only (originals are
 *   withheld and `--originals-only` is given, so nothing is downloaded):
 *   peak RSS, API calls and time of the first run and of a no-change rerun.
 *   Not in `--quick`.
 *
 * @module
 */

import {
  bigAccount,
  type FakeFlickr,
  startFakeFlickr,
} from "../tests/fake_flickr/mod.ts";
import { signIn } from "../tests/helpers/backup_fixture.ts";
import { AUTO_CAP } from "../src/download/download_pace.ts";

type Verdict = "OK" | "MISS" | "ERROR" | "n/a" | "-";

/** What a child process run reports (see `measure` in run.ts). */
export interface Measured {
  code: number;
  wallMs: number;
  peakRssBytes: number | undefined;
  cpuMs: number | undefined;
  /** The system (kernel) part of `cpuMs`. */
  sysMs: number | undefined;
}

/** A CLI backup as run.ts measures it. */
export interface MeasuredBackup extends Measured {
  files: Map<string, number>;
  fileBytes: number;
  callsTotal: number;
}

/** The parts of run.ts these rows use. */
export interface SpeedKit {
  quick: boolean;
  concurrency: number;
  backup(
    flickr: FakeFlickr,
    dir: string,
    args?: string[],
  ): Promise<MeasuredBackup>;
  checkRun(
    label: string,
    run: MeasuredBackup,
    expect: { listed: number; downloaded: number },
  ): boolean;
  /**
   * Downloads `urls`, `concurrency` at once (default: the kit's); with
   * `durable`, as the I/O floor (see bench/_plain_download.ts).
   */
  plainDownload(
    urls: string[],
    concurrency?: number,
    durable?: boolean,
  ): Promise<Measured & { bytes: number; files: number }>;
  freshDir(name: string): Promise<string>;
  removeDir(dir: string): Promise<void>;
  /** A folder on a RAM disk (tmpfs), when there is one. */
  ramDisk?: string;
  /** Runs `fn` with the kit's folders under `parent`. */
  withTmp<T>(parent: string, fn: () => Promise<T>): Promise<T>;
  row(
    section: "small" | "big",
    measure: string,
    value: string,
    goal?: string,
    verdict?: Verdict,
  ): void;
  fail(message: string): void;
  log(text: string): void;
  details: Record<string, unknown>;
}

const MB = 1_000_000;
const count = (n: number) => n.toLocaleString("en-US");
const seconds = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / MB).toFixed(1)} MB`;
const judge = (ok: boolean | undefined): Verdict =>
  ok === undefined ? "n/a" : ok ? "OK" : "MISS";

/** Goals of issue 16. */
const CPU_PER_PHOTO_GOAL_MS = 1.5;
const RATIO_GOAL = 0.8;
const RATIO_GOAL_LATENCY_MS = 20;
const RSS_10K_GOAL = 150 * MB;
const RSS_100K_GOAL = 200 * MB;
/** The backup's most downloads at once with no --concurrency. */
const BACKUP_MAX_PARALLEL = AUTO_CAP;

/** The system (kernel) share of a run's CPU time, e.g. "41 %". */
function kernelShare(run: Measured): string {
  return run.cpuMs && run.sysMs !== undefined
    ? `${Math.round((run.sysMs / run.cpuMs) * 100)} %`
    : "n/a";
}

/** 10,000 × 20 KB: backup ÷ plain download and CPU per photo. */
export async function sectionSmallFiles(kit: SpeedKit): Promise<void> {
  const photos = kit.quick ? 300 : 10_000;
  const albums = kit.quick ? 5 : 60;
  const bytesPerPhoto = 20_000;
  const results: Record<string, unknown>[] = [];
  if (!kit.ramDisk) {
    kit.log(
      "small: no RAM-disk rows (no tmpfs this process can write was found, or --ram-disk none); --ram-disk DIR names one",
    );
  }
  for (const latencyMs of [0, RATIO_GOAL_LATENCY_MS]) {
    const what = `${count(photos)} × 20 KB at ${latencyMs} ms, --no-site`;
    kit.log(`small: full backup of ${what}`);
    const account = bigAccount({ photos, albums, bytesPerPhoto, seed: 21 });
    await using flickr = await startFakeFlickr({ account, latencyMs });
    const dir = await kit.freshDir(`small-${latencyMs}`);
    await signIn(flickr, dir);
    // The offline site is left out: its first generation has its own rows
    // (section "site"), and the plain download builds none either. No
    // --concurrency: the default (automatic) is what users get.
    const run = await kit.backup(flickr, dir, ["--no-site"]);
    await kit.removeDir(dir);
    if (
      !kit.checkRun(`small: backup of ${what}`, run, {
        listed: photos,
        downloaded: photos,
      })
    ) {
      kit.row("small", `full backup, ${what}`, "-", "", "ERROR");
      continue;
    }
    const urls = [...run.files.keys()];
    const plains = new Map<number, Measured & { bytes: number }>();
    for (const parallel of [kit.concurrency, BACKUP_MAX_PARALLEL]) {
      kit.log(
        `small: plain download of the same ${urls.length} URLs, ${parallel} at once`,
      );
      const plain = await kit.plainDownload(urls, parallel);
      if (plain.code !== 0 || plain.files !== urls.length) {
        kit.fail(
          `small: plain download (${parallel} at once) exited ${plain.code} with ${plain.files}/${urls.length} files`,
        );
        continue;
      }
      plains.set(parallel, plain);
    }
    kit.log(
      `small: I/O floor for the same ${urls.length} URLs (durable writes), ${BACKUP_MAX_PARALLEL} at once`,
    );
    const floor = await kit.plainDownload(urls, BACKUP_MAX_PARALLEL, true);
    if (floor.code !== 0 || floor.files !== urls.length) {
      kit.fail(
        `small: I/O floor exited ${floor.code} with ${floor.files}/${urls.length} files`,
      );
    }
    const floorCpu = floor.code === 0 && floor.cpuMs !== undefined
      ? floor.cpuMs / photos
      : undefined;
    const ram = kit.ramDisk
      ? await onRamDisk(kit, kit.ramDisk, flickr, what, photos, urls)
      : undefined;
    const plain = plains.get(kit.concurrency);
    const plainMax = plains.get(BACKUP_MAX_PARALLEL);
    if (!plain || !plainMax) {
      kit.row("small", `plain download, ${what}`, "-", "", "ERROR");
      continue;
    }
    const ratio = plain.wallMs / run.wallMs;
    const ratioMax = plainMax.wallMs / run.wallMs;
    const cpuPerPhoto = run.cpuMs === undefined
      ? undefined
      : run.cpuMs / photos;
    const plainCpu = plain.cpuMs === undefined
      ? undefined
      : plain.cpuMs / photos;
    const gated = latencyMs === RATIO_GOAL_LATENCY_MS;
    kit.row(
      "small",
      `backup (auto, ≤ ${BACKUP_MAX_PARALLEL} at once) ÷ plain download ${kit.concurrency} at once, ${what}`,
      `${ratio.toFixed(2)} (backup ${seconds(run.wallMs)}, plain ${
        seconds(plain.wallMs)
      }, ${run.callsTotal} API calls)`,
      gated ? `≥ ${RATIO_GOAL}` : "—",
      gated ? judge(ratio >= RATIO_GOAL) : "-",
    );
    kit.row(
      "small",
      `backup ÷ plain download ${BACKUP_MAX_PARALLEL} at once (same most parallelism), ${what}`,
      `${ratioMax.toFixed(2)} (plain ${seconds(plainMax.wallMs)})`,
      "—",
      "-",
    );
    kit.row(
      "small",
      `tool CPU per photo, ${what}`,
      cpuPerPhoto === undefined
        ? "n/a"
        : `${cpuPerPhoto.toFixed(2)} ms (user+sys ${
          seconds(run.cpuMs ?? 0)
        }, of which kernel ${kernelShare(run)}; plain download ${
          plainCpu?.toFixed(2) ?? "n/a"
        } ms)`,
      `≤ ${CPU_PER_PHOTO_GOAL_MS} ms`,
      judge(
        cpuPerPhoto === undefined
          ? undefined
          : cpuPerPhoto <= CPU_PER_PHOTO_GOAL_MS,
      ),
    );
    kit.row(
      "small",
      `I/O floor: CPU per photo of fetching and writing each file and a sidecar durably (temp, fsync, rename), ${BACKUP_MAX_PARALLEL} at once, ${what}`,
      floorCpu === undefined || cpuPerPhoto === undefined
        ? "n/a"
        : `${floorCpu.toFixed(2)} ms, of which kernel ${
          kernelShare(floor)
        } (the backup's own work above it: ${
          (cpuPerPhoto - floorCpu).toFixed(2)
        } ms)`,
      "—",
      "-",
    );
    if (ram) {
      const cpu = ram.backup.cpuMs === undefined
        ? undefined
        : ram.backup.cpuMs / photos;
      const floorRam = ram.floor.cpuMs === undefined
        ? undefined
        : ram.floor.cpuMs / photos;
      kit.row(
        "small",
        `tool CPU per photo on a RAM disk (${ram.dir}), ${what}`,
        cpu === undefined
          ? "n/a"
          : `${cpu.toFixed(2)} ms (kernel ${
            kernelShare(ram.backup)
          }; I/O floor there ${
            floorRam?.toFixed(2) ?? "n/a"
          } ms, own work above it ${
            floorRam === undefined ? "n/a" : (cpu - floorRam).toFixed(2)
          } ms)`,
        `≤ ${CPU_PER_PHOTO_GOAL_MS} ms`,
        judge(cpu === undefined ? undefined : cpu <= CPU_PER_PHOTO_GOAL_MS),
      );
    }
    if (latencyMs === 0) {
      kit.row(
        "small",
        `peak RSS, full backup of ${count(photos)} × 20 KB (--no-site)`,
        mb(run.peakRssBytes),
        "≤ 150 MB",
        judge(
          run.peakRssBytes === undefined
            ? undefined
            : run.peakRssBytes <= RSS_10K_GOAL,
        ),
      );
    }
    results.push({
      latencyMs,
      photos,
      albums,
      bytesPerPhoto,
      backup: {
        wallMs: Math.round(run.wallMs),
        cpuMs: run.cpuMs,
        sysMs: run.sysMs,
        peakRssBytes: run.peakRssBytes,
        apiCalls: run.callsTotal,
        bytes: run.fileBytes,
      },
      backupConcurrency: `automatic (4 to ${BACKUP_MAX_PARALLEL} by file size)`,
      plain: {
        concurrency: kit.concurrency,
        wallMs: Math.round(plain.wallMs),
        cpuMs: plain.cpuMs,
        sysMs: plain.sysMs,
        peakRssBytes: plain.peakRssBytes,
        bytes: plain.bytes,
      },
      plainSameParallelism: {
        concurrency: BACKUP_MAX_PARALLEL,
        wallMs: Math.round(plainMax.wallMs),
        cpuMs: plainMax.cpuMs,
        bytes: plainMax.bytes,
      },
      ioFloor: {
        concurrency: BACKUP_MAX_PARALLEL,
        wallMs: Math.round(floor.wallMs),
        cpuMs: floor.cpuMs,
        sysMs: floor.sysMs,
        files: floor.files,
      },
      ...(ram
        ? {
          ramDisk: {
            dir: ram.dir,
            backup: {
              wallMs: Math.round(ram.backup.wallMs),
              cpuMs: ram.backup.cpuMs,
              sysMs: ram.backup.sysMs,
              peakRssBytes: ram.backup.peakRssBytes,
            },
            ioFloor: {
              wallMs: Math.round(ram.floor.wallMs),
              cpuMs: ram.floor.cpuMs,
              sysMs: ram.floor.sysMs,
            },
          },
        }
        : {}),
      ratio,
      ratioSameParallelism: ratioMax,
      cpuPerPhotoMs: cpuPerPhoto,
      ioFloorCpuPerPhotoMs: floorCpu,
    });
  }
  kit.details.small = results;
}

/**
 * The backup and its I/O floor once more with their folders on the RAM disk
 * `dir`; undefined (and reported) when either run fails.
 */
async function onRamDisk(
  kit: SpeedKit,
  dir: string,
  flickr: FakeFlickr,
  what: string,
  photos: number,
  urls: string[],
): Promise<{ dir: string; backup: Measured; floor: Measured } | undefined> {
  return await kit.withTmp(dir, async () => {
    kit.log(`small: full backup of ${what} on a RAM disk (${dir})`);
    const target = await kit.freshDir("small-ram");
    await signIn(flickr, target);
    const backup = await kit.backup(flickr, target, ["--no-site"]);
    if (
      !kit.checkRun(`small: backup of ${what} on a RAM disk`, backup, {
        listed: photos,
        downloaded: photos,
      })
    ) return undefined;
    kit.log(`small: I/O floor for the same ${urls.length} URLs on a RAM disk`);
    const floor = await kit.plainDownload(urls, BACKUP_MAX_PARALLEL, true);
    if (floor.code !== 0 || floor.files !== urls.length) {
      kit.fail(
        `small: I/O floor on a RAM disk exited ${floor.code} with ${floor.files}/${urls.length} files`,
      );
      return undefined;
    }
    return { dir, backup, floor };
  });
}

/** 100,000 photos: listing and state only, peak RSS. */
export async function sectionHundredThousand(kit: SpeedKit): Promise<void> {
  const photos = 100_000;
  const albums = 200;
  kit.log(
    `big: ${
      count(photos)
    } photos / ${albums} albums, listing and state only (no downloads)`,
  );
  const account = bigAccount({ photos, albums, seed: 31 });
  for (const photo of account.photos.values()) photo.originalAvailable = false;
  await using flickr = await startFakeFlickr({ account, latencyMs: 0 });
  const dir = await kit.freshDir("big");
  await signIn(flickr, dir);
  const args = ["--originals-only"];
  const first = await kit.backup(flickr, dir, args);
  const firstOk = first.code === 0 || first.code === 3;
  if (!firstOk || first.files.size !== 0) {
    kit.fail(
      `big: first run exited ${first.code} after fetching ${first.files.size} files`,
    );
  }
  kit.log("big: no-change rerun");
  const rerun = await kit.backup(flickr, dir, args);
  await kit.removeDir(dir);
  const label = `${count(photos)} photos, ${albums} albums`;
  kit.row(
    "big",
    `peak RSS, first run of ${label} (listing + state)`,
    `${mb(first.peakRssBytes)}; ${
      seconds(first.wallMs)
    }, ${first.callsTotal} API calls, CPU ${seconds(first.cpuMs ?? 0)}`,
    "≤ 200 MB",
    firstOk
      ? judge(
        first.peakRssBytes === undefined
          ? undefined
          : first.peakRssBytes <= RSS_100K_GOAL,
      )
      : "ERROR",
  );
  const rerunOk = rerun.code === 0 || rerun.code === 3;
  kit.row(
    "big",
    `no-change rerun of ${label}`,
    `${rerun.callsTotal} API calls, ${seconds(rerun.wallMs)}, ${
      mb(rerun.peakRssBytes)
    } peak RSS`,
    "≤ 5 calls, ≤ 200 MB",
    rerunOk
      ? judge(
        rerun.callsTotal <= 5 &&
          (rerun.peakRssBytes === undefined ||
            rerun.peakRssBytes <= RSS_100K_GOAL),
      )
      : "ERROR",
  );
  kit.details.big = {
    photos,
    albums,
    note:
      "originals withheld and --originals-only: every photo is listed and recorded (skipped), none downloaded; exit 3 is expected",
    first: {
      code: first.code,
      wallMs: Math.round(first.wallMs),
      cpuMs: first.cpuMs,
      peakRssBytes: first.peakRssBytes,
      apiCalls: first.callsTotal,
    },
    rerun: {
      code: rerun.code,
      wallMs: Math.round(rerun.wallMs),
      cpuMs: rerun.cpuMs,
      peakRssBytes: rerun.peakRssBytes,
      apiCalls: rerun.callsTotal,
    },
  };
}
