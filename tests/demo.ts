/**
 * `deno task demo`: a complete backup of a demo account, with no Flickr key.
 *
 * Starts the project's fake Flickr on 127.0.0.1, signs in through the real
 * OAuth flow (the fake auto-approves), runs the real CLI with the release
 * permission set into `./demo_backup/`, then runs it again to show that a
 * rerun downloads nothing, shows `status` and `verify`, prints the tree, and
 * ends with the path of the offline site's `index.html` (made by `backup`).
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import {
  demoAccount,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  startFakeFlickr,
} from "./fake_flickr/mod.ts";
import { spawnCli } from "./helpers/cli.ts";
import { scriptedLogin } from "./helpers/login.ts";
import { writeExportFixture } from "./export_fixture.ts";

const encoder = new TextEncoder();
function say(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

async function tree(root: string, dir = root, out: string[] = []) {
  const entries = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const depth = relative(root, path).split(/[\\/]/).length - 1;
    const size = entry.isFile
      ? ` (${(await Deno.stat(path)).size} bytes)`
      : "/";
    out.push(`${"  ".repeat(depth)}${entry.name}${size}`);
    if (entry.name === ".flickr_site") {
      out.push(`${"  ".repeat(depth + 1)}… (the offline site's pages)`);
    } else if (entry.isDirectory) await tree(root, path, out);
  }
  return out;
}

const dir = resolve(Deno.args[0] ?? "demo_backup");
await using flickr = await startFakeFlickr({ account: demoAccount() });
const env = {
  FLICKR_ENDPOINT: flickr.url,
  FLICKR_API_KEY: FAKE_API_KEY,
  FLICKR_API_SECRET: FAKE_API_SECRET,
};

say(`Fake Flickr listening on ${flickr.url} (demo account, no real key)`);
say(`\n$ flickr-backup login --dir ${dir}`);
const login = await scriptedLogin(dir, env);
say(login.stdout.trim());
if (login.stderr.trim()) say(login.stderr.trim());
if (login.code !== 0) {
  say(`login failed with exit code ${login.code}`);
  Deno.exit(login.code);
}

const rounds: [string[], string][] = [
  [["backup"], "first run"],
  [["backup"], "second run: nothing new to fetch"],
  [["status"], "what the backup holds (local state only)"],
  [["verify"], "read every file back against its recorded SHA-256"],
];
for (const [command, round] of rounds) {
  say(`\n$ flickr-backup ${command.join(" ")} --dir ${dir}    # ${round}`);
  const child = spawnCli([...command, "--dir", dir], { env });
  const [status] = await Promise.all([
    child.status,
    child.stdout.pipeTo(Deno.stdout.writable, { preventClose: true }),
    child.stderr.pipeTo(Deno.stderr.writable, { preventClose: true }),
  ]);
  say(`(exit code ${status.code})`);
  if (status.code !== 0) Deno.exit(status.code);
}

say(`\n${dir}/`);
say((await tree(dir)).map((line) => `  ${line}`).join("\n"));
say(
  `\nFlickr API calls made by both backup runs: ${flickr.apiCallCount()} (${
    JSON.stringify(flickr.callCounts())
  })`,
);

// A free account has no API key: Flickr's own data export, imported offline.
const exportDir = `${dir}_export`;
const importDir = `${dir}_import`;
await Deno.remove(exportDir, { recursive: true }).catch(() => undefined);
const fixture = await writeExportFixture(exportDir);
const zips = fixture.zips.map((zip) => relative(Deno.cwd(), zip));
say(
  `\n$ flickr-backup import --dir ${importDir} ${
    zips.join(" ")
  }    # free account: Flickr's data export, no key, no network`,
);
const imported = spawnCli(["import", "--dir", importDir, ...fixture.zips]);
const [importStatus] = await Promise.all([
  imported.status,
  imported.stdout.pipeTo(Deno.stdout.writable, { preventClose: true }),
  imported.stderr.pipeTo(Deno.stderr.writable, { preventClose: true }),
]);
say(
  `(exit code ${importStatus.code}: the demo export, like many real ones, lacks files and holds an empty one)`,
);
if (importStatus.code !== 0 && importStatus.code !== 3) {
  Deno.exit(importStatus.code);
}
say(`\n${importDir}/`);
say((await tree(importDir)).map((line) => `  ${line}`).join("\n"));
say(
  `\nBrowse the backup without Flickr (works from the disk, no server):\n  ${
    join(dir, "index.html")
  }`,
);
