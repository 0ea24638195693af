/**
 * Smoke checks of compiled binaries, run by `.github/workflows/release.yml`
 * on each target's own runner (`deno compile` needs a runtime download that
 * only GitHub Actions can make).
 *
 *   deno run -A tests/smoke.ts refuses <binary>
 *     The shipped binary, pointed at the fake Flickr on 127.0.0.1, must fail
 *     with a message naming the refused host: proof that its baked-in
 *     --allow-net list is the release one and nothing wider.
 *
 *   deno run -A tests/smoke.ts demo <target> <binary>
 *     Compiles the same flags plus loopback for <target> (e.g. x86_64-linux),
 *     then runs a full login + backup of the demo account with that binary;
 *     then the shipped <binary> runs `status --json` and `verify` on that
 *     backup (offline: SQLite, hashing and the file checks inside the real
 *     binary).
 *
 * @module
 */

import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import {
  demoAccount,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  startFakeFlickr,
} from "./fake_flickr/mod.ts";

const [mode, arg, shipped] = Deno.args;
if (!arg || !(mode === "refuses" || (mode === "demo" && shipped))) {
  throw new Error("usage: smoke.ts refuses <binary> | demo <target> <binary>");
}

function fail(message: string): never {
  throw new Error(`smoke: ${message}`);
}

async function run(
  binary: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
) {
  const child = new Deno.Command(binary, {
    args,
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

await using flickr = await startFakeFlickr({ account: demoAccount() });
const env = {
  FLICKR_ENDPOINT: flickr.url,
  FLICKR_API_KEY: FAKE_API_KEY,
  FLICKR_API_SECRET: FAKE_API_SECRET,
};
const dir = await Deno.makeTempDir({ prefix: "fb-smoke-" });

if (mode === "refuses") {
  const result = await run(arg, ["login", "--dir", dir], env, "1-2-3\n");
  console.log(result.stdout, result.stderr);
  if (result.code === 0) fail("the binary reached a host outside its list");
  if (!/127\.0\.0\.1/.test(result.stderr)) {
    fail("the refusal does not name the host");
  }
  console.log("ok: the shipped binary refuses 127.0.0.1");
} else {
  const flags = denoJson.tasks.backup.replace(/^deno run /, "").replace(
    / main\.ts$/,
    "",
  ).replace(/--allow-net=(\S+)/, "--allow-net=$1,127.0.0.1");
  const triples: Record<string, string> = {
    "x86_64-linux": "x86_64-unknown-linux-gnu",
    "aarch64-linux": "aarch64-unknown-linux-gnu",
    "x86_64-macos": "x86_64-apple-darwin",
    "aarch64-macos": "aarch64-apple-darwin",
    "x86_64-windows": "x86_64-pc-windows-msvc",
  };
  const binary = join(
    dir,
    `smoke-bin${Deno.build.os === "windows" ? ".exe" : ""}`,
  );
  const compile = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--target",
      triples[arg] ?? fail(`unknown target ${arg}`),
      "--output",
      binary,
      ...flags.split(/\s+/),
      "main.ts",
    ],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (compile.code !== 0) {
    fail(`deno compile failed:\n${new TextDecoder().decode(compile.stderr)}`);
  }
  const backupDir = join(dir, "backup");
  // Sign in through the real OAuth flow: fetch the authorize page first.
  const login = new Deno.Command(binary, {
    args: ["login", "--dir", backupDir],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = login.stdout.getReader();
  const writer = login.stdin.getWriter();
  let text = "";
  while (!/services\/oauth\/authorize\?\S+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) fail(`login printed no link: ${text}`);
    text += new TextDecoder().decode(value);
  }
  const link = /(http\S+services\/oauth\/authorize\?\S+)/.exec(text)![1]!;
  const page = await (await fetch(link)).text();
  const code = /(\d{3}-\d{3}-\d{3})/.exec(page)?.[1] ?? fail("no code");
  await writer.write(new TextEncoder().encode(code + "\n"));
  await writer.close();
  while (!(await reader.read()).done) { /* drain */ }
  if ((await login.status).code !== 0) fail("login failed");
  const backup = await run(binary, ["backup", "--dir", backupDir], env);
  console.log(backup.stdout, backup.stderr);
  if (backup.code !== 0) fail(`backup exited ${backup.code}`);
  const summary = JSON.parse(
    await Deno.readTextFile(join(backupDir, "last_run.json")),
  );
  if (summary.totals.present !== flickr.account.photos.size) {
    fail(`${summary.totals.present} of ${flickr.account.photos.size} saved`);
  }
  console.log(
    `ok: the compiled binary backed up ${summary.totals.present} items`,
  );
  // The shipped binary itself, on that backup: read-only, no network.
  const status = await run(
    shipped!,
    ["status", "--dir", backupDir, "--json"],
    {},
  );
  console.log(status.stdout, status.stderr);
  if (status.code !== 0) fail(`status exited ${status.code}`);
  const photos = JSON.parse(status.stdout).photos;
  if (photos.done !== flickr.account.photos.size) {
    fail(`status counts ${photos.done} of ${flickr.account.photos.size} done`);
  }
  const verify = await run(shipped!, ["verify", "--dir", backupDir], {});
  console.log(verify.stdout, verify.stderr);
  if (verify.code !== 0) fail(`verify exited ${verify.code}`);
  if (!/no problems/.test(verify.stdout + verify.stderr)) {
    fail("verify did not report a clean backup");
  }
  console.log("ok: the shipped binary's status and verify read the backup");
}
await Deno.remove(dir, { recursive: true });
