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
  assert(flags.includes("--deny-import"), "no remote imports");
  const net = flags.find((flag) => flag.startsWith("--allow-net="));
  assertEquals(
    net?.slice("--allow-net=".length).split(",").sort(),
    ["*.staticflickr.com", "api.flickr.com", "www.flickr.com"],
  );
});

/** The smoke runner of each target (a native runner for each). */
const RUNNERS: Record<string, [os: string, arch: string]> = {
  "x86_64-linux": ["ubuntu-24.04", "X64"],
  "aarch64-linux": ["ubuntu-24.04-arm", "ARM64"],
  "x86_64-macos": ["macos-15-intel", "X64"],
  "aarch64-macos": ["macos-15", "ARM64"],
  "x86_64-windows": ["windows-2025", "X64"],
};

async function workflow(name: string): Promise<string> {
  return await Deno.readTextFile(`${ROOT}.github/workflows/${name}`);
}

async function workflows(): Promise<[string, string][]> {
  const found: [string, string][] = [];
  for await (const entry of Deno.readDir(`${ROOT}.github/workflows`)) {
    if (/\.ya?ml$/.test(entry.name)) {
      found.push([entry.name, await workflow(entry.name)]);
    }
  }
  assert(found.length >= 2, "ci.yml and release.yml");
  return found;
}

Deno.test("the release workflow compiles, checks and smoke-runs all five targets", async () => {
  const text = await workflow("release.yml");
  const loop = /for target in ([^;]+); do/.exec(text)?.[1]?.split(/\s+/);
  assertEquals(loop?.sort(), Object.keys(TARGETS).sort());
  const entries = [
    ...text.matchAll(
      /- os: (\S+)\s+arch: (\S+)\s+target: (\S+)\s+binary: (\S+)/g,
    ),
  ].map(([, os, arch, target, binary]) => ({ os, arch, target, binary }));
  assertEquals(
    entries.map((e) => e.target).sort(),
    Object.keys(TARGETS).sort(),
  );
  for (const { os, arch, target, binary } of entries) {
    assertEquals([os, arch], RUNNERS[target!], target);
    const exe = target!.endsWith("windows") ? ".exe" : "";
    assertEquals(binary, `flickr-backup-${target}${exe}`);
  }
  assert(text.includes('[ "$RUNNER_ARCH" = "${{ matrix.arch }}" ]'));
  assert(text.includes("deno task check-binary dist/flickr-backup-*"));
  assert(
    text.includes('deno task check-binary "dist/${{ matrix.binary }}"'),
    "each smoke job checks the binary it runs",
  );
  assert(text.includes(
    'tests/smoke.ts demo "${{ matrix.target }}" "dist/${{ matrix.binary }}"',
  ));
  assert(text.includes("SHA256SUMS"));
  assert(text.includes("npm install -g deno@2.9.6"), "Deno version pin");
});

Deno.test("the release workflow rehearses without publishing and publishes only a tag equal to deno.json's version", async () => {
  const text = await workflow("release.yml");
  const on = text.slice(text.indexOf("\non:"), text.indexOf("\npermissions:"));
  assert(/push:\s+branches: \[main\]\s+tags: \["v\*"\]/.test(on), on);
  assert(/pull_request:\s+paths:[^]*release\.yml/.test(on), on);
  assert(on.includes("workflow_dispatch:"), on);
  const publish = text.slice(text.indexOf("\n  publish:"));
  assert(publish.includes("needs: [build, smoke]"));
  assert(
    publish.includes(
      "if: github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')",
    ),
    "publish runs for a v* tag only",
  );
  assert(publish.includes('"$GITHUB_REF_NAME" != "v$VERSION"'));
  assertEquals(
    text.split("gh release create").length,
    2,
    "only the publish job creates a release",
  );
  assertEquals(text.indexOf("gh release") > text.indexOf("\n  publish:"), true);
  assert(
    text.includes(
      'if [ "$GITHUB_REF_TYPE" = tag ] && [ "$GITHUB_REF_NAME" != "v$version" ]',
    ),
    "the build fails early on a tag that is not deno.json's version",
  );
  assert(/^\d+\.\d+\.\d+$/.test(denoJson.version), denoJson.version);
});

/** GitHub-hosted runner labels that no longer exist (jobs wait forever). */
const RETIRED_RUNNERS = [
  "ubuntu-16.04",
  "ubuntu-18.04",
  "ubuntu-20.04",
  "macos-10.15",
  "macos-11",
  "macos-12",
  "macos-13",
  "windows-2016",
  "windows-2019",
];

/** Retired labels named anywhere in a workflow (also -large, -xlarge). */
function retiredRunners(text: string): string[] {
  return RETIRED_RUNNERS.filter((label) =>
    new RegExp(`(^|[^\\w.-])${label.replace(".", "\\.")}([^\\w.]|$)`, "m")
      .test(text)
  );
}

Deno.test("no workflow names a retired runner", async () => {
  assertEquals(retiredRunners("runs-on: macos-13\n"), ["macos-13"]);
  assertEquals(retiredRunners("- {os: macos-13-xlarge}"), ["macos-13"]);
  assertEquals(retiredRunners("os: [ubuntu-20.04, windows-2019]"), [
    "ubuntu-20.04",
    "windows-2019",
  ]);
  assertEquals(retiredRunners("runs-on: macos-15-intel\nos: macos-130"), []);
  for (const [name, text] of await workflows()) {
    assertEquals(retiredRunners(text), [], name);
  }
});

Deno.test("every action is pinned by commit SHA, checkouts keep no credentials, artifacts expire", async () => {
  for (const [name, text] of await workflows()) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      const uses = /^(\s*)(?:- )?uses: (\S+)(.*)$/.exec(line);
      if (!uses) return;
      const [, , action, comment] = uses;
      assert(
        /^[\w-]+\/[\w-]+@[0-9a-f]{40}$/.test(action!),
        `${name}: ${action} is not pinned to a commit`,
      );
      assert(
        /^ # v\d+(\.\d+)*$/.test(comment!),
        `${name}: ${action} has no "# vX.Y.Z" comment`,
      );
      // The step's own lines: those indented deeper than "- ".
      const column = line.indexOf("uses:");
      const step: string[] = [];
      for (const next of lines.slice(i + 1)) {
        if (next.trim() !== "" && next.search(/\S/) < column) break;
        step.push(next.trim());
      }
      if (action!.startsWith("actions/checkout@")) {
        assert(step.includes("persist-credentials: false"), `${name}:${i + 1}`);
      }
      if (action!.startsWith("actions/upload-artifact@")) {
        assert(
          step.some((l) => /^retention-days: \d+$/.test(l)),
          `${name}:${i + 1}`,
        );
      }
    });
  }
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

Deno.test("a Windows checkout keeps LF line ends (deno fmt --check passes there)", async () => {
  const attributes = await Deno.readTextFile(`${ROOT}.gitattributes`);
  assert(/^\* text=auto eol=lf$/m.test(attributes), attributes);
});

Deno.test("the README's test and demo commands fill the npm cache before any CLI child starts, and children never download", async () => {
  const all = denoJson.tasks as Record<string, unknown>;
  assertEquals(all.prepare, {
    description: (all.prepare as { description: string }).description,
    command: "deno install --frozen",
  });
  for (const name of ["test", "demo"]) {
    const task = all[name] as { dependencies?: string[] };
    assertEquals(task.dependencies, ["prepare"], name);
  }
  const helper = await Deno.readTextFile(`${ROOT}tests/helpers/cli.ts`);
  assert(
    helper.includes('args: ["run", "--cached-only", ...testFlags()'),
    "spawnCli runs the CLI with --cached-only",
  );
});
