/**
 * `deno task check-binary <binary>...`: reads the permissions that `deno
 * compile` baked into each binary and exits 1 unless they are exactly the
 * release set. Works on all five targets from any machine (it only reads
 * bytes; the binary is never run).
 *
 * Where Deno 2.9 keeps them: `deno compile` adds a data section (an ELF
 * appendix, a Mach-O section or a PE resource, all named "d3n0l4nd") that
 * starts with the 8 bytes `d3n0l4nd`, then the length of the metadata as a
 * little-endian u64, then the metadata as JSON: `permissions` (Deno's
 * PermissionsOptions) and `v8_flags` among others. There is no `allow_all`
 * key: `-A` is stored as empty allow lists (`"allow_run": []` means every
 * program), and an absent permission is `null`.
 *
 * @module
 */

/** What the release binaries may do; anything else fails the check. */
export const RELEASE_SET = {
  allowNet: ["api.flickr.com", "www.flickr.com", "*.staticflickr.com"],
  allowEnv: [
    "FLICKR_API_KEY",
    "FLICKR_API_SECRET",
    "FLICKR_BACKUP_DIR",
    "FLICKR_ENDPOINT",
  ],
  v8Flags: ["--max-semi-space-size=4", "--expose-gc"],
} as const;

/** Every field of Deno 2.9's PermissionsOptions (a new one fails closed). */
const KNOWN_FIELDS = [
  "allow_env",
  "deny_env",
  "ignore_env",
  "allow_net",
  "deny_net",
  "allow_ffi",
  "deny_ffi",
  "allow_read",
  "deny_read",
  "ignore_read",
  "allow_run",
  "deny_run",
  "allow_sys",
  "deny_sys",
  "allow_write",
  "deny_write",
  "allow_import",
  "deny_import",
  "prompt",
];

/** The part of the baked-in metadata this check reads. */
export interface BinaryMetadata {
  permissions: Record<string, unknown>;
  v8_flags: string[];
  unsafely_ignore_certificate_errors?: unknown;
}

const MAGIC = new TextEncoder().encode("d3n0l4nd");
const MAX_METADATA = 16 * 1024 * 1024;

function magicAt(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[at + i] !== MAGIC[i]) return false;
  }
  return true;
}

/**
 * Finds the metadata JSON in a compiled binary. Throws unless there is
 * exactly one (none: not a `deno compile` binary of a known layout).
 */
export function readMetadata(bytes: Uint8Array): BinaryMetadata {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: BinaryMetadata[] = [];
  for (
    let at = bytes.indexOf(MAGIC[0]!);
    at >= 0 && at + 17 <= bytes.length;
    at = bytes.indexOf(MAGIC[0]!, at + 1)
  ) {
    // The magic, a u64 length, then JSON starting with "{".
    if (!magicAt(bytes, at) || bytes[at + 16] !== 0x7b) continue;
    const length = view.getBigUint64(at + 8, true);
    if (length > BigInt(Math.min(MAX_METADATA, bytes.length - at - 16))) {
      continue;
    }
    const start = at + 16;
    try {
      const json = JSON.parse(
        new TextDecoder("utf-8", { fatal: true }).decode(
          bytes.subarray(start, start + Number(length)),
        ),
      );
      if (
        typeof json?.permissions === "object" && json.permissions !== null &&
        Array.isArray(json.v8_flags)
      ) {
        found.push(json as BinaryMetadata);
      }
    } catch {
      // Not the metadata: the same 8 bytes also occur as a section name.
    }
  }
  if (found.length === 0) {
    throw new Error(
      "no deno compile metadata found (not a binary from deno compile 2.x?)",
    );
  }
  if (found.length > 1) {
    throw new Error(`${found.length} metadata blocks found, expected one`);
  }
  return found[0]!;
}

function sameSet(actual: unknown, expected: readonly string[]): boolean {
  return Array.isArray(actual) &&
    JSON.stringify([...actual].sort()) === JSON.stringify([...expected].sort());
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? "missing";
}

/** Every way the metadata differs from the release set (empty: it is it). */
export function releaseProblems(metadata: BinaryMetadata): string[] {
  const p = metadata.permissions;
  const problems: string[] = [];
  for (const field of Object.keys(p)) {
    if (!KNOWN_FIELDS.includes(field)) {
      problems.push(`unknown permission field ${field} (update this check)`);
    }
  }
  if (!sameSet(p.allow_net, RELEASE_SET.allowNet)) {
    problems.push(
      `allow_net is ${show(p.allow_net)}, expected ${
        show(RELEASE_SET.allowNet)
      } (an empty list means every host)`,
    );
  }
  if (!sameSet(p.allow_env, RELEASE_SET.allowEnv)) {
    problems.push(
      `allow_env is ${show(p.allow_env)}, expected ${
        show(RELEASE_SET.allowEnv)
      } (an empty list means every variable)`,
    );
  }
  for (const field of ["allow_read", "allow_write"]) {
    if (show(p[field]) !== "[]") {
      problems.push(`${field} is ${show(p[field])}, expected [] (allowed)`);
    }
  }
  for (const field of ["allow_run", "allow_ffi", "allow_sys"]) {
    if (p[field] !== null) {
      problems.push(
        `${field} is ${show(p[field])}, expected null (not granted)`,
      );
    }
  }
  // Deno always fills allow_import with default hosts unless told
  // otherwise; --deny-import (deny_import: []) refuses every remote import.
  if (p.allow_import !== null && show(p.deny_import) !== "[]") {
    problems.push(
      `remote imports allowed from ${
        show(p.allow_import) === "[]" ? "every host" : show(p.allow_import)
      } (compile with --deny-import)`,
    );
  }
  for (
    const field of KNOWN_FIELDS.filter((f) =>
      /^(deny|ignore)_/.test(f) && f !== "deny_import"
    )
  ) {
    if (p[field] !== null) {
      problems.push(`${field} is ${show(p[field])}, expected null`);
    }
  }
  if (p.prompt !== false) {
    problems.push(`prompt is ${show(p.prompt)}, expected false (--no-prompt)`);
  }
  for (const flag of RELEASE_SET.v8Flags) {
    if (!metadata.v8_flags.includes(flag)) {
      problems.push(`v8_flags ${show(metadata.v8_flags)} lack ${flag}`);
    }
  }
  const insecure = metadata.unsafely_ignore_certificate_errors;
  if (insecure !== null && insecure !== undefined) {
    problems.push(`certificate errors ignored for ${show(insecure)}`);
  }
  return problems;
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error("usage: deno task check-binary <binary>...");
    Deno.exit(2);
  }
  let failed = false;
  for (const path of Deno.args) {
    try {
      const problems = releaseProblems(readMetadata(await Deno.readFile(path)));
      if (problems.length === 0) {
        console.log(`ok: ${path} has exactly the release permission set`);
      } else {
        failed = true;
        console.error(`FAIL: ${path}:\n  ${problems.join("\n  ")}`);
      }
    } catch (error) {
      failed = true;
      console.error(
        `FAIL: ${path}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  if (failed) Deno.exit(1);
}
