/**
 * Runs the real CLI (`main.ts`) in a child process with the release
 * permission set from `deno.json` (task "backup"), plus loopback for the
 * fake Flickr: what is tested is what ships.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };

const ROOT = new URL("../../", import.meta.url).pathname;

/** The permission flags of `deno task backup` (the release set). */
export function releaseFlags(): string[] {
  const task = denoJson.tasks.backup;
  const match = /^deno run (.*) main\.ts$/.exec(task);
  if (!match?.[1]) throw new Error(`Unexpected "backup" task: ${task}`);
  return match[1].split(/\s+/);
}

/** The release flags with loopback added to --allow-net (for the fake). */
export function testFlags(): string[] {
  return releaseFlags().map((flag) =>
    flag.startsWith("--allow-net=") ? `${flag},127.0.0.1` : flag
  );
}

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCliProcess}. */
export interface CliRunOptions {
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** Called with the child once it started (e.g. to kill it). */
  onSpawn?: (child: Deno.ChildProcess) => void;
}

/** Starts `main.ts` with the test permission set and waits for it. */
export async function runCliProcess(
  args: string[],
  options: CliRunOptions = {},
): Promise<CliResult> {
  const child = spawnCli(args, options);
  options.onSpawn?.(child);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Spawns `main.ts` with the test permission set (stdio piped). The child may
 * only use the module cache (`--cached-only`): it never downloads, so it
 * never prints "Download ..." lines. `deno task test` and `deno task demo`
 * fill the cache first (task "prepare": `deno install --frozen`).
 */
export function spawnCli(
  args: string[],
  options: CliRunOptions = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--cached-only", ...testFlags(), `${ROOT}main.ts`, ...args],
    cwd: options.cwd ?? ROOT,
    env: { ...baseEnv(), NO_COLOR: "1", ...options.env },
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The parent's environment that Deno itself needs (cache, home, PATH). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (
    const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]
  ) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}
