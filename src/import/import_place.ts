/**
 * Pass 2 of an import, one file at a time: streamed from its zip into a
 * temp file beside its final name (or checked when the backup has it),
 * renamed, tagged, given its sidecars and album links, and recorded as done:
 * the per-photo durability of a download, so a killed import resumes. An
 * API backup's 1024 px copy goes to `.trash/`.
 *
 * @module
 */

import { dirname } from "node:path";
import { createHash } from "node:crypto";
import type { FlickrPhoto } from "../flickr/api_types.ts";
import { breakHardLinks, embedInput, UNSORTED } from "../app/backup_run.ts";
import { buildSidecar, type SavedVariant } from "../app/sidecar.ts";
import { outcomeOf } from "../app/compose.ts";
import type { EmbedOutcome } from "../app/backup_ports.ts";
import { embedJpegBytes, SMALL_FILE_BYTES } from "../metadata/embed_small.ts";
import { dateResolutionToLocalDate } from "../metadata/fields.ts";
import { classifyFsError, tempPathFor } from "../platform/fs.ts";
import { folderInside, pathInside } from "../platform/safe_path.ts";
import { AppError, ExitCode } from "../errors.ts";
import {
  copyEntryTo,
  type EntryData,
  readDataHead,
  readEntryBytes,
  readEntryHead,
  writeNewFile,
} from "./export_sources.ts";
import { extensionOf } from "./export_json.ts";
import { pixelSize } from "../pixels.ts";
import {
  damaged,
  exists,
  type ImportContext,
  pageUrl,
  SMALL_EDGE,
  warn,
  type Work,
} from "./import_context.ts";
import { recordOrphan } from "./import_scan.ts";

/** Bytes read from the start of an image to find its pixel size. */
const HEAD_BYTES = 256 * 1024;
const NONE = new Uint8Array(0);

export async function importOne(
  ctx: ImportContext,
  item: Work,
  read: { data?: EntryData; error?: Error },
): Promise<void> {
  const { id, entry } = item;
  const url = `https://www.flickr.com/photos/${
    ctx.owner.pathAlias || ctx.owner.nsid || "me"
  }/${id}/`;
  try {
    if (item.orphan) recordOrphan(ctx, id, entry);
    if (!read.data) throw read.error;
    await place(ctx, item, read.data);
    ctx.progress.done++;
  } catch (error) {
    if (ctx.options.signal.aborted) throw error;
    const local = classifyFsError(error, ctx.options.root);
    if (isFatal(local)) throw local;
    const message = error instanceof Error ? error.message : String(error);
    if (/signature|crc|invalid|zip|compressed|inflat/i.test(message)) {
      damaged(ctx, entry, error);
    }
    ctx.store.markFailed(id, message);
    ctx.failed.push({ id, error: message, url });
    ctx.progress.failed++;
    ctx.deps.reporter.warn(`Cannot import ${entry.where}: ${message}`);
  } finally {
    ctx.deps.reporter.progress(ctx.progress);
  }
}
async function place(
  ctx: ImportContext,
  item: Work,
  data: EntryData,
): Promise<void> {
  const { id, entry } = item;
  const root = ctx.options.root;
  const row = ctx.store.photo(id)!;
  const info = JSON.parse(row.infoJson) as FlickrPhoto & {
    export?: Record<string, unknown>;
  };
  const albums = ctx.store.albumsOf(id, ctx.runId);
  const folders = albums.length
    ? albums.map((a) => ({ albumId: a.id, folder: a.folder }))
    : [{ albumId: "", folder: UNSORTED }];
  const saved = row.status === "done"
    ? JSON.parse(row.savedJson) as Partial<SavedVariant> & { source?: string }
    : undefined;
  const fromExport = saved?.source === "export";
  const fromApi = row.status === "done" && !fromExport;
  // An API "original" smaller in pixels than the export's file is a
  // reduced copy too (free accounts get 1024 px since May 2025).
  const apiOriginal = fromApi && row.variant === "original" &&
    !(await smallerThanExport(ctx, row.relPath, data));
  const apiReduced = fromApi && !apiOriginal;
  // A file already in the backup keeps its name (the API may have saved
  // a video as .mp4 that the export calls .mov).
  const fileName = apiOriginal && row.relPath
    ? row.relPath.split("/").pop()!
    : `${id}.${extensionOf(entry.name)}`;
  const canonicalRel = `${folders[0]!.folder}/${fileName}`;
  const canonical = await pathInside(root, canonicalRel);

  const owner = {
    nsid: ctx.owner.nsid,
    username: ctx.owner.username,
    ...(ctx.owner.realname ? { realname: ctx.owner.realname } : {}),
  };
  const photo: FlickrPhoto = {
    ...info,
    ...(info.pathAlias || !ctx.owner.pathAlias
      ? {}
      : { pathAlias: ctx.owner.pathAlias }),
  };
  let variant: SavedVariant & { source: "api" | "export" };
  let pixels: { width: number; height: number } | undefined;
  let taggedOutcome: EmbedOutcome | undefined;
  let finalBytes: number;
  let finalSha: string;
  let changedFile = false;
  if (
    (fromExport && row.sourceBytes === entry.size &&
      await exists(await pathInside(root, row.relPath))) || apiOriginal
  ) {
    // Already in the backup: never copied twice.
    if (apiOriginal && row.sourceBytes !== entry.size) {
      warn(
        ctx,
        `${id}: the backup's original (${row.sourceBytes} bytes) differs from the export's (${entry.size} bytes) but has as many pixels; the backup's file is kept`,
      );
    }
    if (apiOriginal) ctx.totals.alreadyPresent++;
    variant = {
      kind: "original",
      label: saved?.label ?? "o",
      bytes: row.sourceBytes,
      sha256Downloaded: row.sourceSha256,
      ...(saved?.width ? { width: saved.width } : {}),
      ...(saved?.height ? { height: saved.height } : {}),
      source: fromExport ? "export" : "api",
    };
    finalBytes = row.bytes;
    finalSha = row.sha256;
    if (row.relPath !== canonicalRel) {
      // Albums changed: the canonical file moves with the first album.
      await folderInside(root, folders[0]!.folder);
      await ctx.deps.files.linkOrCopy(
        await pathInside(root, row.relPath),
        canonical,
        "hardlink",
      );
    }
  } else {
    await folderInside(root, folders[0]!.folder);
    const temp = tempPathFor(canonical);
    // A photo of a few MB is read whole, tagged in memory and written
    // once; anything bigger is streamed, then tagged on disk below.
    const whole = await readEntryBytes(data, SMALL_FILE_BYTES);
    let copied: { bytes: number; sha256: string };
    if (whole) {
      copied = {
        bytes: whole.length,
        sha256: createHash("sha256").update(whole).digest("hex"),
      };
      pixels = pixelSize(whole.subarray(0, HEAD_BYTES));
      const tagged = ctx.options.embed
        ? embedJpegBytes(whole, embedInput(photo, owner))
        : undefined;
      if (tagged) taggedOutcome = outcomeOf(tagged.result);
      writeNewFile(
        temp,
        tagged?.next ?? whole,
        tagged ? dateResolutionToLocalDate(tagged.result.date) : undefined,
      );
    } else {
      copied = await copyEntryTo(data, temp, ctx.options.signal);
    }
    if (copied.bytes !== entry.size) {
      await Deno.remove(temp).catch(() => undefined);
      throw new AppError(
        `the zip says ${entry.size} bytes but holds ${copied.bytes}`,
        ExitCode.Partial,
      );
    }
    await ctx.deps.checkpoint?.("copied", id);
    if (apiReduced) {
      // The API's 1024 px copy goes to the trash, never deleted.
      await trashOld(ctx, row);
      ctx.totals.replaced++;
    }
    await Deno.rename(temp, canonical);
    if (!whole) {
      pixels = pixelSize(await readEntryHead(canonical, HEAD_BYTES));
    }
    variant = {
      kind: "original",
      label: "export",
      bytes: copied.bytes,
      sha256Downloaded: copied.sha256,
      ...(pixels ? { width: pixels.width, height: pixels.height } : {}),
      source: "export",
    };
    finalBytes = copied.bytes;
    finalSha = copied.sha256;
    changedFile = true;
    ctx.totals.imported++;
    ctx.totals.bytesImported += copied.bytes;
    ctx.progress.bytes += copied.bytes;
  }
  if (
    info.media === "photo" && variant.width && variant.height &&
    Math.max(variant.width, variant.height) <= SMALL_EDGE
  ) {
    ctx.small.push({
      id,
      title: info.title,
      width: variant.width,
      height: variant.height,
      url: pageUrl(ctx, info),
    });
  }

  // Metadata into the file (done above for a photo tagged in memory),
  // then sidecars and album copies.
  let embedded: {
    status: "written" | "unchanged" | "skipped" | "xmp-sidecar" | "disabled";
    warnings: string[];
  } = {
    status: "disabled",
    warnings: [],
  };
  let dateInFile: { source: "flickr" | "camera" | "none"; value?: string } = {
    source: "none",
  };
  let xmpSidecar: string | undefined;
  if (ctx.options.embed) {
    const meta = embedInput(photo, owner);
    let outcome = taggedOutcome ??
      await ctx.deps.files.embedMetadata(canonical, meta);
    if (
      outcome.status === "skipped" &&
      outcome.warnings.some((w) => w.includes("hard links"))
    ) {
      // New metadata for a file shared by album folders: it gets its own
      // copy first; the album copies are linked to it again below.
      await breakHardLinks(canonical);
      outcome = await ctx.deps.files.embedMetadata(canonical, meta);
    }
    xmpSidecar = outcome.xmpSidecar;
    embedded = {
      status: outcome.format === "other" && xmpSidecar
        ? "xmp-sidecar"
        : outcome.status === "unchanged"
        ? "written"
        : outcome.status,
      warnings: outcome.warnings,
    };
    dateInFile = {
      source: outcome.dateSource ?? "none",
      ...(outcome.dateValue ? { value: outcome.dateValue } : {}),
    };
    if (outcome.written) {
      finalBytes = outcome.written.bytes;
      finalSha = outcome.written.sha256;
      changedFile = true;
    }
  }
  const sidecarObject = buildSidecar({
    photo,
    owner,
    albums: albums.map((a) => ({ id: a.id, title: a.title })),
    saved: variant,
    dateInFile,
    embedded,
    backedUpAt: new Date(ctx.deps.clock.now()),
  });
  const sidecarText = JSON.stringify(
    exportSidecar(sidecarObject, variant.source, info.export),
    null,
    2,
  ) + "\n";
  const placements: { albumId: string; relPath: string }[] = [];
  const wanted = new Set<string>();
  let sidecarsChanged = false;
  for (const [index, place] of folders.entries()) {
    const relPath = `${place.folder}/${fileName}`;
    wanted.add(relPath);
    if (index > 0) {
      await folderInside(root, place.folder);
      const linked = await ctx.deps.files.linkOrCopy(
        canonical,
        await pathInside(root, relPath),
        ctx.options.albumLinks,
      );
      if (linked !== "unchanged") changedFile = true;
      if (xmpSidecar) {
        await ctx.deps.files.linkOrCopy(
          xmpSidecar,
          await pathInside(root, `${relPath}.xmp`),
          "copy",
        );
      }
    }
    const sidecarPath = await pathInside(root, `${relPath}.json`);
    if (!(await sameSidecar(sidecarPath, sidecarText))) {
      await ctx.deps.files.atomicWriteFile(sidecarPath, sidecarText);
      sidecarsChanged = true;
    }
    placements.push({ albumId: place.albumId, relPath });
  }
  // Copies in albums the photo left (albums the import knows only).
  const seen = ctx.albumsOfRun ??= new Set(
    ctx.store.albums().filter((a) => a.seenRun === ctx.runId).map((a) => a.id),
  );
  const stale = ctx.store.placements(id).map((p) => ({
    albumId: p.albumId,
    relPath: p.relPath,
  }));
  if (row.relPath && !stale.some((p) => p.relPath === row.relPath)) {
    stale.push({ albumId: "", relPath: row.relPath });
  }
  for (const old of stale) {
    if (wanted.has(old.relPath)) continue;
    if (old.albumId && !seen.has(old.albumId)) {
      placements.push(old);
      continue;
    }
    for (const suffix of ["", ".json", ".xmp"]) {
      const stalePath = await pathInside(root, old.relPath + suffix).catch(
        () => undefined,
      );
      if (stalePath) await Deno.remove(stalePath).catch(() => undefined);
    }
    sidecarsChanged = true;
  }
  ctx.store.markDone(id, {
    variant: "original",
    relPath: canonicalRel,
    bytes: finalBytes,
    sha256: finalSha,
    appliedUpdate: row.appliedUpdate || row.lastUpdate,
    appliedAlbums: ctx.store.albumSignature(id, ctx.runId),
    sourceBytes: variant.bytes,
    sourceSha256: variant.sha256Downloaded,
    savedJson: JSON.stringify(variant),
    placements,
  });
  if (!changedFile && sidecarsChanged && row.status === "done") {
    ctx.totals.updated++;
  }
  ctx.deps.reporter.detail(
    changedFile && variant.source === "export"
      ? `imported ${id} ← ${entry.where} → ${canonicalRel}`
      : `checked ${id} (${canonicalRel})`,
  );
}

/** Whether the backup's file has fewer pixels than the export's. */
async function smallerThanExport(
  ctx: ImportContext,
  rel: string,
  data: EntryData,
): Promise<boolean> {
  const path = await pathInside(ctx.options.root, rel).catch(() => "");
  const ours = path
    ? pixelSize(await readEntryHead(path, HEAD_BYTES).catch(() => NONE))
    : undefined;
  if (!ours) return false;
  const theirs = pixelSize(await readDataHead(data, HEAD_BYTES));
  return theirs !== undefined &&
    Math.max(ours.width, ours.height) < Math.max(theirs.width, theirs.height);
}

/** Moves an API copy (all its album copies and sidecars) to the trash. */
async function trashOld(
  ctx: ImportContext,
  row: { id: string; relPath: string },
): Promise<void> {
  const stamp = new Date(ctx.deps.clock.now()).toISOString().slice(0, 10);
  const trash = `.trash/import-${stamp}`;
  const rels = new Set(
    [row.relPath, ...ctx.store.placements(row.id).map((p) => p.relPath)]
      .filter(Boolean),
  );
  for (const rel of rels) {
    for (const suffix of ["", ".json", ".xmp"]) {
      const from = await pathInside(ctx.options.root, rel + suffix);
      if (!(await exists(from))) continue;
      const to = await pathInside(
        ctx.options.root,
        `${trash}/${rel}${suffix}`,
      );
      // Already there: an import killed after this step; what is at
      // `from` now is its own copy, replaced below.
      if (await exists(to)) continue;
      await folderInside(ctx.options.root, dirname(`${trash}/${rel}`));
      await Deno.rename(from, to);
    }
  }
  ctx.deps.reporter.detail(
    `moved the 1024 px copy of ${row.id} to ${trash}/`,
  );
}
/** The sidecar of an imported file: source and export-only facts added. */
function exportSidecar(
  sidecar: Record<string, unknown>,
  source: string,
  facts: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sidecar)) {
    out[key] = value;
    if (key === "id") out.source = source;
  }
  if (facts && typeof facts.privacy === "string") {
    // "friend & family" stands for friends-only and family-only alike.
    out.privacy = facts.privacy === "friend & family"
      ? {
        public: false,
        friends: "unknown",
        family: "unknown",
        as_exported: facts.privacy,
      }
      : { ...(out.privacy as object), as_exported: facts.privacy };
  }
  if (facts) out.export = facts;
  return out;
}
async function sameSidecar(path: string, text: string): Promise<boolean> {
  try {
    const current = JSON.parse(await Deno.readTextFile(path));
    const next = JSON.parse(text);
    delete current.backed_up_at;
    delete next.backed_up_at;
    return JSON.stringify(current) === JSON.stringify(next);
  } catch {
    return false;
  }
}
function isFatal(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  return error.exitCode === ExitCode.LocalFatal ||
    error.exitCode === ExitCode.Locked ||
    error.exitCode === ExitCode.Interrupted ||
    error.exitCode === ExitCode.Terminated;
}
