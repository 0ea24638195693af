/**
 * What a reader can still read from a TIFF block ({@link readableTags}),
 * and which camera tags a rewrite would hide or change ({@link lostTags}).
 *
 * @module
 */

import { bytesEqual } from "./_bytes.ts";
import { type Ifd, IFD_NAMES, isValidType, TiffReader } from "./tiff_reader.ts";

/** Keys made so far, per IFD name (a photo's keys are mostly the same). */
const keys = new Map<string, Map<number, string>>();

/** "IFD:0xtag", made once per IFD name and tag (at most 4,096 kept each). */
function tagKey(name: string, tag: number): string {
  let byTag = keys.get(name);
  if (!byTag) keys.set(name, byTag = new Map());
  let key = byTag.get(tag);
  if (key === undefined) {
    key = `${name}:0x${tag.toString(16).padStart(4, "0")}`;
    if (byTag.size < 4096) byTag.set(tag, key);
  }
  return key;
}

/**
 * The tags a reader can read from a TIFF block ("IFD:tag" -> value bytes),
 * following the rule ExifTool applies: an IFD whose first entry has an
 * invalid type is ignored whole (with everything it points to); other
 * entries with an invalid type, or a value past the end, are skipped.
 * Sub-IFDs are found through the pointers, so a wrong pointer shows too.
 */
export function readableTags(tiff: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let reader: TiffReader;
  try {
    reader = new TiffReader(tiff);
  } catch {
    return out;
  }
  const seen = new Set<number>();
  const walk = (offset: number, name: string, depth: number) => {
    if (seen.has(offset) || depth > 3) return;
    seen.add(offset);
    let ifd: Ifd;
    try {
      ifd = reader.readIfd(offset, name);
    } catch {
      return;
    }
    if (ifd.entries.length > 0 && !isValidType(ifd.entries[0]!.type)) return;
    for (const entry of ifd.entries) {
      if (!isValidType(entry.type)) continue;
      const value = reader.valueBytes(entry);
      if (value === undefined) continue;
      const key = tagKey(name, entry.tag);
      if (out.has(key)) continue;
      const subName = IFD_NAMES[entry.tag as keyof typeof IFD_NAMES];
      if (subName) {
        // A pointer's value is where the IFD is, which may move.
        out.set(key, new Uint8Array(0));
        if (entry.count === 0) continue;
        walk(
          reader.u32(entry.fieldOffset),
          name === "IFD1" ? `IFD1-${subName}` : subName,
          depth + 1,
        );
      } else {
        out.set(key, value);
      }
    }
    if (name === "IFD0" && ifd.next !== 0) walk(ifd.next, "IFD1", depth + 1);
  };
  walk(reader.ifd0Offset, "IFD0", 0);
  return out;
}

/** Tags we write: their values may change. */
const OWNED = new Set([
  "IFD0:0x010e",
  "IFD0:0x83bb",
  "IFD0:0x013b",
  "IFD0:0x8298",
  "IFD0:0x9c9b",
  "IFD0:0x9c9c",
  "IFD0:0x9c9e",
  "ExifIFD:0x9003",
  "ExifIFD:0x9004",
  "IFD1-ExifIFD:0x9003",
]);

/**
 * Describes the first camera tag readable in `before` that is missing or
 * has another value in `after`, or returns undefined when there is none.
 */
export function lostTags(
  before: Map<string, Uint8Array>,
  after: Map<string, Uint8Array>,
  droppedThumbnail: boolean,
  reclaimed: Set<string>,
): string | undefined {
  const problems: string[] = [];
  for (const [key, value] of before) {
    if (droppedThumbnail && key.startsWith("IFD1:")) continue;
    if (reclaimed.has(key)) continue;
    const now = after.get(key);
    if (now === undefined) problems.push(`${key} (gone)`);
    else if (
      !OWNED.has(key) && !key.startsWith("GPS:") && !bytesEqual(now, value)
    ) {
      problems.push(`${key} (changed)`);
    }
  }
  if (problems.length === 0) return undefined;
  const more = problems.length > 3 ? ` and ${problems.length - 3} more` : "";
  return `tag${problems.length > 1 ? "s" : ""} ${
    problems.slice(0, 3).join(", ")
  }${more}`;
}
