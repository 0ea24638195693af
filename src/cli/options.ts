/**
 * What every command shares: the dependencies `main.ts` passes in, the common
 * flags, the backup folder (flag, environment, prompt, default), the API key
 * and the sign-in code. Commands import this file, `output.ts` and `app/`;
 * `cli.ts` imports the commands; no command imports `cli.ts` or another
 * command.
 *
 * @module
 */

import { resolve } from "node:path";
import { AuthError, UsageError } from "../errors.ts";
import type { HttpClient } from "../app/compose.ts";
import type { Clock } from "../platform/clock.ts";
import type { Terminal } from "../platform/terminal.ts";
import type { SavedTokens } from "../app/tokens_file.ts";
import { KEY_HELP } from "../app/login_flow.ts";

/** Asks the user something on a terminal. */
export interface Prompter {
  input(message: string, options?: { default?: string }): Promise<string>;
  secret(message: string): Promise<string>;
}

/** Everything the CLI gets from `main.ts`. */
export interface CliDeps {
  http: HttpClient;
  clock: Clock;
  terminal: Terminal;
  prompter: Prompter;
  env(name: string): string | undefined;
  cwd: string;
  version: string;
  /** Registers SIGINT/SIGTERM handlers; returns a function removing them. */
  onSignal(handler: (signal: "SIGINT" | "SIGTERM") => void): () => void;
  /** Ends the process at once (second Ctrl-C). */
  exitNow(code: number): never;
}

/** Options shared by commands that work on a backup folder. */
export interface CommonOptions {
  dir?: string | undefined;
  apiKey?: string | undefined;
  apiSecret?: string | undefined;
  quiet?: boolean | undefined;
}

/** Default backup folder, relative to the working directory. */
export const DEFAULT_DIR = "./flickr_backup";

/** Flags of `backup`. */
export interface BackupCommandOptions extends CommonOptions {
  /** Downloads at once; "auto" or undefined: adapted to the file sizes. */
  concurrency?: number | "auto" | undefined;
  albumLinks: "hardlink" | "copy" | "symlink";
  originalsOnly?: true | undefined;
  embed: boolean;
  /** Refresh the offline site after the run (`--no-site` turns it off). */
  site?: boolean | undefined;
  full?: true | undefined;
  prune?: true | undefined;
  /** I/O idle timeout of a download, in seconds. */
  timeout: number;
  /** First retry delay in ms (tests make it small). */
  retryDelay: number;
  /** Seconds of extra passes over items that failed for a network reason. */
  retryFor?: number;
  /** Most API calls in any rolling hour, shared by runs on this folder. */
  apiBudget?: number | undefined;
}

/**
 * Resolves the backup folder from flags/env; on a terminal asks for it (the
 * default offered is `./flickr_backup`), otherwise uses the default.
 */
export async function chooseBackupDir(
  deps: CliDeps,
  dir: string | undefined,
): Promise<string> {
  if (dir === undefined && deps.terminal.stdinIsTty) {
    const answer = await deps.prompter.input("Backup folder:", {
      default: DEFAULT_DIR,
    });
    return backupDir(deps, answer.trim() || DEFAULT_DIR);
  }
  return backupDir(deps, dir);
}

/** Resolves the backup folder from flags/env, or the default. */
export function backupDir(deps: CliDeps, dir: string | undefined): string {
  if (dir !== undefined && dir.trim() === "") {
    throw new UsageError(
      `The backup folder is empty (--dir "" or FLICKR_BACKUP_DIR=""): name a folder, or leave it out for "${DEFAULT_DIR}"`,
    );
  }
  const chosen = dir?.trim() || DEFAULT_DIR;
  if (chosen.includes("\0")) {
    throw new UsageError(`Cannot use "${chosen}" as the backup folder`);
  }
  return resolve(deps.cwd, chosen);
}

/**
 * Resolves the API key and secret: flags, then environment (both handled by
 * commander), then the saved sign-in, then a prompt on a terminal.
 *
 * @throws {AuthError} With no key and no terminal to ask on.
 */
export async function resolveApiKeys(
  deps: CliDeps,
  options: CommonOptions,
  saved: SavedTokens | undefined,
): Promise<{ apiKey: string; apiSecret: string }> {
  let apiKey = options.apiKey?.trim() || saved?.apiKey || "";
  let apiSecret = options.apiSecret?.trim() ||
    (apiKey === saved?.apiKey ? saved?.apiSecret : "") || "";
  if (apiKey && apiSecret) return { apiKey, apiSecret };
  if (!deps.terminal.stdinIsTty) {
    throw new AuthError(
      `No Flickr API ${
        apiKey ? "secret" : "key"
      }: pass --api-key and --api-secret, or set FLICKR_API_KEY and FLICKR_API_SECRET (${KEY_HELP})`,
    );
  }
  if (!apiKey) {
    deps.terminal.err(`You need a Flickr API key: ${KEY_HELP}\n`);
    apiKey = (await deps.prompter.input("Flickr API key:")).trim();
  }
  if (!apiSecret) {
    apiSecret = (await deps.prompter.secret("Flickr API secret:")).trim();
  }
  if (!apiKey || !apiSecret) {
    throw new AuthError(`No Flickr API key or secret was given (${KEY_HELP})`);
  }
  return { apiKey, apiSecret };
}

/** Shows the authorize link and reads the code (prompt or one stdin line). */
export function verifierReader(deps: CliDeps) {
  return async (url: string): Promise<string | undefined> => {
    deps.terminal.out(
      `Open this link in a browser, sign in to Flickr and approve read-only access:\n\n  ${url}\n\n`,
    );
    if (deps.terminal.stdinIsTty) {
      return await deps.prompter.input("Paste the code Flickr shows:");
    }
    deps.terminal.out("Reading the code Flickr shows from standard input…\n");
    return await deps.terminal.readLine();
  };
}
