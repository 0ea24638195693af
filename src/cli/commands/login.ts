/**
 * `flickr-backup login`: sign in and save the tokens in the backup folder.
 *
 * @module
 */

import { ExitCode } from "../../errors.ts";
import { runLogin } from "../../app/login_flow.ts";
import { loadTokens } from "../../app/tokens_file.ts";
import { TerminalReporter } from "../output.ts";
import {
  chooseBackupDir,
  type CliDeps,
  type CommonOptions,
  resolveApiKeys,
  verifierReader,
} from "../options.ts";

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
    endpoint: deps.env("FLICKR_ENDPOINT"),
    reporter,
    askVerifier: verifierReader(deps),
  }, { dir, ...keys });
  return ExitCode.Ok;
}
