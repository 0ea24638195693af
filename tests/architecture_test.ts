/**
 * The import graph of `main.ts` and `src/` (tests excluded): no import
 * circle anywhere, and every arrow points down the layers of docs/ARCHITECTURE.md:
 *
 *   main.ts → cli/ → app/ → {flickr/, download/, metadata/, state/, site/}
 *           → oauth/ → http/ → platform/ → shared leaves (src/*.ts)
 *
 * `MAY_IMPORT` says which layer may import which; an arrow that must break
 * the layers for a while is listed in `KNOWN_EXCEPTIONS` (empty since issue
 * 12's composition root), and an exception that no longer occurs fails the
 * test too, so the list only shrinks.
 *
 * Imports are read with a small parser (static `import`/`export … from`,
 * side-effect imports and `import("…")` with a string literal, on lines that
 * are not comments); only relative specifiers are graph edges.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The layers, top to bottom. A file's layer is its folder under src/. */
type Layer =
  | "main"
  | "cli"
  | "import"
  | "app"
  | "flickr"
  | "download"
  | "metadata"
  | "state"
  | "site"
  | "oauth"
  | "http"
  | "platform"
  | "shared";

/**
 * Which other layers a layer may import (its own is always allowed).
 * - main.ts is the composition root: it may wire anything.
 * - cli/ parses flags, calls app/, renders; it prints through platform's
 *   Terminal and reads platform's Clock, nothing else below app/.
 * - the four domain folders do not import each other.
 * - shared leaves (src/errors.ts, src/redact.ts) import nothing of ours.
 */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  main: [
    "cli",
    "import",
    "app",
    "flickr",
    "download",
    "metadata",
    "state",
    "site",
    "oauth",
    "http",
    "platform",
    "shared",
  ],
  cli: ["import", "app", "shared"],
  // Flickr's data export turned into a backup: a use case on top of app/.
  import: [
    "app",
    "flickr",
    "download",
    "metadata",
    "state",
    "platform",
    "shared",
  ],
  app: [
    "flickr",
    "download",
    "metadata",
    "state",
    "site",
    "oauth",
    "http",
    "platform",
    "shared",
  ],
  flickr: ["oauth", "http", "platform", "shared"],
  download: ["http", "platform", "shared"],
  metadata: ["platform", "shared"],
  state: ["platform", "shared"],
  site: ["platform", "shared"],
  oauth: ["http", "platform", "shared"],
  http: ["platform", "shared"],
  platform: ["shared"],
  shared: [],
};

/** Files of cli/ may use these platform files (printing and time). */
const CLI_PLATFORM = new Set([
  "src/platform/terminal.ts",
  "src/platform/clock.ts",
]);

/**
 * Arrows allowed to break the layers for now, "from -> to",
 * repository-relative; none since commands call one use case in app/ and
 * the real parts are wired in src/app/compose.ts. Add one only with the
 * plan that removes it.
 */
const KNOWN_EXCEPTIONS = new Set<string>([]);

/** The layer of a repository-relative path. */
function layerOf(path: string): Layer | undefined {
  if (path === "main.ts") return "main";
  const parts = path.split("/");
  if (parts[0] !== "src") return undefined;
  if (parts.length === 2) return "shared";
  const folder = parts[1] as Layer;
  return folder in MAY_IMPORT && folder !== "main" && folder !== "shared"
    ? folder
    : undefined;
}

/** Relative specifiers imported by a module's source text. */
export function importsOf(source: string): string[] {
  const code = source
    .replace(/^\s*\/\*[\s\S]*?\*\//gm, "") // block and JSDoc comments
    .replace(/^\s*\/\/.*$/gm, ""); // line comments
  const found: string[] = [];
  const patterns = [
    // import … from "x" / export … from "x" (also multi-line, type-only)
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/gm,
    // import "x" (side effect)
    /^\s*import\s*["']([^"']+)["']/gm,
    // import("x")
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const m of code.matchAll(pattern)) found.push(m[1]!);
  }
  return found.filter((s) => s.startsWith("."));
}

/** Every `.ts` module of src/ (tests excluded), plus main.ts. */
async function modules(): Promise<string[]> {
  const out = ["main.ts"];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(rel);
      else if (rel.endsWith(".ts") && !rel.endsWith("_test.ts")) out.push(rel);
    }
  }
  await walk("src");
  return out.sort();
}

/** The graph: module → the modules it imports (repository-relative). */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await modules()) {
    const source = await Deno.readTextFile(join(ROOT, file));
    const targets = importsOf(source)
      .filter((s) => s.endsWith(".ts"))
      .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** One import circle per strongly connected group, as a path. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === "open") {
        found.push([...stack.slice(stack.indexOf(next)), next]);
      } else if (s === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const graph = await importGraph();

Deno.test("the import parser reads every form the code uses", () => {
  const source = [
    "/**",
    ' * import { no } from "./in_a_doc_comment.ts";',
    " */",
    '// import { no } from "./in_a_line_comment.ts";',
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    "import {",
    "  c,",
    "  type D,",
    '} from "./c.ts";',
    'export { e } from "./e.ts";',
    'export type { F } from "./f.ts";',
    'import "./side.ts";',
    'const g = await import("./g.ts");',
    'import { join } from "node:path";',
    'const text = "not an import from \\"./h.ts\\"";',
  ].join("\n");
  assertEquals(importsOf(source).sort(), [
    "../b.ts",
    "./a.ts",
    "./c.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
    "./side.ts",
  ]);
});

Deno.test("circles() finds a circle and only a circle", () => {
  const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
  assertEquals(circles(g({ a: ["b"], b: ["c"], c: [] })), []);
  assertEquals(circles(g({ a: ["b", "c"], b: ["c"], c: [] })), []);
  assertEquals(circles(g({ a: ["b"], b: ["c"], c: ["a"] })), [[
    "a",
    "b",
    "c",
    "a",
  ]]);
});

Deno.test("commands import neither cli.ts nor each other", () => {
  const commands = [...graph].filter(([f]) =>
    f.startsWith("src/cli/commands/")
  );
  assert(commands.length >= 4, "the commands were not found");
  const arrows = commands.flatMap(([file, targets]) =>
    targets
      .filter((t) =>
        t === "src/cli/cli.ts" ||
        (t.startsWith("src/cli/commands/") && t !== file)
      )
      .map((t) => `${file} -> ${t}`)
  );
  assertEquals(
    arrows,
    [],
    "what commands share goes in src/cli/options.ts (or output.ts)",
  );
});

Deno.test("the graph covers main.ts and src/ and only files that exist", async () => {
  assert(graph.size > 40, `only ${graph.size} modules found`);
  assert(graph.has("main.ts"));
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const ok = await Deno.stat(join(ROOT, target)).then(
        () => true,
        () => false,
      );
      assert(ok, `${file} imports ${target}, which does not exist`);
    }
  }
});

Deno.test("no import circle in main.ts and src/", () => {
  assertEquals(
    circles(graph).map((c) => c.join(" -> ")),
    [],
    "an import circle: move what both sides need into a file both can import",
  );
});

Deno.test("every arrow points down the layers (known exceptions listed)", () => {
  const unknown = [...graph.keys()].filter((f) => !layerOf(f));
  assertEquals(
    unknown,
    [],
    "a module in a folder with no layer: add the folder to MAY_IMPORT in tests/architecture_test.ts and to docs/ARCHITECTURE.md",
  );
  const forbidden: string[] = [];
  const used = new Set<string>();
  for (const [file, targets] of graph) {
    const from = layerOf(file)!;
    for (const target of targets) {
      const to = layerOf(target);
      if (to === undefined) {
        forbidden.push(`${file} -> ${target} (outside src/)`);
        continue;
      }
      if (to === from) continue;
      if (from === "cli" && CLI_PLATFORM.has(target)) continue;
      if (MAY_IMPORT[from].includes(to)) continue;
      const arrow = `${file} -> ${target}`;
      if (KNOWN_EXCEPTIONS.has(arrow)) {
        used.add(arrow);
        continue;
      }
      forbidden.push(arrow);
    }
  }
  assertEquals(forbidden, [], "imports that go up or across the layers");
  assertEquals(
    [...KNOWN_EXCEPTIONS].filter((a) => !used.has(a)),
    [],
    "known exceptions that no longer occur: remove them from KNOWN_EXCEPTIONS",
  );
});

Deno.test("app/ and metadata/ reach the disk only through platform/local_files.ts", async () => {
  const calls: string[] = [];
  for (const file of graph.keys()) {
    if (!/^src\/(app|metadata)\//.test(file)) continue;
    const code = (await Deno.readTextFile(join(ROOT, file)))
      .replace(/^\s*\/\*[\s\S]*?\*\//gm, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const m of code.matchAll(/\bDeno\.[\w.]+/g)) {
      calls.push(`${file}: ${m[0]}`);
    }
  }
  assertEquals(
    calls,
    [],
    "use localFiles (src/platform/local_files.ts) instead of Deno.* in app/ and metadata/",
  );
});
