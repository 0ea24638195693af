/**
 * `flickr-backup verify [--dir] [--repair]`: re-checks every recorded file
 * against the state (size, SHA-256, JPEG structure, sidecars) without
 * calling Flickr. `--repair` moves the bad files to
 * `.trash/verify-YYYYMMDD-HHMMSS/`, marks their photos for download, runs a
 * normal backup, and checks the repaired photos again.
 *
 * @module
 */

import { join } from "node:path";
import { ExitCode, InterruptedError, LocalFatalError } from "../../errors.ts";
import {
  markForRepair,
  moveAside,
  onlyPhotos,
  repairPlan,
  verifyBackup,
  type VerifyProblem,
  type VerifyResult,
} from "../../app/verify.ts";
import { LAST_VERIFY_KEY } from "../../app/status.ts";
import { acquireLock } from "../../platform/lock.ts";
import { STATE_FILE, StateStore } from "../../state/state_store.ts";
import { formatBytes, TerminalReporter } from "../output.ts";
import {
  type BackupCommandOptions,
  backupDir,
  type CliDeps,
  type CommonOptions,
} from "../options.ts";
import {
  openExistingState,
  requireBackupFolder,
} from "../../app/open_state.ts";

/** Flags of `verify`; the backup flags only matter with `--repair`. */
export interface VerifyCommandOptions extends CommonOptions {
  repair?: true | undefined;
  concurrency?: number | undefined;
  albumLinks?: "hardlink" | "copy" | "symlink" | undefined;
  embed?: boolean | undefined;
  timeout?: number | undefined;
  retryDelay?: number | undefined;
  apiBudget?: number | undefined;
}

/** What `verify --repair` runs (cli.ts passes the `backup` command). */
export interface VerifyCommandHooks {
  /** The backup run of `--repair`. */
  runBackup: (
    deps: CliDeps,
    options: BackupCommandOptions,
  ) => Promise<number>;
}

/** How many problem lines are printed before "… N more". */
const SHOWN_PROBLEMS = 200;

/** Runs `verify`; returns the exit code (0 all well, 3 problems remain). */
export async function runVerifyCommand(
  deps: CliDeps,
  options: VerifyCommandOptions,
  hooks: VerifyCommandHooks,
): Promise<number> {
  const dir = backupDir(deps, options.dir);
  await requireBackupFolder(dir); // before the lock: no stack trace
  const quiet = options.quiet ?? false;
  const out = (text: string) => deps.terminal.out(text + "\n");
  const controller = new AbortController();
  const removeSignals = deps.onSignal((signal) => {
    if (controller.signal.aborted) {
      deps.exitNow(
        signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated,
      );
    }
    controller.abort(new InterruptedError(signal));
  });
  let plan: ReturnType<typeof repairPlan>;
  let first: VerifyResult;
  try {
    // The lock keeps a backup from changing files while they are read.
    await using _lock = await lockForVerify(deps, dir, options.repair ?? false);
    first = await check(deps, dir, quiet, controller.signal);
    const clean = first.problems.length === 0;
    if (clean || !options.repair) {
      recordVerify(dir, deps, first, 0);
      if (clean) {
        if (!quiet) out(cleanLine(first));
        return ExitCode.Ok;
      }
      out(problemReport(dir, first));
      out(
        `Run "flickr-backup verify --repair --dir ${dir}" to move the bad files to .trash/ and fetch them again from Flickr.`,
      );
      return ExitCode.Partial;
    }
    out(problemReport(dir, first));
    plan = repairPlan(first.problems);
    if (!plan.photoIds.length) {
      recordVerify(dir, deps, first, 0);
      out(unrepairableReport(plan.unrepairable));
      return ExitCode.Partial;
    }
    // Move first, then mark: a crash in between leaves a missing file that
    // the next verify reports, never a bad file a run would overwrite.
    const moved = await moveAside(dir, plan.paths, new Date(deps.clock.now()));
    const store = StateStore.open(join(dir, STATE_FILE));
    try {
      markForRepair(store, first.problems);
    } finally {
      store.close();
    }
    if (moved.moved.length) {
      out(`Moved ${moved.moved.length} bad file(s) to ${moved.trashDir}/`);
    }
    out(`Fetching ${plan.photoIds.length} photo(s) again from Flickr…`);
  } catch (error) {
    if (error instanceof InterruptedError) {
      deps.terminal.err("Stopped: nothing was changed.\n");
      return error.exitCode;
    }
    throw error;
  } finally {
    removeSignals();
  }

  // The backup command takes the lock itself: ours is released above.
  const backupCode = await hooks.runBackup(deps, {
    dir,
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    quiet,
    concurrency: options.concurrency ?? 4,
    albumLinks: options.albumLinks ?? "hardlink",
    embed: options.embed ?? true,
    timeout: options.timeout ?? 120,
    retryDelay: options.retryDelay ?? 1000,
    apiBudget: options.apiBudget,
  });
  if (backupCode !== ExitCode.Ok && backupCode !== ExitCode.Partial) {
    return backupCode; // interrupted, locked, signed out…: already reported
  }

  // Check the repaired photos again (the rest was checked moments ago).
  await using _lock = await acquireLock(dir, { clock: deps.clock });
  const reader = await openExistingState(dir);
  let again: VerifyResult;
  try {
    const ids = new Set(plan.photoIds);
    again = await verifyBackup(dir, onlyPhotos(reader, ids));
    for (const id of plan.photoIds) {
      const state = reader.photoStatus(id);
      if (state?.status !== "done") {
        again.problems.push({
          photoId: id,
          relPath: "",
          kind: "missing",
          detail: `was not fetched again: ${
            state?.lastError || "the backup did not finish it"
          }`,
          repairable: true,
        });
      }
    }
  } finally {
    reader.close();
  }
  const remaining = [...again.problems, ...plan.unrepairable];
  const repaired =
    plan.photoIds.filter((id) =>
      !again.problems.some((problem) => problem.photoId === id)
    ).length;
  recordVerify(dir, deps, { ...first, problems: remaining }, repaired);
  if (!remaining.length) {
    out(
      `Repaired: ${repaired} photo(s) fetched again and verified; all ${first.checked} photos and videos are intact.`,
    );
    return ExitCode.Ok;
  }
  out(
    `After the repair, ${remaining.length} problem(s) remain (${repaired} photo(s) repaired):`,
  );
  out(problemLines(remaining));
  if (plan.unrepairable.length) out(unrepairableReport(plan.unrepairable));
  return ExitCode.Partial;
}

/**
 * Takes the run lock. A plain verify of a folder that cannot be written
 * (read-only media, an archive) goes on without it: no backup can change
 * files there either.
 */
async function lockForVerify(
  deps: CliDeps,
  dir: string,
  repair: boolean,
): Promise<AsyncDisposable> {
  try {
    return await acquireLock(dir, { clock: deps.clock });
  } catch (error) {
    if (repair || !(error instanceof LocalFatalError)) throw error;
    deps.terminal.err(
      `warning: verifying without the lock: ${error.message}\n`,
    );
    return { [Symbol.asyncDispose]: () => Promise.resolve() };
  }
}

async function check(
  deps: CliDeps,
  dir: string,
  quiet: boolean,
  signal: AbortSignal,
): Promise<VerifyResult> {
  const reader = await openExistingState(dir);
  const reporter = new TerminalReporter({
    terminal: deps.terminal,
    clock: deps.clock,
    quiet,
    secrets: [],
  });
  try {
    return await verifyBackup(dir, reader, {
      signal,
      onProgress: (progress) => reporter.progress(progress),
    });
  } finally {
    reporter.close();
    reader.close();
  }
}

/** Records the outcome for `status` (best effort: never fails a verify). */
function recordVerify(
  dir: string,
  deps: CliDeps,
  result: VerifyResult,
  repaired: number,
): void {
  try {
    const store = StateStore.open(join(dir, STATE_FILE));
    try {
      store.setMeta(
        LAST_VERIFY_KEY,
        JSON.stringify({
          at: new Date(deps.clock.now()).toISOString(),
          checked: result.checked,
          files: result.files,
          problems: result.problems.length,
          repaired,
        }),
      );
    } finally {
      store.close();
    }
  } catch {
    // The state is readable (it was just verified); a write failure here
    // must not hide the verification result.
  }
}

function cleanLine(result: VerifyResult): string {
  return `All ${result.checked} photos and videos verified: ${result.files} files, ${
    formatBytes(result.bytes)
  } read, no problems.`;
}

/** The problem list, one line per bad path. */
export function problemReport(dir: string, result: VerifyResult): string {
  const photos = new Set(result.problems.map((p) => p.photoId)).size;
  return [
    `${result.problems.length} problem(s) in ${photos} of ${result.checked} photos and videos in ${dir}:`,
    problemLines(result.problems),
  ].join("\n");
}

function problemLines(problems: VerifyProblem[]): string {
  const lines = problems.slice(0, SHOWN_PROBLEMS).map((problem) =>
    `  ${
      problem.relPath || `photo ${problem.photoId}`
    }: ${problem.kind}: ${problem.detail}`
  );
  if (problems.length > SHOWN_PROBLEMS) {
    lines.push(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
  }
  return lines.join("\n");
}

function unrepairableReport(problems: VerifyProblem[]): string {
  const ids = [...new Set(problems.map((p) => p.photoId))];
  return `${ids.length} photo(s) cannot be fetched again (deleted on Flickr, or a recorded path outside the backup folder): ${
    ids.slice(0, 20).join(", ")
  }${ids.length > 20 ? ", …" : ""}`;
}
