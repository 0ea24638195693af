/**
 * `flickr-backup backup` (the default command): one locked, logged,
 * interruptible run over the whole account.
 *
 * @module
 */

import { backupAccount } from "../../app/backup_account.ts";
import { openRunFolder } from "../../app/backup_folder.ts";
import { signInForBackup } from "../../app/login_flow.ts";
import { renderSummary } from "../output.ts";
import { runInShell } from "../run_shell.ts";
import {
  type BackupCommandOptions,
  chooseBackupDir,
  type CliDeps,
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
  const endpoint = deps.env("FLICKR_ENDPOINT");
  await using folder = await openRunFolder(dir, deps.clock);
  return await runInShell(deps, {
    dir,
    folder,
    quiet: options.quiet ?? false,
    site: options.site !== false,
    startLine: `flickr-backup ${deps.version}: backup of "${dir}" started`,
    stopping:
      "stopping after saving state (press Ctrl-C again to stop at once)",
    failure: "run failed",
    render: renderSummary,
  }, async ({ reporter, signal, secrets }) => {
    const login = {
      http: deps.http,
      clock: deps.clock,
      endpoint,
      reporter,
      askVerifier: verifierReader(deps),
    };
    const { keys, tokens } = await signInForBackup(login, {
      dir,
      resolveKeys: (saved) => resolveApiKeys(deps, options, saved),
      interactive: deps.terminal.stdinIsTty,
      onSecret: (secret) => secrets.push(secret),
      important: (message) => reporter.important(message),
    });
    return await backupAccount({
      http: deps.http,
      clock: deps.clock,
      endpoint,
      reporter,
      keys,
      tokens,
      apiBudget: options.apiBudget,
      retryDelayMs: options.retryDelay,
      timeoutMs: options.timeout * 1000,
      signal,
      root: dir,
      concurrency: options.concurrency === "auto"
        ? undefined
        : options.concurrency,
      albumLinks: options.albumLinks,
      originalsOnly: options.originalsOnly ?? false,
      embed: options.embed,
      full: options.full ?? false,
      prune: options.prune ?? false,
      retryForMs: (options.retryFor ?? 600) * 1000,
      // The first pass waits 15 s with the default --retry-delay of 1 s.
      retryFirstDelayMs: options.retryDelay * 15,
    });
  });
}
