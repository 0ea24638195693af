/**
 * `deno task check-binary` on real compiled binaries. `deno compile` needs
 * Deno's download servers for the runtime it embeds, except when
 * DENORT_BIN names one: the plain `deno` executable works offline and gets
 * the real metadata baked in (the result cannot run the program, which this
 * test does not need). One binary gets the release flags of the compile
 * tasks (must pass), one gets `-A` (must fail).
 */

import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { assert, assertEquals } from "./assert.ts";
import { withTempDir } from "./helpers/backup_fixture.ts";
import {
  type BinaryMetadata,
  readMetadata,
  releaseProblems,
} from "../tools/check_binary.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The compile task's flags for this machine: --target and --output dropped. */
function compileTaskFlags(): string[] {
  const task = denoJson.tasks["compile:x86_64-linux"];
  const args = task.split(/\s+/).slice(2, -1); // "deno compile" ... "main.ts"
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--target" || args[i] === "--output") i++;
    else flags.push(args[i]!);
  }
  return flags;
}

async function compile(flags: string[], output: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["compile", "--quiet", "--output", output, ...flags, "main.ts"],
    cwd: ROOT,
    env: { DENORT_BIN: Deno.execPath() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}

async function checkBinary(path: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "check-binary", path],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, output: decode(out.stdout) + decode(out.stderr) };
}

Deno.test("check-binary passes a binary compiled with the release flags and fails one compiled with -A", async () => {
  await withTempDir(async (dir) => {
    const exe = Deno.build.os === "windows" ? ".exe" : "";
    const release = join(dir, `release${exe}`);
    const all = join(dir, `all${exe}`);
    await compile(compileTaskFlags(), release);
    await compile(["-A"], all);

    const good = await checkBinary(release);
    assertEquals(good.code, 0, good.output);
    assert(good.output.includes("exactly the release permission set"));

    const bad = await checkBinary(all);
    assertEquals(bad.code, 1, bad.output);
    for (
      const field of ["allow_net", "allow_env", "allow_run", "allow_ffi"]
    ) {
      assert(bad.output.includes(`${field} is []`), bad.output);
    }
    assert(bad.output.includes("prompt is true"), bad.output);
  });
});

Deno.test("check-binary fails a file that is not a compiled binary", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "main.ts");
    await Deno.copyFile(join(ROOT, "main.ts"), path);
    const result = await checkBinary(path);
    assertEquals(result.code, 1, result.output);
    assert(result.output.includes("no deno compile metadata"), result.output);
  });
});

/** A data section as `deno compile` lays it out, inside other bytes. */
function fakeBinary(metadata: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(metadata));
  const header = new Uint8Array(16);
  header.set(new TextEncoder().encode("d3n0l4nd"));
  new DataView(header.buffer).setBigUint64(8, BigInt(json.length), true);
  const noise = new TextEncoder().encode("ELF d3n0l4nd d3n0l4nd{ noise");
  return new Uint8Array([...noise, ...header, ...json, ...noise]);
}

function releaseMetadata(): BinaryMetadata {
  const none = null;
  return {
    permissions: {
      allow_env: [
        "FLICKR_API_KEY",
        "FLICKR_API_SECRET",
        "FLICKR_BACKUP_DIR",
        "FLICKR_ENDPOINT",
      ],
      deny_env: none,
      ignore_env: none,
      allow_net: ["api.flickr.com", "www.flickr.com", "*.staticflickr.com"],
      deny_net: none,
      allow_ffi: none,
      deny_ffi: none,
      allow_read: [],
      deny_read: none,
      ignore_read: none,
      allow_run: none,
      deny_run: none,
      allow_sys: none,
      deny_sys: none,
      allow_write: [],
      deny_write: none,
      allow_import: ["jsr.io:443", "deno.land:443"],
      deny_import: [],
      prompt: false,
    },
    v8_flags: ["--stack-size=1024", "--max-semi-space-size=4", "--expose-gc"],
    unsafely_ignore_certificate_errors: null,
  };
}

Deno.test("each departure from the release set is named", () => {
  assertEquals(
    releaseProblems(readMetadata(fakeBinary(releaseMetadata()))),
    [],
  );
  const cases: [string, (m: BinaryMetadata) => void][] = [
    ["allow_net is", (m) => m.permissions.allow_net = ["api.flickr.com"]],
    ["allow_net is", (m) => m.permissions.allow_net = []],
    ["allow_env is", (m) => (m.permissions.allow_env as string[]).push("HOME")],
    ["allow_read is", (m) => m.permissions.allow_read = ["/home"]],
    ["allow_write is", (m) => m.permissions.allow_write = null],
    ["allow_run is", (m) => m.permissions.allow_run = ["exiftool"]],
    ["allow_sys is", (m) => m.permissions.allow_sys = []],
    ["remote imports", (m) => m.permissions.deny_import = null],
    ["deny_net is", (m) => m.permissions.deny_net = ["example.com"]],
    ["prompt is", (m) => m.permissions.prompt = true],
    ["lack --max-semi-space-size=4", (m) => m.v8_flags = ["--expose-gc"]],
    ["lack --expose-gc", (m) => m.v8_flags = ["--max-semi-space-size=4"]],
    ["certificate errors", (m) => m.unsafely_ignore_certificate_errors = []],
    [
      "unknown permission field allow_all",
      (m) => m.permissions.allow_all = true,
    ],
  ];
  for (const [message, change] of cases) {
    const metadata = releaseMetadata();
    change(metadata);
    const problems = releaseProblems(readMetadata(fakeBinary(metadata)));
    assertEquals(problems.length, 1, `${message}: ${problems}`);
    assert(problems[0]!.includes(message), problems[0]);
  }
});

Deno.test("two metadata blocks are refused rather than guessed between", () => {
  const one = fakeBinary(releaseMetadata());
  let error = "";
  try {
    readMetadata(new Uint8Array([...one, ...one]));
  } catch (e) {
    error = String(e);
  }
  assert(error.includes("2 metadata blocks"), error);
});
