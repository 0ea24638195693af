/**
 * Safe, stable folder names for albums (RELIABILITY §7). Pure: no I/O.
 *
 * Titles are hostile input. Each one becomes a single path segment that is
 * valid on Linux, macOS and Windows, at most `maxBytes` UTF-8 bytes, never
 * `.`/`..`, never hidden, never a Windows device name, and unique among its
 * siblings even on a case-insensitive, normalisation-insensitive disk.
 *
 * Reserved characters `< > : " / \ | ? *` become `_` rather than fullwidth
 * look-alikes (rclone, gallery-dl `windows+`): `_` is plain ASCII, survives
 * every file system and archive format, and does not produce names that look
 * like they contain a path separator (`a／b`) when listed or copied into a
 * shell. The title itself is kept in the sidecar, so nothing is lost.
 *
 * @module
 */

/** Default byte budget of a folder name: leaves room below NAME_MAX (255). */
export const DEFAULT_FOLDER_MAX_BYTES = 180;

/** The folder for photos that are in no album; no album may take its name. */
export const UNSORTED_FOLDER = "Unsorted";

/** Smallest `maxBytes` accepted: an album id suffix must still fit. */
const MIN_MAX_BYTES = 32;

// Controls C0, DEL and C1; bidi embeddings/overrides/isolates that can make
// "gpj.exe" display as "exe.jpg".
const CONTROL_OR_BIDI =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const WINDOWS_RESERVED_CHARS = /[<>:"/\\|?*]/g;
const RESERVED_DEVICE =
  /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[1-9¹²³]|LPT[1-9¹²³])$/i;

const encoder = new TextEncoder();

/** Options of {@link albumFolderNames}. */
export interface FolderNameOptions {
  /** Maximum UTF-8 bytes of a name, suffixes included (default 180). */
  maxBytes?: number;
}

/**
 * Turns one title into one safe path segment.
 *
 * Steps: NFC; lone surrogates replaced; control and bidi-override characters
 * removed; `< > : " / \ | ? *` replaced by `_`; leading spaces and trailing
 * dots and spaces stripped; an empty, whitespace-only, `.` or `..` result
 * becomes `fallback`; a leading `.` gets a `_` prefix (dot names are ours and
 * hidden); a Windows device name (`CON`, `nul.txt`, `Com1.jpg`, ...) gets `_`
 * after its stem; the result is cut to `maxBytes` on a grapheme boundary.
 * Idempotent: sanitising a result again returns it unchanged.
 *
 * @param title The untrusted title.
 * @param fallback Used when nothing usable is left (normally the Flickr id).
 * @param maxBytes UTF-8 byte budget (default 180, at least 32).
 */
export function sanitizeSegment(
  title: string,
  fallback: string,
  maxBytes: number = DEFAULT_FOLDER_MAX_BYTES,
): string {
  checkMaxBytes(maxBytes);
  const cleaned = cleanSegment(title, maxBytes);
  if (cleaned !== "") return cleaned;
  const fromFallback = cleanSegment(fallback, maxBytes);
  return fromFallback !== "" ? fromFallback : "_";
}

/**
 * Chooses a folder name for every album.
 *
 * Names are compared by `casefold(NFC(name))`. When two or more albums share
 * a name, or an album would take the reserved name `Unsorted`, every one of
 * them gets ` (<albumId>)` appended, so the result does not depend on the
 * order the API returned the albums in. The same input always gives the same
 * output. Callers should still keep the first name they used for an album
 * (albumId → folder in the state), so that a later album with the same title
 * does not move an existing folder.
 *
 * @param albums Album ids (unique) and titles.
 * @returns albumId → folder name; every name is at most `maxBytes` bytes.
 */
export function albumFolderNames(
  albums: readonly { id: string; title: string }[],
  options: FolderNameOptions = {},
): Map<string, string> {
  const maxBytes = options.maxBytes ?? DEFAULT_FOLDER_MAX_BYTES;
  checkMaxBytes(maxBytes);

  const base = new Map<string, string>();
  for (const album of albums) {
    base.set(album.id, sanitizeSegment(album.title, album.id, maxBytes));
  }

  const groups = new Map<string, string[]>();
  for (const [id, name] of base) {
    const key = collisionKey(name);
    const members = groups.get(key);
    if (members) members.push(id);
    else groups.set(key, [id]);
  }

  const reservedKey = collisionKey(UNSORTED_FOLDER);
  const result = new Map<string, string>();
  const suffixed = new Set<string>();
  for (const [key, ids] of groups) {
    const clash = ids.length > 1 || key === reservedKey;
    for (const id of ids) {
      const name = base.get(id) ?? id;
      if (clash) {
        result.set(id, withIdSuffix(name, id, maxBytes));
        suffixed.add(id);
      } else {
        result.set(id, name);
      }
    }
  }

  // A title can itself look like a suffixed name ("Trip (123)"). Suffixed
  // names end in a unique id so they never clash with each other; an
  // unsuffixed name that clashes with one gets its own id suffix too.
  const suffixedKeys = new Set<string>();
  for (const id of suffixed) {
    suffixedKeys.add(collisionKey(result.get(id) ?? ""));
  }
  for (const [id, name] of result) {
    if (!suffixed.has(id) && suffixedKeys.has(collisionKey(name))) {
      result.set(id, withIdSuffix(name, id, maxBytes));
    }
  }
  return result;
}

/**
 * The key under which two names are the same folder on a case-insensitive,
 * normalisation-insensitive file system.
 */
export function collisionKey(name: string): string {
  return name.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
}

/** UTF-8 length of `text` in bytes. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

function cleanSegment(title: string, maxBytes: number): string {
  let name = title.normalize("NFC").toWellFormed();
  name = name.replace(CONTROL_OR_BIDI, "");
  name = name.replace(WINDOWS_RESERVED_CHARS, "_");
  name = stripEnds(name);
  if (name.trim() === "") return "";
  if (name.startsWith(".")) name = "_" + name;
  name = fixDeviceName(name);
  name = stripEnds(truncateGraphemes(name, maxBytes));
  return name.trim() === "" ? "" : name;
}

function stripEnds(name: string): string {
  return name.replace(/^ +/, "").replace(/[. ]+$/, "");
}

function fixDeviceName(name: string): string {
  const dot = name.indexOf(".");
  const stem = dot === -1 ? name : name.slice(0, dot);
  // Windows also ignores spaces before the extension ("NUL .txt").
  if (!RESERVED_DEVICE.test(stem.trimEnd())) return name;
  return stem + "_" + (dot === -1 ? "" : name.slice(dot));
}

function withIdSuffix(name: string, id: string, maxBytes: number): string {
  const safeId = cleanSegment(id, maxBytes - 3) || "_";
  const suffix = ` (${safeId})`;
  const budget = maxBytes - utf8Length(suffix);
  const head = budget > 0 ? stripEnds(truncateGraphemes(name, budget)) : "";
  return head === "" ? safeId : head + suffix;
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes at a grapheme boundary, so no
 * code point, surrogate pair, combining sequence or emoji sequence is split.
 * A single grapheme over budget (e.g. thousands of combining marks) is cut at
 * a code-point boundary instead.
 */
export function truncateGraphemes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const segmenter = new Intl.Segmenter("und", { granularity: "grapheme" });
  let out = "";
  let bytes = 0;
  for (const { segment } of segmenter.segment(text)) {
    const size = utf8Length(segment);
    if (bytes + size > maxBytes) {
      if (out === "") return truncateCodePoints(segment, maxBytes);
      break;
    }
    out += segment;
    bytes += size;
  }
  return out;
}

function truncateCodePoints(text: string, maxBytes: number): string {
  let out = "";
  let bytes = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

function checkMaxBytes(maxBytes: number): void {
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_BYTES) {
    throw new RangeError(
      `Cannot name folders: maxBytes must be an integer of at least ${MIN_MAX_BYTES}, got ${maxBytes}`,
    );
  }
}
