/**
 * Listing: Flickr's albums, their photos, the photos in no album and the
 * recently updated ones, recorded in the state a batch at a time (about one
 * API call per 500 photos). Each listing's verdict decides whether it can be
 * trusted.
 *
 * @module
 */

import { type FlickrPhoto, LISTING_EXTRAS } from "../flickr/api_types.ts";
import { FlickrNotFoundError } from "../flickr/errors.ts";
import {
  declaredMinimum,
  type ListingVerdict,
  verdictProblem,
} from "./listing.ts";
import { isFlickrId } from "../platform/safe_path.ts";
import { collectGarbageIfGrown } from "../platform/collect_garbage.ts";
import type { BackupListOptions } from "./backup_ports.ts";
import {
  checkAborted,
  listingProblem,
  type RunContext,
  warn,
} from "./run_context.ts";

/**
 * Photos recorded in one transaction; the heap is looked at after each
 * batch, so that the pages' promoted garbage does not pile up with the
 * account's size (see platform/collect_garbage.ts).
 */
const BATCH = 500;
/** Albums listed at once. */
const LISTING_CONCURRENCY = 4;

export function listOptions(
  run: RunContext,
  what: string,
  onProblem?: () => void,
): BackupListOptions {
  return {
    signal: run.options.signal,
    onVerdict: (verdict) => {
      const problem = verdictProblem(what, verdict);
      if (!problem) return;
      onProblem?.();
      listingProblem(run, problem);
    },
  };
}

export async function listAlbumSets(run: RunContext): Promise<AlbumSet[]> {
  const sets: AlbumSet[] = [];
  let position = 0;
  for await (
    const set of run.deps.flickr.listPhotosets(
      listOptions(
        run,
        "The list of albums",
        () => run.albumListIncomplete = true,
      ),
    )
  ) {
    if (!isFlickrId(set.id)) {
      // Its photos cannot be placed in it: the run is incomplete (exit 3),
      // and no album counts as deleted on a list with a hole in it.
      run.albumListIncomplete = true;
      listingProblem(
        run,
        `Flickr listed an album with the invalid id "${set.id}" ("${set.title}"): it is skipped, and no album is treated as deleted in this run; try again later`,
      );
      continue;
    }
    const count = set.countPhotos + set.countVideos;
    run.store.upsertAlbum({
      id: set.id,
      title: set.title,
      description: set.description,
      position: position++,
      dateUpdate: set.dateUpdate,
      expectedCount: count,
    }, run.runId);
    sets.push({
      id: set.id,
      title: set.title,
      dateUpdate: set.dateUpdate,
      count,
      minimum: declaredMinimum(set),
    });
  }
  return sets;
}

/** Lists the photos of every album (`all`) or of the changed ones. */
export async function listAlbums(
  run: RunContext,
  sets: AlbumSet[],
  all: boolean,
): Promise<void> {
  checkAborted(run);
  const toList = sets.filter((set) => {
    if (
      all || run.store.albumNeedsListing(set.id, set.dateUpdate, set.count)
    ) return true;
    run.store.carryAlbumMemberships(set.id, run.runId);
    return false;
  });
  // A few albums at once: each page is a round trip, and the pacer still
  // bounds the calls per hour. Each batch is one synchronous transaction,
  // so the order in which albums arrive does not matter.
  await run.deps.files.runQueue(
    toList,
    (set) => listAlbum(run, set),
    {
      concurrency: Math.min(LISTING_CONCURRENCY, toList.length || 1),
      signal: run.options.signal,
    },
  );
}

export async function listAlbum(run: RunContext, set: AlbumSet): Promise<void> {
  let index = 0;
  let batch: FlickrPhoto[] = [];
  const flush = () => {
    const start = index - batch.length;
    run.store.transaction(() => {
      batch.forEach((photo, offset) => {
        recordPhoto(run, photo);
        run.store.recordMembership(
          set.id,
          photo.id,
          start + offset,
          run.runId,
        );
      });
    });
    if (batch.length >= BATCH) collectGarbageIfGrown();
    batch = [];
  };
  let verdict: ListingVerdict | undefined;
  try {
    for await (
      const photo of run.deps.flickr.listPhotosetPhotos(set.id, {
        extras: LISTING_EXTRAS,
        signal: run.options.signal,
        onVerdict: (v) => verdict = v,
      })
    ) {
      batch.push(photo);
      index++;
      if (batch.length >= BATCH) flush();
    }
  } catch (error) {
    if (!(error instanceof FlickrNotFoundError)) throw error;
    // Deleted between photosets.getList and getPhotos: skip it; the next
    // run confirms the deletion. Its copies stay where they are.
    if (batch.length) flush();
    run.store.carryAlbumMemberships(set.id, run.runId);
    warn(
      run,
      `Album "${set.title}" vanished from Flickr while it was being listed; skipped (its folder is kept)`,
    );
    return;
  }
  if (batch.length) flush();
  const problem = verdictProblem(`Album "${set.title}"`, verdict) ??
    (index < set.minimum
      ? `Album "${set.title}": Flickr counts at least ${set.minimum} item(s) but listed ${index}`
      : undefined);
  if (problem) {
    // Not trusted: keep every copy where it was, list it again next run.
    run.store.carryAlbumMemberships(set.id, run.runId);
    listingProblem(
      run,
      `${problem}; nothing is moved or deleted for this album`,
    );
    return;
  }
  // Only now is the album known to be listed in full.
  run.store.markAlbumListed(
    set.id,
    set.dateUpdate,
    set.count,
    run.runId,
  );
}

export async function listNotInSet(run: RunContext): Promise<void> {
  await recordAll(
    run,
    run.deps.flickr.listNotInSet({
      extras: LISTING_EXTRAS,
      ...listOptions(run, "The photos in no album"),
    }),
  );
}

export async function listRecentlyUpdated(
  run: RunContext,
  since: number,
): Promise<void> {
  await recordAll(
    run,
    run.deps.flickr.listRecentlyUpdated(since, {
      extras: LISTING_EXTRAS,
      ...listOptions(run, "The recently updated photos"),
    }),
  );
}

export async function recordAll(
  run: RunContext,
  photos: AsyncIterable<FlickrPhoto>,
): Promise<void> {
  let batch: FlickrPhoto[] = [];
  const flush = () => {
    run.store.transaction(() => batch.forEach((p) => recordPhoto(run, p)));
    if (batch.length >= BATCH) collectGarbageIfGrown();
    batch = [];
  };
  for await (const photo of photos) {
    batch.push(photo);
    if (batch.length >= BATCH) flush();
  }
  if (batch.length) flush();
}

export function recordPhoto(run: RunContext, photo: FlickrPhoto): void {
  run.store.recordListedPhoto(
    {
      id: photo.id,
      media: photo.media,
      lastUpdate: photo.lastUpdate ?? 0,
      originalSecret: photo.originalSecret ?? "",
    },
    JSON.stringify(photo),
    run.runId,
  );
}

export interface AlbumSet {
  id: string;
  title: string;
  dateUpdate: number;
  count: number;
  /** Fewest items the album can hold by photosets.getList's counts. */
  minimum: number;
}
