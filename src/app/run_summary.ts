/**
 * The trustworthy summary at the end of a run, from the state: per-album
 * completeness, failures, non-original copies, API calls and whether the
 * listing could be trusted. Recorded as the run's result.
 *
 * @module
 */

import type { FlickrPhoto } from "../flickr/api_types.ts";
import { ExitCode } from "../errors.ts";
import { photoPageUrl } from "./sidecar.ts";
import type { AlbumReport, BackupSummary } from "./backup_ports.ts";
import type { RunContext } from "./run_context.ts";

export function summarize(
  run: RunContext,
  startedAt: Date,
  flickrCount: number | undefined,
  interrupted: boolean,
): BackupSummary {
  const store = run.store;
  const runId = run.runId;
  const counts = store.counts(runId);
  const albums: AlbumReport[] = store.albumCompleteness(runId).map((
    entry,
  ) => ({
    id: entry.album.id,
    title: entry.album.title,
    folder: entry.album.folder,
    expected: entry.album.expectedCount,
    listed: entry.listed,
    present: entry.done,
  }));
  const failedRows = store.photosWithStatus("failed", runId);
  const nonOriginalRows = store.nonOriginalPhotos(runId);
  const ownerUrl = (row: { infoJson: string; id: string }) =>
    photoPageUrl(JSON.parse(row.infoJson) as FlickrPhoto, run.owner.nsid);
  const unsorted = store.unsortedCompleteness(runId);
  const listingComplete = run.listingProblems.length === 0;
  const complete = !interrupted && counts.failed === 0 &&
    counts.pending === 0 && listingComplete;
  const apiCalls = run.deps.flickr.stats();
  const summary: BackupSummary = {
    result: interrupted ? "interrupted" : complete ? "complete" : "partial",
    exitCode: complete ? ExitCode.Ok : ExitCode.Partial,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(run.deps.clock.now()).toISOString(),
    account: {
      nsid: run.owner.nsid,
      username: run.owner.username,
      ...(flickrCount !== undefined ? { flickrCount } : {}),
    },
    totals: {
      ...run.totals,
      listed: counts.total,
      present: counts.done,
      pending: counts.pending,
      failed: counts.failed,
      skipped: counts.skipped,
      nonOriginal: counts.nonOriginal,
    },
    albums,
    unsorted: { listed: unsorted.listed, present: unsorted.done },
    failedIds: failedRows.map((row) => ({
      id: row.id,
      error: row.lastError,
      url: ownerUrl(row),
    })),
    nonOriginal: nonOriginalRows.map((row) => ({
      id: row.id,
      variant: row.variant,
      url: ownerUrl(row),
    })),
    apiCalls,
    apiCallsTotal: Object.values(apiCalls).reduce((a, b) => a + b, 0),
    warnings: run.warnings,
    videoRoutes: { ...run.videoRoutes },
    listing: {
      complete: listingComplete,
      problems: [...run.listingProblems],
      deletions: { ...run.deletions },
    },
  };
  store.finishRun(runId, run.deps.clock.now(), summary.result, summary);
  return summary;
}
