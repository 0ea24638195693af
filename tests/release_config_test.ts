/**
 * What can be proven about the release binaries without Deno's download
 * servers (which `deno compile` needs for its runtime): every compile task
 * bakes in exactly the permission set the CLI tests run with, the release
 * workflow builds all five, and the module graph holds nothing `deno
 * compile` would have to fetch from a registry this project cannot use.
 */

import denoJson from "../deno.json" with { type: "json" };
import { assert, assertEquals } from "./assert.ts";
import { releaseFlags } from "./helpers/cli.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TARGETS: Record<string, string> = {
  "x86_64-linux": "x86_64-unknown-linux-gnu",
  "aarch64-linux": "aarch64-unknown-linux-gnu",
  "x86_64-macos": "x86_64-apple-darwin",
  "aarch64-macos": "aarch64-apple-darwin",
  "x86_64-windows": "x86_64-pc-windows-msvc",
};
const tasks: Record<string, string> = Object.fromEntries(
  Object.entries(denoJson.tasks as Record<string, string | { command: string }>)
    .map((
      [name, task],
    ) => [name, typeof task === "string" ? task : task.command]),
);

Deno.test("every compile task bakes in exactly the tested release permission set", () => {
  const compile = Object.keys(tasks).filter((name) =>
    name.startsWith("compile:")
  );
  assertEquals(
    compile.sort(),
    Object.keys(TARGETS).map((t) => `compile:${t}`).sort(),
  );
  for (const [name, triple] of Object.entries(TARGETS)) {
    assertEquals(
      tasks[`compile:${name}`],
      [
        "deno compile --exclude-unused-npm --target",
        triple,
        "--output",
        `dist/flickr-backup-${name}`,
        ...releaseFlags(),
        "main.ts",
      ].join(" "),
      name,
    );
  }
});

Deno.test("the release permission set is least privilege", () => {
  const flags = releaseFlags();
  assert(flags.includes("--no-prompt"), "never asks for a permission");
  for (const flag of flags) {
    assert(
      !/^(-A|--allow-all|--allow-run|--allow-ffi|--allow-sys|--allow-import)\b/
        .test(flag),
      `broad permission ${flag}`,
    );
    assert(flag !== "--allow-net" && flag !== "--allow-env", flag);
  }
  const net = flags.find((flag) => flag.startsWith("--allow-net="));
  assertEquals(
    net?.slice("--allow-net=".length).split(",").sort(),
    ["*.staticflickr.com", "api.flickr.com", "www.flickr.com"],
  );
});

Deno.test("the release workflow compiles, checks and smoke-runs all five targets", async () => {
  const workflow = await Deno.readTextFile(
    `${ROOT}.github/workflows/release.yml`,
  );
  const loop = /for target in ([^;]+); do/.exec(workflow)?.[1]?.split(/\s+/);
  assertEquals(loop?.sort(), Object.keys(TARGETS).sort());
  for (const name of Object.keys(TARGETS)) {
    assert(
      workflow.includes(`binary: flickr-backup-${name}`),
      `no smoke run for ${name}`,
    );
  }
  assert(workflow.includes("SHA256SUMS"));
  assert(workflow.includes("npm install -g deno@2.9.6"), "Deno version pin");
});

Deno.test("the module graph of main.ts is local files and locked npm packages only", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string; error?: string }[];
  };
  assert(graph.modules.length > 50, `${graph.modules.length} modules`);
  for (const module of graph.modules) {
    assertEquals(module.error, undefined, module.specifier);
    assert(
      /^(file|npm|node):/.test(module.specifier),
      `compile would have to fetch ${module.specifier}`,
    );
  }
  assert(
    graph.modules.every((m) => !m.specifier.includes("/tests/")),
    "the binary must not embed test code",
  );
});
