/**
 * A pause at a known point of a run, for tests that kill the process there
 * (kill -9 mid-import): with `FLICKR_BACKUP_TEST_PAUSE=<n>`, the n-th
 * checkpoint the use case passes writes `test pause: <point> <id>` on
 * stderr and then waits for stdin to end, so the process stays exactly
 * there until the test kills it. The variable is read only when the env
 * permission names it, which the release binaries' permission set never
 * does: there the hook does not exist.
 *
 * @module
 */

import type { Terminal } from "../platform/terminal.ts";

const VARIABLE = "FLICKR_BACKUP_TEST_PAUSE";

/** The checkpoint hook, or undefined (the normal case). */
export function testPause(
  terminal: Terminal,
): ((point: string, id: string) => Promise<void>) | undefined {
  const permission = Deno.permissions.querySync({
    name: "env",
    variable: VARIABLE,
  });
  if (permission.state !== "granted") return undefined;
  const at = Number(Deno.env.get(VARIABLE));
  if (!Number.isInteger(at) || at < 1) return undefined;
  let passed = 0;
  return async (point, id) => {
    if (++passed !== at) return;
    terminal.err(`test pause: ${point} ${id}\n`);
    const byte = new Uint8Array(1);
    while (await Deno.stdin.read(byte) !== null) {
      // wait for the end of stdin (or a kill)
    }
  };
}
