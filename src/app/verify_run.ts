/**
 * The verify use case the CLI calls: under the run lock, every recorded
 * file is checked (verify.ts); with `repair`, the bad files are moved to
 * `.trash/verify-…/`, their photos marked for download, a normal backup
 * fetches them again (the caller's `runBackup`, which takes the lock
 * itself) and the repaired photos are checked again. The outcome is
 * recorded for `status`.
 *
 * @module
 */

import { join } from "node:path";
import { ExitCode, LocalFatalError } from "../errors.ts";
import { acquireLock } from "../platform/lock.ts";
import type { Clock } from "../platform/clock.ts";
import { STATE_FILE, StateStore } from "../state/state_store.ts";
import { openExistingState, requireBackupFolder } from "./open_state.ts";
import type { Progress } from "./reporter.ts";
import { LAST_VERIFY_KEY } from "./status.ts";
import {
  markForRepair,
  moveAside,
  onlyPhotos,
  type RepairPlan,
  repairPlan,
  verifyBackup,
  type VerifyProblem,
  type VerifyResult,
} from "./verify.ts";

/** A step of `--repair` the user is told about as it happens. */
export type RepairStep =
  /** Problems were found; the repair starts. */
  | { kind: "found"; result: VerifyResult }
  /** Bad files moved aside; the backup that fetches them again starts. */
  | { kind: "fetching"; trashDir: string; moved: string[]; photos: number };

/** What {@link verifyFolder} needs. */
export interface VerifyFolderInput {
  dir: string;
  clock: Clock;
  repair: boolean;
  /** Stops the check (before anything was changed). */
  signal: AbortSignal;
  onProgress(progress: Progress): void;
  /** A warning that does not stop the verify (e.g. no lock). */
  warn(message: string): void;
  onRepair(step: RepairStep): void;
  /** The backup run of a repair; returns its exit code. */
  runBackup(): Promise<number>;
}

/** How a verify ended. */
export type VerifyOutcome =
  /** Checked (no problem, or problems and no `repair`). */
  | { kind: "checked"; result: VerifyResult }
  /** `repair`, but no problem can be repaired. */
  | { kind: "unrepairable"; result: VerifyResult; plan: RepairPlan }
  /** `repair`: the backup run did not finish (its exit code). */
  | { kind: "backup-failed"; exitCode: number }
  /** `repair` done: what remains after fetching and checking again. */
  | {
    kind: "repaired";
    result: VerifyResult;
    plan: RepairPlan;
    remaining: VerifyProblem[];
    repaired: number;
  };

/** Verifies (and with `repair`, repairs) the backup in `input.dir`. */
export async function verifyFolder(
  input: VerifyFolderInput,
): Promise<VerifyOutcome> {
  const { dir, clock } = input;
  await requireBackupFolder(dir); // before the lock: no stack trace
  let first: VerifyResult;
  let plan: RepairPlan;
  {
    // The lock keeps a backup from changing files while they are read.
    await using _lock = await lockForVerify(input);
    first = await check(input);
    if (first.problems.length === 0 || !input.repair) {
      recordVerify(dir, clock, first, 0);
      return { kind: "checked", result: first };
    }
    input.onRepair({ kind: "found", result: first });
    plan = repairPlan(first.problems);
    if (!plan.photoIds.length) {
      recordVerify(dir, clock, first, 0);
      return { kind: "unrepairable", result: first, plan };
    }
    // Move first, then mark: a crash in between leaves a missing file that
    // the next verify reports, never a bad file a run would overwrite.
    const moved = await moveAside(dir, plan.paths, new Date(clock.now()));
    const store = StateStore.open(join(dir, STATE_FILE));
    try {
      markForRepair(store, first.problems);
    } finally {
      store.close();
    }
    input.onRepair({
      kind: "fetching",
      ...moved,
      photos: plan.photoIds.length,
    });
  }

  // The backup takes the lock itself: ours is released above.
  const backupCode = await input.runBackup();
  if (backupCode !== ExitCode.Ok && backupCode !== ExitCode.Partial) {
    return { kind: "backup-failed", exitCode: backupCode };
  }
  const again = await recheck(dir, clock, plan.photoIds);
  const remaining = [...again, ...plan.unrepairable];
  const repaired =
    plan.photoIds.filter((id) =>
      !again.some((problem) => problem.photoId === id)
    ).length;
  recordVerify(dir, clock, { ...first, problems: remaining }, repaired);
  return { kind: "repaired", result: first, plan, remaining, repaired };
}

/**
 * Takes the run lock. A plain verify of a folder that cannot be written
 * (read-only media, an archive) goes on without it: no backup can change
 * files there either.
 */
async function lockForVerify(
  input: VerifyFolderInput,
): Promise<AsyncDisposable> {
  try {
    return await acquireLock(input.dir, { clock: input.clock });
  } catch (error) {
    if (input.repair || !(error instanceof LocalFatalError)) throw error;
    input.warn(`verifying without the lock: ${error.message}`);
    return { [Symbol.asyncDispose]: () => Promise.resolve() };
  }
}

async function check(input: VerifyFolderInput): Promise<VerifyResult> {
  const reader = await openExistingState(input.dir);
  try {
    return await verifyBackup(input.dir, reader, {
      signal: input.signal,
      onProgress: input.onProgress,
    });
  } finally {
    reader.close();
  }
}

/** Checks the repaired photos again (the rest was checked moments ago). */
async function recheck(
  dir: string,
  clock: Clock,
  photoIds: string[],
): Promise<VerifyProblem[]> {
  await using _lock = await acquireLock(dir, { clock });
  const reader = await openExistingState(dir);
  try {
    const again = await verifyBackup(
      dir,
      onlyPhotos(reader, new Set(photoIds)),
    );
    for (const id of photoIds) {
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
    return again.problems;
  } finally {
    reader.close();
  }
}

/** Records the outcome for `status` (best effort: never fails a verify). */
function recordVerify(
  dir: string,
  clock: Clock,
  result: VerifyResult,
  repaired: number,
): void {
  try {
    const store = StateStore.open(join(dir, STATE_FILE));
    try {
      store.setMeta(
        LAST_VERIFY_KEY,
        JSON.stringify({
          at: new Date(clock.now()).toISOString(),
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
