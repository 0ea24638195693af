/**
 * A scripted `flickr-backup login` against the fake Flickr: starts the real
 * CLI, reads the authorize link it prints, "approves" it by fetching the
 * fake's authorize page, and types the code it shows into the CLI's stdin.
 *
 * @module
 */

import { type CliResult, spawnCli } from "./cli.ts";

/** Runs `login --dir <dir>` with the given environment, answering the prompt. */
export async function scriptedLogin(
  dir: string,
  env: Record<string, string>,
  extraArgs: string[] = [],
): Promise<CliResult & { verifier: string }> {
  const child = spawnCli(["login", "--dir", dir, ...extraArgs], {
    env,
    stdin: "",
  });
  const decoder = new TextDecoder();
  let stdout = "";
  let verifier = "";
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  let answered = false;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value, { stream: true });
    const link = /(https?:\/\/\S+\/services\/oauth\/authorize\?\S+)/.exec(
      stdout,
    )?.[1];
    if (link && !answered) {
      answered = true;
      const page = await (await fetch(link)).text();
      verifier = /(\d{3}-\d{3}-\d{3})/.exec(page)?.[1] ?? "";
      await writer.write(new TextEncoder().encode(`${verifier}\n`));
      await writer.close();
    }
  }
  if (!answered) await writer.close().catch(() => undefined);
  const stderr = await new Response(child.stderr).text();
  const status = await child.status;
  return { code: status.code, stdout, stderr, verifier };
}
