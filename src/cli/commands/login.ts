/**
 * `flickr-backup login`: sign in and save the tokens in the backup folder.
 *
 * @module
 */

import { AuthError, ExitCode } from "../../errors.ts";
import { flickrEndpoints } from "../../flickr/endpoints.ts";
import { runLogin } from "../../app/login_flow.ts";
import { loadTokens, type SavedTokens } from "../../app/tokens_file.ts";
import { TerminalReporter } from "../output.ts";
import { chooseBackupDir, type CliDeps, type CommonOptions } from "../cli.ts";

/** Where to get an API key, for messages. */
export const KEY_HELP =
  "get one at https://www.flickr.com/services/apps/create/ (since 2025 Flickr gives new keys to Pro members only)";

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

/** Runs `login`; returns the exit code. */
export async function runLoginCommand(
  deps: CliDeps,
  options: CommonOptions,
): Promise<number> {
  const dir = await chooseBackupDir(deps, options.dir);
  const existing = await loadTokens(dir).catch(() => undefined);
  const keys = await resolveApiKeys(deps, options, existing?.tokens);
  const reporter = new TerminalReporter({
    terminal: deps.terminal,
    clock: deps.clock,
    quiet: options.quiet ?? false,
    secrets: [keys.apiSecret],
  });
  await runLogin({
    http: deps.http,
    clock: deps.clock,
    endpoints: flickrEndpoints(deps.env("FLICKR_ENDPOINT")),
    reporter,
    askVerifier: verifierReader(deps),
  }, { dir, ...keys });
  return ExitCode.Ok;
}
