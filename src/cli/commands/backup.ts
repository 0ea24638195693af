/**
 * `flickr-backup backup` (the default command): one locked, logged,
 * interruptible run over the whole account.
 *
 * @module
 */

import { join } from "node:path";
import { configure, dispose, getLogger } from "@logtape/logtape";
import { lineFileSink } from "../log_sink.ts";
import { AuthError, ExitCode, InterruptedError } from "../../errors.ts";
import { flickrEndpoints } from "../../flickr/endpoints.ts";
import { backupAccount, sweepLeftovers } from "../../app/backup_account.ts";
import { openBackupFolder, pruneLogs } from "../../app/backup_folder.ts";
import { runLogin } from "../../app/login_flow.ts";
import { loadTokens, type SavedTokens } from "../../app/tokens_file.ts";
import { atomicWriteFile } from "../../platform/fs.ts";
import { redact } from "../../redact.ts";
import {
  refreshSiteAfterRun,
  renderSummary,
  TerminalReporter,
} from "../output.ts";
import {
  type BackupCommandOptions,
  chooseBackupDir,
  type CliDeps,
  FREE_ACCOUNT_HELP,
  KEY_HELP,
  resolveApiKeys,
  verifierReader,
} from "../options.ts";

export type { BackupCommandOptions };

/** Runs `backup`; returns the exit code. */
export async function runBackupCommand(
  deps: CliDeps,
  options: BackupCommandOptions,
): Promise<number> {
  const dir = await chooseBackupDir(deps, options.dir);
  const endpoints = flickrEndpoints(deps.env("FLICKR_ENDPOINT"));
  const quiet = options.quiet ?? false;
  const folder = await openBackupFolder(dir, deps.clock);
  await using _lock = folder.lock;
  const logPath = folder.logPath;
  // Lines written at once, one fsync when the log is closed (the file
  // sink of @logtape/file fsyncs every short line: once per photo).
  const fileSink = lineFileSink(logPath);
  await configure({
    reset: true,
    sinks: { file: fileSink },
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
  const controller = new AbortController();
  let signalCount = 0;
  const removeSignals = deps.onSignal((signal) => {
    signalCount++;
    if (signalCount > 1) {
      deps.terminal.err("\nStopped at once.\n");
      deps.exitNow(
        signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated,
      );
    }
    reporter.warn(
      `${signal} received: stopping after saving state (press Ctrl-C again to stop at once)`,
    );
    controller.abort(new InterruptedError(signal));
  });

  try {
    logger.info(`flickr-backup ${deps.version}: backup of "${dir}" started`);
    // Leftovers of a killed run; only our own patterns, only under the lock.
    const swept = await sweepLeftovers(dir);
    if (swept) {
      reporter.detail(`removed ${swept} leftover temporary file(s)`);
    }
    const loaded = await loadTokens(dir);
    // Shown even with --quiet: other users can read the sign-in.
    if (loaded?.warning) reporter.important(loaded.warning);
    let tokens: SavedTokens | undefined = loaded?.tokens;
    const keys = await resolveApiKeys(deps, options, tokens).catch((error) => {
      if (!tokens && error instanceof AuthError) {
        throw new AuthError(
          `Not signed in to Flickr for "${dir}": run "flickr-backup login --dir ${dir}" (with --api-key/--api-secret or FLICKR_API_KEY/FLICKR_API_SECRET; ${KEY_HELP})`,
        );
      }
      throw error;
    });
    secrets.push(keys.apiSecret);
    if (tokens && tokens.apiKey && tokens.apiKey !== keys.apiKey) {
      tokens = undefined; // a sign-in made with another key is not valid here
    }
    if (!tokens) {
      if (!deps.terminal.stdinIsTty) {
        throw new AuthError(
          `Not signed in to Flickr for "${dir}": run "flickr-backup login --dir ${dir}" first (${FREE_ACCOUNT_HELP})`,
        );
      }
      tokens = await runLogin({
        http: deps.http,
        clock: deps.clock,
        endpoints,
        reporter,
        askVerifier: verifierReader(deps),
      }, { dir, ...keys });
    }
    secrets.push(tokens.oauthToken, tokens.oauthTokenSecret);

    let summary;
    try {
      summary = await backupAccount({
        http: deps.http,
        clock: deps.clock,
        endpoints,
        reporter,
        keys,
        tokens,
        apiBudget: options.apiBudget,
        retryDelayMs: options.retryDelay,
        timeoutMs: options.timeout * 1000,
        signal: controller.signal,
        root: dir,
        concurrency: options.concurrency,
        albumLinks: options.albumLinks,
        originalsOnly: options.originalsOnly ?? false,
        embed: options.embed,
        full: options.full ?? false,
        prune: options.prune ?? false,
        retryForMs: (options.retryFor ?? 600) * 1000,
        // The first pass waits 15 s with the default --retry-delay of 1 s.
        retryFirstDelayMs: options.retryDelay * 15,
      });
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    }
    reporter.close();
    const report = renderSummary(summary, logPath);
    logger.info(report);
    // The summary is printed even with --quiet when something is wrong.
    if (!quiet || summary.result !== "complete") {
      deps.terminal.out(report + "\n");
    }
    await atomicWriteFile(
      join(dir, "last_run.json"),
      JSON.stringify({ ...summary, logFile: logPath }, null, 2) + "\n",
    );
    if (summary.result !== "interrupted" && options.site !== false) {
      await refreshSiteAfterRun(deps, dir, quiet);
    }
    if (summary.result === "interrupted") {
      const reason = controller.signal.reason;
      return reason instanceof InterruptedError
        ? reason.exitCode
        : ExitCode.Interrupted;
    }
    return summary.exitCode;
  } catch (error) {
    reporter.close();
    const message = error instanceof Error ? error.message : String(error);
    logger.error(`run failed: ${redact(message, secrets)}`);
    if (error instanceof InterruptedError) {
      deps.terminal.err(`Stopped: state saved; run again to continue.\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    removeSignals();
    await pruneLogs(dir).catch(() => undefined);
    await dispose();
  }
}
