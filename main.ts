/**
 * flickr-backup: back up a whole Flickr account to a local folder.
 *
 * The composition root: builds the real dependencies (fetch, clock,
 * terminal, prompts, signals), runs the CLI and exits with its code. No
 * logic lives here.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { runCli } from "./src/cli/cli.ts";
import { fetchClient } from "./src/http/http_client.ts";
import { systemClock } from "./src/platform/clock.ts";
import { askLine, askSecret, systemTerminal } from "./src/platform/terminal.ts";
import { emptyLine, typeChar } from "./src/cli/prompts.ts";
import { UsageError } from "./src/errors.ts";

async function promptInput(
  message: string,
  options?: { default?: string },
): Promise<string> {
  const answer = await askLine(message, options?.default);
  if (answer === undefined) throw new UsageError("No answer was given");
  return answer;
}

async function promptSecret(message: string): Promise<string> {
  const answer = await askSecret(message, typeChar, emptyLine());
  if (answer === undefined) throw new UsageError("No answer was given");
  return answer;
}

const signals = ["SIGINT", "SIGTERM"] as const;

const code = await runCli(Deno.args, {
  http: fetchClient,
  clock: systemClock,
  terminal: systemTerminal(),
  prompter: { input: promptInput, secret: promptSecret },
  env: (name) => Deno.env.get(name),
  cwd: Deno.cwd(),
  version: denoJson.version,
  onSignal(handler) {
    const listeners = signals
      .filter((signal) => Deno.build.os !== "windows" || signal === "SIGINT")
      .map((signal) => {
        const listener = () => handler(signal);
        Deno.addSignalListener(signal, listener);
        return [signal, listener] as const;
      });
    return () => {
      for (const [signal, listener] of listeners) {
        Deno.removeSignalListener(signal, listener);
      }
    };
  },
  exitNow: (code) => Deno.exit(code),
});
Deno.exit(code);
