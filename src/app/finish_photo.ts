/**
 * Finishing a saved file: metadata written into it, its JSON sidecar, its
 * copies in the other album folders, and copies removed from albums the
 * photo left. Raw tag spellings and licence names are asked once per run.
 *
 * @module
 */

import { localFiles } from "../platform/local_files.ts";
import { join } from "node:path";
import { exists } from "../platform/fs.ts";
import type { FlickrPhoto } from "../flickr/api_types.ts";
import { hasOwnTags, presentTags, type RawTagMap } from "./tags.ts";
import {
  type License,
  licenseFor,
  rightsText as licenseRights,
} from "./licenses.ts";
import {
  buildSidecar,
  keepExportFacts,
  photoPageUrl,
  type SidecarContext,
} from "./sidecar.ts";
import { pathInside } from "../platform/safe_path.ts";
import type { EmbedInput, EmbedOutcome } from "./backup_ports.ts";
import {
  albumDir,
  isFatal,
  type RunContext,
  type SavedFile,
  warn,
} from "./run_context.ts";

const RAW_TAGS_KEY = "flickr_raw_tags";
const LICENSES_KEY = "flickr_licenses";

/**
 * Writes metadata, the sidecars and the album copies of a saved file, and
 * removes copies from albums the photo left (never from albums deleted on
 * Flickr, whose folders stay). Returns the placements now on disk.
 */
export async function finishPhoto(
  run: RunContext,
  photo: FlickrPhoto,
  albums: { id: string; title: string }[],
  folders: { albumId: string; folder: string }[],
  saved: SavedFile,
  recordedRel: string,
): Promise<{ albumId: string; relPath: string }[]> {
  const { files } = run.deps;
  const root = run.options.root;
  if (saved.adopted) run.totals.adopted++;
  const fileName = saved.relPath.split("/").pop()!;
  // The first album folder holds the canonical file.
  const canonicalRel = `${folders[0]!.folder}/${fileName}`;
  if (
    saved.pending && (!run.options.embed || canonicalRel !== saved.relPath)
  ) await writePending(run, saved, undefined);
  if (canonicalRel !== saved.relPath) {
    await albumDir(run, folders[0]!.folder);
    const canonical = await pathInside(root, canonicalRel);
    await files.linkOrCopy(saved.path, canonical, "hardlink");
    await copyXmp(run, saved.path, canonical);
    saved.relPath = canonicalRel;
    saved.path = canonical;
  }
  const tags = presentTags(photo, await rawTagMap(run, photo));
  const license = await licenseOf(run, photo);
  const meta = embedInput(photo, run.owner, { tags, license });
  const { embedded, dateInFile, xmpSidecar } = await embedMeta(
    run,
    photo,
    saved,
    meta,
  );
  // An imported photo's sidecar keeps the facts only the export has.
  const previous = saved.noSidecar && !recordedRel
    ? undefined
    : await readSidecar(root, recordedRel || saved.relPath);
  const sidecar = JSON.stringify(
    keepExportFacts(
      buildSidecar({
        photo,
        owner: run.owner,
        albums: albums.map((a) => ({ id: a.id, title: a.title })),
        saved: saved.variant,
        dateInFile,
        embedded,
        backedUpAt: new Date(run.deps.clock.now()),
        tags,
        ...(license ? { license } : {}),
      }),
      previous,
    ),
    null,
    2,
  ) + "\n";
  const placements = await placeCopies(
    run,
    folders,
    saved,
    sidecar,
    xmpSidecar,
  );
  await removeStaleCopies(run, photo.id, recordedRel, placements);
  return placements;
}

/** The sidecar beside `rel` as it is now, if any. */
async function readSidecar(root: string, rel: string): Promise<unknown> {
  try {
    const path = await pathInside(root, `${rel}.json`);
    return JSON.parse(await localFiles.readTextFile(path));
  } catch {
    return undefined;
  }
}

/**
 * Writes the metadata into the saved file (with --embed; idempotent: a file
 * that already holds these values is "unchanged"), and says what the
 * sidecar records of it.
 */
async function embedMeta(
  run: RunContext,
  photo: FlickrPhoto,
  saved: SavedFile,
  meta: EmbedInput,
): Promise<{
  embedded: SidecarContext["embedded"];
  dateInFile: SidecarContext["dateInFile"];
  xmpSidecar: string | undefined;
}> {
  if (!run.options.embed) {
    return {
      embedded: { status: "disabled", warnings: [] },
      dateInFile: { source: "none" },
      xmpSidecar: undefined,
    };
  }
  const written = saved.pending
    ? await writePending(run, saved, meta)
    : undefined;
  const outcome = written ?? await run.deps.files.embedMetadata(
    saved.path,
    meta,
    saved.finalBytes,
    false,
  );
  const xmpSidecar = outcome.xmpSidecar;
  for (const warning of outcome.warnings) {
    run.deps.reporter.detail(`metadata ${photo.id}: ${warning}`);
  }
  if (outcome.written) {
    saved.finalBytes = outcome.written.bytes;
    saved.finalSha256 = outcome.written.sha256;
  }
  return {
    embedded: {
      status: outcome.format === "other" && xmpSidecar
        ? "xmp-sidecar"
        : outcome.status === "unchanged"
        ? "written"
        : outcome.status,
      warnings: outcome.warnings,
    },
    dateInFile: {
      source: outcome.dateSource ?? "none",
      ...(outcome.dateValue ? { value: outcome.dateValue } : {}),
    },
    xmpSidecar,
  };
}

/**
 * Writes a download held in memory to its path, once, with `meta` written
 * into it when given (the folder is fsynced with the sidecar's rename).
 */
async function writePending(
  run: RunContext,
  saved: SavedFile,
  meta: EmbedInput | undefined,
): Promise<EmbedOutcome | undefined> {
  const bytes = saved.pending!;
  delete saved.pending;
  return await run.deps.files.writeMedia(saved.path, bytes, meta);
}

/**
 * The file in every album folder (the first holds the canonical file, the
 * others a link or copy), each with its sidecar (with hard links, a link to
 * the first folder's sidecar too); one fsync per folder.
 */
async function placeCopies(
  run: RunContext,
  folders: { albumId: string; folder: string }[],
  saved: SavedFile,
  sidecar: string,
  xmpSidecar: string | undefined,
): Promise<{ albumId: string; relPath: string }[]> {
  const { files } = run.deps;
  const fileName = saved.relPath.split("/").pop()!;
  const placements: { albumId: string; relPath: string }[] = [];
  let firstSidecar = "";
  for (const [index, place] of folders.entries()) {
    const dir = await albumDir(run, place.folder);
    const relPath = `${place.folder}/${fileName}`;
    if (index > 0) {
      // The folder is fsynced with the batch (below).
      await files.linkOrCopy(
        saved.path,
        join(dir, fileName),
        run.options.albumLinks,
        { syncDir: false },
      );
      if (xmpSidecar) {
        await files.linkOrCopy(
          xmpSidecar,
          join(dir, `${fileName}.xmp`),
          "copy",
          { syncDir: false },
        );
      }
    }
    const sidecarPath = join(dir, `${fileName}.json`);
    if (index > 0 && run.options.albumLinks === "hardlink") {
      // The same JSON as the first folder's: linked like the file itself
      // (no second write and fsync of the same bytes).
      await files.linkOrCopy(firstSidecar, sidecarPath, "hardlink", {
        syncDir: false,
      });
    } else {
      await files.atomicWriteFile(sidecarPath, sidecar, { syncDir: false });
    }
    if (index === 0) firstSidecar = sidecarPath;
    placements.push({ albumId: place.albumId, relPath });
  }
  // The renames of the file and its sidecar are made durable by one fsync
  // per folder and batch, before the batch's commit may say "done".
  for (const place of folders) {
    run.batch.needsSync(join(run.options.root, place.folder));
  }
  return placements;
}

/**
 * Copies the photo no longer has: left albums go, deleted albums stay (added
 * to `placements`, which holds the copies just placed).
 */
async function removeStaleCopies(
  run: RunContext,
  photoId: string,
  recordedRel: string,
  placements: { albumId: string; relPath: string }[],
): Promise<void> {
  const root = run.options.root;
  const wanted = new Set(placements.map((place) => place.relPath));
  const goneAlbumIds = new Set(run.goneAlbums.map((album) => album.id));
  run.allGoneIds ??= new Set(
    run.store.goneAlbums().map((album) => album.id),
  );
  const allGone = run.allGoneIds;
  // Placements are recorded with the photo's path (markDone): a photo with
  // none recorded has none to look up.
  const previous = recordedRel ? run.store.placements(photoId) : [];
  const stale = [
    ...previous.map((p) => ({ albumId: p.albumId, relPath: p.relPath })),
  ];
  if (recordedRel && !previous.some((p) => p.relPath === recordedRel)) {
    stale.push({ albumId: "", relPath: recordedRel });
  }
  for (const old of stale) {
    if (wanted.has(old.relPath)) continue;
    if (goneAlbumIds.has(old.albumId) || allGone.has(old.albumId)) {
      placements.push(old); // the deleted album's folder keeps its copy
      continue;
    }
    for (const suffix of ["", ".json", ".xmp"]) {
      const stalePath = await pathInside(root, old.relPath + suffix).catch(
        () => undefined,
      );
      if (stalePath) await localFiles.remove(stalePath).catch(() => undefined);
    }
  }
}

/**
 * Raw tag spellings for a photo that has tags of its own: one
 * `flickr.tags.getListUserRaw` per run (kept in the state as a fallback
 * when Flickr cannot answer); never asked in a run that writes no tags.
 */
export function rawTagMap(
  run: RunContext,
  photo: FlickrPhoto,
): Promise<RawTagMap | undefined> {
  if (!hasOwnTags(photo)) return Promise.resolve(undefined);
  run.rawTags ??= loadRawTags(run);
  return run.rawTags;
}

export async function loadRawTags(run: RunContext): Promise<RawTagMap> {
  try {
    const map = await run.deps.flickr.getRawTags();
    run.store.setMeta(RAW_TAGS_KEY, JSON.stringify([...map]));
    return map;
  } catch (error) {
    if (isFatal(error)) throw error;
    const saved = run.store.getMeta(RAW_TAGS_KEY);
    warn(
      run,
      `Cannot read the tags' raw spellings from Flickr (${
        error instanceof Error ? error.message : String(error)
      }); using ${
        saved ? "those an earlier run saved" : "Flickr's cleaned tags"
      }`,
    );
    return new Map(saved ? JSON.parse(saved) as [string, string[]][] : []);
  }
}

/**
 * A photo's licence, named: from the table kept in the state, else one
 * `flickr.photos.licenses.getInfo` per run, else the built-in table.
 */
export async function licenseOf(
  run: RunContext,
  photo: FlickrPhoto,
): Promise<License | undefined> {
  const id = photo.license;
  if (id === undefined) return undefined;
  run.knownLicenses ??= JSON.parse(
    run.store.getMeta(LICENSES_KEY) ?? "[]",
  ) as License[];
  const known = run.knownLicenses.find((license) => license.id === id);
  if (known) return known;
  run.licenses ??= loadLicenses(run);
  return licenseFor(id, await run.licenses);
}

export async function loadLicenses(
  run: RunContext,
): Promise<readonly License[]> {
  try {
    const table = await run.deps.flickr.getLicenses();
    run.store.setMeta(LICENSES_KEY, JSON.stringify(table));
    run.knownLicenses = table;
    return table;
  } catch (error) {
    if (isFatal(error)) throw error;
    warn(
      run,
      `Cannot read Flickr's licence names (${
        error instanceof Error ? error.message : String(error)
      }); using the built-in table`,
    );
    return [];
  }
}

export async function copyXmp(
  run: RunContext,
  fromMedia: string,
  toMedia: string,
): Promise<void> {
  if (await exists(`${fromMedia}.xmp`)) {
    await run.deps.files.linkOrCopy(
      `${fromMedia}.xmp`,
      `${toMedia}.xmp`,
      "copy",
    );
  }
}

/** The fields written into files, from a listed photo. */
export function embedInput(
  photo: FlickrPhoto,
  owner: { nsid: string; username: string; realname?: string | undefined },
  named: { tags?: { keywords: string[] }; license?: License | undefined } = {},
): EmbedInput {
  const license = photo.license === undefined
    ? undefined
    : named.license ?? licenseFor(photo.license);
  return {
    // The owner's own tags in their spelling; machine tags never.
    tags: (named.tags ?? presentTags(photo)).keywords,
    dateTakenGranularity:
      ([4, 6, 8] as const).find((g) => g === photo.dateTakenGranularity) ?? 0,
    dateTakenUnknown: photo.dateTakenUnknown,
    ...(photo.title ? { title: photo.title } : {}),
    ...(photo.description ? { description: photo.description } : {}),
    ...(photo.dateTaken ? { dateTaken: photo.dateTaken } : {}),
    ...(photo.geo
      ? { latitude: photo.geo.latitude, longitude: photo.geo.longitude }
      : {}),
    creator: owner.realname || photo.ownerName || owner.username,
    ...(license !== undefined
      ? { rights: licenseRights(license, owner.realname || owner.username) }
      : {}),
    flickrUrl: photoPageUrl(photo, owner.nsid),
  };
}
