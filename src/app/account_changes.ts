/**
 * What changed on Flickr besides new photos: photos and albums deleted
 * (confirmed one by one before anything is declared gone), `--prune` moving
 * deleted photos to `.trash/<date>/`, and album folders renamed.
 *
 * @module
 */

import { localFiles } from "../platform/local_files.ts";
import { dirname } from "node:path";
import { exists } from "../platform/fs.ts";
import { confirmDeletions } from "./listing.ts";
import { folderInside, pathInside, refuseLink } from "../platform/safe_path.ts";
import { listingProblem, type RunContext, warn } from "./run_context.ts";

/**
 * After a full listing: a photo it missed is deleted on Flickr only when
 * the listing was complete and `flickr.photos.getInfo` answers "not
 * found". Deleted photos stay in the backup and are reported.
 */
export async function findDeleted(run: RunContext): Promise<void> {
  const unseen = run.store.unseenPhotos(
    run.runId,
    run.options.prune ?? false,
  );
  if (!unseen.length) return;
  const alive = unseen.filter((row) => !row.deletedOnFlickr).map((r) => r.id);
  const listed = run.store.counts(run.runId).total;
  if (listed === 0 && alive.length) {
    run.listingSuspicious = true;
    listingProblem(
      run,
      `Flickr listed no photos at all while the backup holds ${alive.length}; treating that as a Flickr problem, not as deletions`,
    );
  }
  if (run.listingProblems.length) {
    run.store.keepPhotos(alive, run.runId, false);
    run.deletions.unconfirmed = alive.length;
    if (alive.length) {
      run.deps.reporter.error(
        `Flickr's listing was incomplete, so the ${alive.length} photo(s) it did not list are not marked deleted`,
      );
    }
    return;
  }
  const result = await confirmDeletions(
    unseen.map((row) => row.id),
    (id) => run.deps.flickr.getPhotoInfo(id),
    { signal: run.options.signal },
  );
  run.store.keepPhotos(result.present, run.runId, true);
  // A Set: with a sample, `unknown` holds nearly every suspect.
  const aliveIds = new Set(alive);
  run.store.keepPhotos(
    result.unknown.filter((id) => aliveIds.has(id)),
    run.runId,
    false,
  );
  run.store.markPhotosGone(result.gone);
  for (const id of result.gone) run.confirmedGone.add(id);
  run.deletions = {
    confirmed: result.gone.length,
    stillOnFlickr: result.present.length,
    unconfirmed: result.unknown.length,
  };
  if (result.present.length) {
    warn(
      run,
      `Flickr's listing missed ${result.present.length} photo(s) that Flickr still has; they are kept as they are`,
    );
  }
  if (result.sampled) {
    listingProblem(
      run,
      `${unseen.length} photos are missing from Flickr's listing, too many to confirm one by one; no deletion is declared this run (a sample of ${result.asked} was asked: ${result.present.length} still on Flickr)`,
    );
  } else if (result.unknown.length) {
    warn(
      run,
      `${result.unknown.length} photo(s) missing from the listing could not be confirmed deleted; they stay in the backup unchanged`,
    );
  }
  if (result.gone.length) {
    warn(
      run,
      `${result.gone.length} photo(s) are no longer on Flickr (confirmed); they stay in the backup${
        run.options.prune ? "" : " (--prune moves them to .trash/)"
      }`,
    );
  }
}

/**
 * Albums the album list did not include: deleted only when that list was
 * complete and `flickr.photosets.getInfo` answers "not found"; otherwise
 * kept with their copies.
 */
export async function findDeletedAlbums(run: RunContext): Promise<void> {
  const missing = run.store.albumsNotSeen(run.runId);
  if (!missing.length) return;
  let keep = missing.map((album) => album.id);
  if (!run.albumListIncomplete) {
    const result = await confirmDeletions(
      keep,
      (id) => run.deps.flickr.getPhotosetInfo(id),
      { signal: run.options.signal },
    );
    keep = [...result.present, ...result.unknown];
    if (keep.length) {
      warn(
        run,
        `${keep.length} album(s) missing from Flickr's album list are not confirmed deleted; their folders are kept as they are`,
      );
    }
  }
  for (const id of keep) run.store.carryAlbum(id, run.runId);
}

/** Moves photos deleted on Flickr to `.trash/<date>/` (never deletes). */
export async function prune(run: RunContext): Promise<void> {
  // Only deletions Flickr confirmed in this run (getInfo "not found").
  const gone = run.store.gonePhotos().filter((row) =>
    run.confirmedGone.has(row.id)
  );
  if (!gone.length) return;
  const known = gone.length + run.store.counts(run.runId).total;
  if (
    run.listingSuspicious || (gone.length > 10 && gone.length * 2 > known)
  ) {
    warn(
      run,
      `Not pruning: ${gone.length} of ${known} photos would move to the trash, which looks like a Flickr problem rather than deletions; nothing was moved`,
    );
    return;
  }
  const stamp = new Date(run.deps.clock.now()).toISOString().slice(0, 10);
  const trash = `.trash/${stamp}`;
  for (const row of gone) {
    // Files of this photo only: never a folder (Unsorted/ included).
    const paths = new Set(
      [row.relPath, ...run.store.placements(row.id).map((p) => p.relPath)]
        .filter((rel) =>
          rel.includes("/") &&
          (rel.split("/").pop() ?? "").startsWith(`${row.id}.`)
        ),
    );
    for (const rel of paths) {
      for (const suffix of ["", ".json", ".xmp"]) {
        await moveInto(run.options.root, rel + suffix, trash);
      }
    }
    run.store.markPruned(row.id, trash);
    run.deps.reporter.detail(`pruned ${row.id} → ${trash}/`);
  }
  run.deps.reporter.info(
    `Moved ${gone.length} photo(s) deleted on Flickr to ${trash}/`,
  );
}

/** Gives new albums folders and renames folders of renamed albums. */
export async function applyFolderNames(run: RunContext): Promise<void> {
  const albums = run.store.albums();
  const alive = albums.filter((album) => !album.deletedOnFlickr);
  const gone = albums.filter((album) => album.deletedOnFlickr && album.folder);
  const names = run.deps.files.folderNames(
    alive.map((album) => ({ id: album.id, title: album.title })),
  );
  const taken = new Set(gone.map((album) => album.folder.toLowerCase()));
  for (const album of alive) {
    let name = names.get(album.id) ?? album.id;
    // A deleted album's folder stays, so a new one never merges into it.
    if (taken.has(name.toLowerCase()) && album.folder !== name) {
      name = `${name} (${album.id})`;
    }
    if (album.folder === name) continue;
    if (!album.folder) {
      run.store.setAlbumFolder(album.id, name);
      continue;
    }
    const from = await pathInside(run.options.root, album.folder);
    const to = await pathInside(run.options.root, name);
    await refuseLink(from, "folder");
    if (!(await exists(from))) {
      run.store.renameFolder(album.id, album.folder, name);
    } else if (await exists(to)) {
      warn(
        run,
        `Album "${album.title}" was renamed but "${name}" already exists; keeping the folder "${album.folder}"`,
      );
    } else {
      await localFiles.rename(from, to);
      run.store.renameFolder(album.id, album.folder, name);
      run.deps.reporter.info(
        `Album renamed on Flickr: "${album.folder}" → "${name}"`,
      );
    }
  }
}

/** Moves `<root>/<rel>` to `<root>/<trash>/<rel>` if it exists. */
async function moveInto(root: string, rel: string, trash: string) {
  const from = await pathInside(root, rel);
  if (!(await exists(from))) return;
  const to = await pathInside(root, `${trash}/${rel}`);
  await folderInside(root, dirname(`${trash}/${rel}`));
  await localFiles.rename(from, to);
}
