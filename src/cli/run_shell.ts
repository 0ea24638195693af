/**
 * The shell around the commands that run on a backup folder (`backup`,
 * `import`; `verify` uses its signal handling): the run's log file, Ctrl-C
 * (the first stops cleanly, the second at once), and the tail every run
 * ends with: the summary printed and logged, `last_run.json`, the offline
 * site refreshed, the exit code.
 *
 * @module
 */

import { configure, dispose, getLogger, type Logger } from "@logtape/logtape";
import { lineFileSink } from "./log_sink.ts";
import { ExitCode, InterruptedError } from "../errors.ts";
import { redact } from "../redact.ts";
import { refreshSiteAfterRun, TerminalReporter } from "./output.ts";
import type { CliDeps } from "./options.ts";

/** SIGINT/SIGTERM turned into an abort signal; dispose to stop listening. */
export interface Interrupt extends Disposable {
  /** Aborted (with an {@link InterruptedError}) by the first signal. */
  signal: AbortSignal;
}

/**
 * Listens for SIGINT/SIGTERM: the first calls `onFirst` and aborts the
 * signal; the second ends the process at once.
 */
export function interruptOnSignals(
  deps: CliDeps,
  onFirst?: (signal: "SIGINT" | "SIGTERM") => void,
): Interrupt {
  const controller = new AbortController();
  const remove = deps.onSignal((signal) => {
    if (controller.signal.aborted) {
      deps.terminal.err("\nStopped at once.\n");
      deps.exitNow(
        signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated,
      );
    }
    onFirst?.(signal);
    controller.abort(new InterruptedError(signal));
  });
  let removed = false;
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      if (!removed) remove();
      removed = true;
    },
  };
}

/** The backup folder a run holds (locked; dispose to prune logs, unlock). */
export interface HeldFolder {
  /** Path of this run's log file (not created yet). */
  logPath: string;
  /** Leftover temporary files of a killed run that were removed. */
  swept: number;
  /** Writes `last_run.json` (the summary and the log's path), atomically. */
  writeLastRun(summary: unknown): Promise<void>;
}

/** What every run's summary has. */
export interface RunResult {
  result: string;
  exitCode: number;
}

/** How one command runs in the shell. */
export interface RunShellOptions<S extends RunResult> {
  dir: string;
  folder: HeldFolder;
  quiet: boolean;
  /** Refresh the offline site after the run (`--no-site` turns it off). */
  site: boolean;
  /** The run log's first line. */
  startLine: string;
  /** What the first Ctrl-C says, after "SIGINT received: ". */
  stopping: string;
  /** The log line's start when the run fails, e.g. "run failed". */
  failure: string;
  /** The end-of-run report. */
  render(summary: S, logPath: string): string;
}

/** What the run inside the shell gets. */
export interface RunContext {
  reporter: TerminalReporter;
  logger: Logger;
  /** Aborted by the first Ctrl-C. */
  signal: AbortSignal;
  /** Values redacted from the terminal and the log; add as they appear. */
  secrets: string[];
}

/**
 * Runs `run` with the log, the reporter and Ctrl-C handling set up, then
 * reports its summary; returns the exit code.
 */
export async function runInShell<S extends RunResult>(
  deps: CliDeps,
  options: RunShellOptions<S>,
  run: (context: RunContext) => Promise<S>,
): Promise<number> {
  const { folder, quiet } = options;
  // Lines written at once, one fsync when the log is closed.
  await configure({
    reset: true,
    sinks: { file: lineFileSink(folder.logPath) },
    loggers: [
      { category: ["flickr-backup"], lowestLevel: "info", sinks: ["file"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
  });
  const logger = getLogger(["flickr-backup"]);
  const secrets: string[] = [];
  const reporter = new TerminalReporter({
    terminal: deps.terminal,
    logger,
    clock: deps.clock,
    quiet,
    secrets,
  });
  using interrupt = interruptOnSignals(deps, (signal) => {
    reporter.warn(`${signal} received: ${options.stopping}`);
  });
  const { signal } = interrupt;
  try {
    logger.info(options.startLine);
    if (folder.swept) {
      reporter.detail(`removed ${folder.swept} leftover temporary file(s)`);
    }
    let summary: S;
    try {
      summary = await run({ reporter, logger, signal, secrets });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error;
    }
    reporter.close();
    const report = options.render(summary, folder.logPath);
    logger.info(report);
    // The summary is printed even with --quiet when something is wrong.
    if (!quiet || summary.result !== "complete") {
      deps.terminal.out(report + "\n");
    }
    await folder.writeLastRun(summary);
    if (summary.result !== "interrupted" && options.site) {
      await refreshSiteAfterRun(deps, options.dir, quiet);
    }
    if (summary.result === "interrupted") {
      return signal.reason instanceof InterruptedError
        ? signal.reason.exitCode
        : ExitCode.Interrupted;
    }
    return summary.exitCode;
  } catch (error) {
    reporter.close();
    const message = error instanceof Error ? error.message : String(error);
    logger.error(`${options.failure}: ${redact(message, secrets)}`);
    if (error instanceof InterruptedError) {
      deps.terminal.err(`Stopped: state saved; run again to continue.\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    await dispose();
  }
}
