/**
 * `flickr-backup verify [--dir] [--repair]`: re-checks every recorded file
 * against the state (size, SHA-256, JPEG structure, sidecars) without
 * calling Flickr. `--repair` moves the bad files to
 * `.trash/verify-YYYYMMDD-HHMMSS/`, marks their photos for download, runs a
 * normal backup, and checks the repaired photos again.
 *
 * @module
 */

import { ExitCode, InterruptedError } from "../../errors.ts";
import type { VerifyProblem, VerifyResult } from "../../app/verify.ts";
import { verifyFolder } from "../../app/verify_run.ts";
import { formatBytes, TerminalReporter } from "../output.ts";
import { interruptOnSignals } from "../run_shell.ts";
import {
  type BackupCommandOptions,
  backupDir,
  type CliDeps,
  type CommonOptions,
} from "../options.ts";

/** Flags of `verify`; the backup flags only matter with `--repair`. */
export interface VerifyCommandOptions extends CommonOptions {
  repair?: true | undefined;
  concurrency?: number | "auto" | undefined;
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
  const quiet = options.quiet ?? false;
  const out = (text: string) => deps.terminal.out(text + "\n");
  const progress = new TerminalReporter({
    terminal: deps.terminal,
    clock: deps.clock,
    quiet,
    secrets: [],
  });
  // Ctrl-C stops the check; the backup of --repair handles its own.
  using interrupt = interruptOnSignals(deps);
  let outcome;
  try {
    outcome = await verifyFolder({
      dir,
      clock: deps.clock,
      repair: options.repair ?? false,
      signal: interrupt.signal,
      onProgress: (update) => progress.progress(update),
      warn: (message) => deps.terminal.err(`warning: ${message}\n`),
      onRepair: (step) => {
        progress.close();
        if (step.kind === "found") {
          out(problemReport(dir, step.result));
          return;
        }
        if (step.moved.length) {
          out(`Moved ${step.moved.length} bad file(s) to ${step.trashDir}/`);
        }
        out(`Fetching ${step.photos} photo(s) again from Flickr…`);
      },
      runBackup: () => {
        interrupt[Symbol.dispose]();
        return hooks.runBackup(deps, {
          dir,
          apiKey: options.apiKey,
          apiSecret: options.apiSecret,
          quiet,
          concurrency: options.concurrency,
          albumLinks: options.albumLinks ?? "hardlink",
          embed: options.embed ?? true,
          timeout: options.timeout ?? 120,
          retryDelay: options.retryDelay ?? 1000,
          apiBudget: options.apiBudget,
        });
      },
    });
  } catch (error) {
    if (error instanceof InterruptedError) {
      deps.terminal.err("Stopped: nothing was changed.\n");
      return error.exitCode;
    }
    throw error;
  } finally {
    progress.close();
  }
  switch (outcome.kind) {
    case "checked": {
      const first = outcome.result;
      if (first.problems.length === 0) {
        if (!quiet) out(cleanLine(first));
        return ExitCode.Ok;
      }
      out(problemReport(dir, first));
      out(
        `Run "flickr-backup verify --repair --dir ${dir}" to move the bad files to .trash/ and fetch them again from Flickr.`,
      );
      return ExitCode.Partial;
    }
    case "unrepairable":
      out(unrepairableReport(outcome.plan.unrepairable));
      return ExitCode.Partial;
    case "backup-failed":
      return outcome.exitCode; // interrupted, locked, signed out…: reported
    case "repaired": {
      const { remaining, repaired, plan } = outcome;
      if (!remaining.length) {
        out(
          `Repaired: ${repaired} photo(s) fetched again and verified; all ${outcome.result.checked} photos and videos are intact.`,
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
