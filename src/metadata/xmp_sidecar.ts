/**
 * The `<file>.xmp` sidecar of `embed.ts`, for formats that are never
 * modified (video, GIF, …), PNGs, and JPEGs whose XMP could not be written.
 *
 * @module
 */

import { isNotFound, localFiles } from "../platform/local_files.ts";
import { dirname } from "node:path";
import { decodeUtf8Strict, utf8 } from "./_bytes.ts";
import { type PhotoMetadata, prepareFields } from "./fields.ts";
import { fitXmpPacket, xmpFieldsFrom } from "./xmp.ts";
import { removeQuietly, tempPathFor, writeAll } from "../platform/fs.ts";
import { type SidecarOptions, type SidecarResult } from "./embed_types.ts";
import { errorText, syncDirBestEffort } from "./replace_file.ts";

/** Largest existing XMP sidecar that is read for merging. */
const MAX_SIDECAR_BYTES = 16 * 1024 * 1024;
/**
 * Writes (or updates) the XMP sidecar at `sidecarPath` with the same fields
 * as the embedded XMP, the description in full. An existing sidecar written
 * by another tool (darktable, digiKam, Lightroom) is merged with the XMP
 * rule, keeping its other properties; one that cannot be parsed is left
 * alone. Written atomically (temp file, fsync, rename).
 */
export async function writeXmpSidecar(
  sidecarPath: string,
  meta: PhotoMetadata,
  opts: SidecarOptions = {},
): Promise<SidecarResult> {
  const { fields, warnings } = prepareFields(meta, opts.cameraDateTimeOriginal);
  let existing: string | undefined;
  try {
    const info = await localFiles.stat(sidecarPath);
    if (!info.isFile || info.size > MAX_SIDECAR_BYTES) {
      return {
        path: sidecarPath,
        status: "skipped",
        warnings: [
          ...warnings,
          `Left "${sidecarPath}" untouched: not a small regular file`,
        ],
      };
    }
    const bytes = await localFiles.readFile(sidecarPath);
    existing = decodeUtf8Strict(bytes);
    if (existing === undefined) {
      return {
        path: sidecarPath,
        status: "skipped",
        warnings: [
          ...warnings,
          `Left "${sidecarPath}" untouched: it is not UTF-8`,
        ],
      };
    }
  } catch (error) {
    if (!(isNotFound(error))) {
      return {
        path: sidecarPath,
        status: "skipped",
        warnings: [
          ...warnings,
          `Cannot read "${sidecarPath}": ${errorText(error)}`,
        ],
      };
    }
  }
  const xmpFields = xmpFieldsFrom(fields);
  if (
    existing === undefined && xmpFields.tags.length === 0 &&
    Object.keys(xmpFields).length === 1
  ) {
    // Nothing to say and no sidecar yet: do not create an empty one.
    return { path: sidecarPath, status: "skipped", warnings };
  }
  const fit = fitXmpPacket(existing, xmpFields, Number.POSITIVE_INFINITY);
  if (fit.kind === "failed") {
    return {
      path: sidecarPath,
      status: "skipped",
      warnings: [...warnings, `Left "${sidecarPath}" untouched: ${fit.reason}`],
    };
  }
  if (fit.packet === existing) {
    return { path: sidecarPath, status: "unchanged", warnings };
  }
  const tempPath = tempPathFor(sidecarPath);
  try {
    const temp = await localFiles.open(tempPath, {
      write: true,
      createNew: true,
      mode: 0o644,
    });
    try {
      await writeAll(temp, utf8(fit.packet));
      await temp.sync();
    } finally {
      temp.close();
    }
    await localFiles.rename(tempPath, sidecarPath);
    await syncDirBestEffort(dirname(sidecarPath));
  } catch (error) {
    await removeQuietly(tempPath);
    return {
      path: sidecarPath,
      status: "skipped",
      warnings: [
        ...warnings,
        `Cannot write "${sidecarPath}": ${errorText(error)}`,
      ],
    };
  }
  return { path: sidecarPath, status: "written", warnings };
}
