/**
 * The per-photo job: choose a source and download it (or reuse the file a
 * done photo already has), finish it (metadata, sidecars, album copies),
 * record it, and turn a failure into a failed item or a stopped run.
 *
 * @module
 */

import { exists } from "../platform/fs.ts";
import type { FlickrPhoto } from "../flickr/api_types.ts";
import { AppError, ExitCode } from "../errors.ts";
import {
  type AlbumRow,
  albumSignatureOf,
  type PhotoRow,
} from "../state/state_store.ts";
import { sqliteLocalError } from "../state/sqlite_errors.ts";
import { photoPageUrl, type SavedVariant } from "./sidecar.ts";
import { isFlickrId, pathInside } from "../platform/safe_path.ts";
import { UNSORTED } from "./backup_ports.ts";
import {
  isFatal,
  mayPass,
  type RunContext,
  type SavedFile,
  warn,
} from "./run_context.ts";
import { savePhoto, saveVideo } from "./save_media.ts";
import { finishPhoto } from "./finish_photo.ts";
import { breakHardLinks } from "./file_checks.ts";

/** A finished file this large is recorded at once, not with the batch. */
const URGENT_BYTES = 8_000_000;

/**
 * One item of the run: its bytes saved (or, for `refresh`, the file it
 * has), finished (metadata, sidecars, album copies) and recorded done; a
 * failure marks it failed unless the whole run must stop. `planned`: the
 * photo's row and albums in this run, when the caller read them already.
 */
export async function processPhoto(
  run: RunContext,
  id: string,
  refresh: boolean,
  signal: AbortSignal,
  planned?: { row: PhotoRow | undefined; albums: AlbumRow[] },
): Promise<void> {
  // The plan's page read the row and albums of its items at once.
  const row = planned ? planned.row : run.store.photo(id);
  if (!row) return;
  const photo = JSON.parse(row.infoJson) as FlickrPhoto;
  const albums = planned?.albums ?? run.store.albumsOf(id, run.runId);
  const folders = albums.length
    ? albums.map((album) => ({ albumId: album.id, folder: album.folder }))
    : [{ albumId: "", folder: UNSORTED }];
  const url = photoPageUrl(photo, run.owner.nsid);
  try {
    if (!isFlickrId(photo.id)) {
      throw new AppError(
        `Flickr listed a photo with the invalid id "${photo.id}"; it is not saved`,
        ExitCode.Partial,
      );
    }
    let saved: SavedFile | undefined;
    if (refresh) {
      saved = await existingCanonical(run, row);
    } else {
      // A file under its final name is only adopted when the state has
      // no record of it (lost state, or a crash before it was recorded);
      // a replaced original is always fetched again.
      const adopt = row.sha256 === "";
      const folder = folders[0]!.folder;
      saved = await run.network.run(
        () =>
          photo.media === "video"
            ? saveVideo(run, photo, folder, signal, adopt)
            : savePhoto(
              run,
              photo,
              folder,
              signal,
              adopt,
              row.status === "failed",
            ),
        signal,
      );
    }
    if (!saved) {
      run.totals.skipped++;
      run.store.markSkipped(
        id,
        "no original available (--originals-only)",
      );
      run.deps.reporter.detail(
        `skipped ${id}: no original available (--originals-only)`,
      );
      return;
    }
    if (
      refresh &&
      (photo.lastUpdate !== row.appliedUpdate || run.upgrading.has(id))
    ) {
      await breakHardLinks(saved.path);
    }
    const placements = await finishPhoto(
      run,
      photo,
      albums,
      folders,
      saved,
      row.relPath,
    );
    await recordDone(run, row, photo, saved, placements, refresh, albums);
  } catch (error) {
    recordFailure(run, id, url, refresh, error, signal);
  } finally {
    run.deps.reporter.progress(run.progress);
  }
}

/** Records a saved and finished photo as done (with the next batch). */
async function recordDone(
  run: RunContext,
  row: PhotoRow,
  photo: FlickrPhoto,
  saved: SavedFile,
  placements: { albumId: string; relPath: string }[],
  refresh: boolean,
  albums: readonly AlbumRow[],
): Promise<void> {
  const id = row.id;
  const done = {
    variant: refresh
      ? row.variant
      : saved.variant.kind === "original"
      ? "original"
      : `${saved.variant.kind}:${saved.variant.label}`,
    relPath: saved.relPath,
    bytes: saved.finalBytes,
    sha256: saved.finalSha256,
    appliedUpdate: photo.lastUpdate ?? 0,
    // The albums this job read (album folders and titles are settled
    // before any photo job starts): the signature without another query.
    appliedAlbums: albumSignatureOf(albums),
    sourceBytes: saved.variant.bytes,
    sourceSha256: saved.variant.sha256Downloaded,
    savedJson: JSON.stringify(saved.variant),
    placements,
  };
  // Recorded with the next batch; a large file at once (it is costly to
  // recognise again after a crash).
  await run.batch.add(
    () => run.store.markDone(id, done),
    saved.finalBytes >= URGENT_BYTES,
  );
  if (refresh) run.totals.updated++;
  run.progress.done++;
  run.deps.reporter.detail(
    refresh
      ? `updated ${id} (${saved.relPath})`
      : `${
        saved.adopted ? "recognised" : "saved"
      } ${id} → ${saved.relPath} (${saved.variant.kind} ${saved.variant.label}, ${saved.variant.bytes} bytes)`,
  );
}

/**
 * A photo that could not be saved: the run stops for an abort, a local
 * problem or a fatal error; otherwise the photo is marked failed (retried
 * later when the reason may pass) or, for an update, warned about.
 */
function recordFailure(
  run: RunContext,
  id: string,
  url: string,
  refresh: boolean,
  error: unknown,
  signal: AbortSignal,
): void {
  if (signal.aborted || run.options.signal.aborted) throw error;
  const local = sqliteLocalError(error, run.store.path);
  if (local) throw local;
  if (isFatal(error)) throw error;
  const message = error instanceof Error ? error.message : String(error);
  if (refresh) {
    if (run.upgrading.has(id)) run.upgradeFailed = true;
    warn(run, `Cannot update ${url}: ${message}`);
    run.progress.failed++;
    return;
  }
  run.store.markFailed(id, message);
  run.totals.failed++;
  run.progress.failed++;
  if (mayPass(error) && (run.options.retryForMs ?? 600_000) > 0) {
    // Tried again after the main pass; warned about if it still fails.
    run.retryable.add(id);
    run.deps.reporter.detail(`Cannot back up ${url} yet: ${message}`);
  } else run.deps.reporter.warn(`Cannot back up ${url}: ${message}`);
}

/** The file of a done photo, for a metadata or album update. */
export async function existingCanonical(
  run: RunContext,
  row: PhotoRow,
): Promise<SavedFile> {
  const path = await pathInside(run.options.root, row.relPath);
  if (!(await exists(path))) {
    throw new AppError(
      `"${row.relPath}" is missing from the backup: run "flickr-backup verify --repair"`,
      ExitCode.Partial,
    );
  }
  const [kind, label] = row.variant.split(":");
  const recorded = JSON.parse(row.savedJson) as Partial<SavedVariant>;
  return {
    relPath: row.relPath,
    path,
    adopted: false,
    variant: {
      kind: recorded.kind ?? ((kind as SavedVariant["kind"]) || "original"),
      label: recorded.label ?? label ?? "o",
      bytes: row.sourceBytes,
      sha256Downloaded: row.sourceSha256,
      ...(recorded.width ? { width: recorded.width } : {}),
      ...(recorded.height ? { height: recorded.height } : {}),
      ...(recorded.source ? { source: recorded.source } : {}),
    },
    finalBytes: row.bytes,
    finalSha256: row.sha256,
  };
}
