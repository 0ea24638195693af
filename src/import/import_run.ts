/**
 * The import run: Flickr's own data export turned into the same backup that
 * `backup` makes (layout, sidecars, metadata in the files, state), offline.
 *
 * Two passes over the zips' tables of contents: first every `photo_<id>.json`
 * name (the ids that exist), `albums.json` and the profile; media entries are
 * matched to ids by name (§2 of FLICKR_EXPORT.md). Then each photo with media
 * is streamed from its zip into a temp file beside its final name, renamed,
 * tagged, given its sidecars and album links, and recorded as done — the
 * same per-photo durability as a download, so a killed import resumes.
 *
 * @module
 */

import { join } from "node:path";
import { STATE_FILE, StateStore } from "../state/state_store.ts";
import { ExitCode } from "../errors.ts";
import { ExportSources } from "./export_sources.ts";
import { photoJsonId } from "./export_json.ts";
import {
  checkAborted,
  type ImportContext,
  type ImportDeps,
  type ImportOptions,
  type ImportSummary,
  newContext,
} from "./import_context.ts";
import {
  describe,
  describeSources,
  matchMedia,
  readExtras,
  recordPhotos,
} from "./import_scan.ts";
import { applyFolderNames, recordAlbums } from "./import_albums.ts";
import { importOne } from "./import_place.ts";

export type {
  ImportDeps,
  ImportOptions,
  ImportSummary,
  MissingItem,
} from "./import_context.ts";

/** Imports a Flickr data export into `options.root`. */
export async function runImport(
  deps: ImportDeps,
  options: ImportOptions,
): Promise<ImportSummary> {
  const store = StateStore.open(join(options.root, STATE_FILE));
  try {
    await using sources = await ExportSources.open(options.inputs);
    return await run(newContext(deps, options, store, sources));
  } finally {
    store.close();
  }
}

async function run(ctx: ImportContext): Promise<ImportSummary> {
  const { reporter, clock } = ctx.deps;
  const startedAt = new Date(clock.now());
  const apiListing = ctx.store.lastCompleteListing();
  ctx.runId = ctx.store.beginRun(startedAt.getTime());
  describeSources(ctx);

  // Pass 1: what exists, from names only; then the metadata.
  for (const entry of ctx.sources.entries()) {
    const id = photoJsonId(entry.name);
    if (id) ctx.photoJson.set(id, entry);
  }
  const orphanWork = matchMedia(ctx);
  const { albums, profile, exportTime } = await readExtras(ctx);
  if (profile) ctx.owner = profile;
  ctx.exportNewer = !apiListing || exportTime > apiListing.startedAt;
  if (apiListing) {
    reporter.info(
      ctx.exportNewer
        ? "The export is newer than the last API backup: its albums and titles win"
        : "The last API backup is newer than the export: its albums and titles stay; the export adds files and export-only facts",
    );
  }
  recordAlbums(ctx, albums, apiListing?.id);
  const work = await recordPhotos(ctx, albums, apiListing?.id);
  work.push(...orphanWork);
  await applyFolderNames(ctx);
  checkAborted(ctx);

  // Pass 2: the files.
  ctx.progress.total = work.length;
  reporter.info(
    `${ctx.photoJson.size} photos and videos in the export's metadata, ${ctx.media.size} with a file; importing into "${ctx.options.root}"`,
  );
  reporter.progress(ctx.progress);
  let interrupted = false;
  try {
    // In the order of each zip's table of contents: one pass per zip.
    const byEntry = new Map(work.map((item) => [item.entry, item]));
    for await (const read of ctx.sources.read(byEntry.keys())) {
      checkAborted(ctx);
      await importOne(ctx, byEntry.get(read.entry)!, read);
    }
  } catch (error) {
    if (!ctx.options.signal.aborted) throw error;
    interrupted = true;
  }
  return summarize(ctx, startedAt, interrupted);
}
function summarize(
  ctx: ImportContext,
  startedAt: Date,
  interrupted: boolean,
): ImportSummary {
  const store = ctx.store;
  const runId = ctx.runId;
  const counts = store.counts(runId);
  const albums = store.albumCompleteness(runId).map((entry) => ({
    id: entry.album.id,
    title: entry.album.title,
    folder: entry.album.folder,
    listed: entry.listed,
    present: entry.done,
  }));
  const unsorted = store.unsortedCompleteness(runId);
  const damaged = ctx.sources.sources.filter((s) => s.damaged);
  const bad = ctx.failed.length > 0 || damaged.length > 0 ||
    ctx.zeroByte.length > 0;
  const summary: ImportSummary = {
    command: "import",
    result: interrupted ? "interrupted" : bad ? "partial" : "complete",
    exitCode: bad || interrupted ? ExitCode.Partial : ExitCode.Ok,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(ctx.deps.clock.now()).toISOString(),
    account: { nsid: ctx.owner.nsid, username: ctx.owner.username },
    sources: ctx.sources.sources.map((source) => {
      const json = source.entries.filter((e) => e.name.endsWith(".json"))
        .length;
      return {
        path: source.path,
        kind: source.kind,
        holds: describe(json, source.entries.length - json),
        ...(source.damaged ? { damaged: source.damaged } : {}),
      };
    }),
    totals: {
      listed: counts.total,
      present: counts.done,
      ...ctx.totals,
      failed: ctx.failed.length,
    },
    albums,
    unsorted: { listed: unsorted.listed, present: unsorted.done },
    missingMedia: ctx.missingMedia,
    neverProcessed: ctx.neverProcessed,
    zeroByte: ctx.zeroByte,
    orphans: ctx.orphans,
    small: ctx.small,
    failedIds: ctx.failed,
    albumEntriesWithoutPhoto: ctx.albumDropped,
    exportNewer: ctx.exportNewer,
    warnings: ctx.warnings,
  };
  store.finishRun(runId, ctx.deps.clock.now(), summary.result, summary);
  return summary;
}
