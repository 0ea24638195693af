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

import { dirname, join } from "node:path";
import type { FlickrPhoto } from "../flickr/api_types.ts";
import type { Clock } from "../platform/clock.ts";
import type { Reporter } from "../app/reporter.ts";
import {
  type BackupFiles,
  breakHardLinks,
  embedInput,
  UNSORTED,
} from "../app/backup_run.ts";
import { buildSidecar, type SavedVariant } from "../app/sidecar.ts";
import { STATE_FILE, StateStore } from "../state/state_store.ts";
import { classifyFsError, tempPathFor } from "../platform/fs.ts";
import {
  folderInside,
  knownExtension,
  pathInside,
} from "../platform/safe_path.ts";
import { AppError, ExitCode } from "../errors.ts";
import {
  copyEntryTo,
  type EntryData,
  type ExportEntry,
  ExportSources,
  readDataHead,
  readEntryHead,
  readEntryText,
} from "./export_sources.ts";
import {
  type ExportAccount,
  type ExportAlbum,
  type ExportFacts,
  extensionOf,
  parseAccountProfile,
  parseAlbumsJson,
  parsePhotoJson,
  photoJsonId,
  recoverId,
  VIDEO_EXTENSIONS,
} from "./export_json.ts";
import { pixelSize } from "./pixels.ts";

/** Longest edge at or below which an image may not be an original. */
export const SMALL_EDGE = 1024;
/** Bytes read from the start of an image to find its pixel size. */
const HEAD_BYTES = 256 * 1024;
const NONE = new Uint8Array(0);

/** What the import needs from the outside. */
export interface ImportDeps {
  files: Pick<
    BackupFiles,
    "embedMetadata" | "atomicWriteFile" | "linkOrCopy" | "folderNames"
  >;
  clock: Clock;
  reporter: Reporter;
  /**
   * Awaited at known points, for tests that stop the process there:
   * "copied" (a file's temp copy is complete, not yet renamed).
   */
  checkpoint?: ((point: string, id: string) => Promise<void>) | undefined;
}

/** Options of one import. */
export interface ImportOptions {
  /** Absolute path of the backup folder. */
  root: string;
  /** Zips and folders of the export. */
  inputs: string[];
  albumLinks: "hardlink" | "copy" | "symlink";
  embed: boolean;
  signal: AbortSignal;
}

/** One item in the "what is missing" lists. */
export interface MissingItem {
  id: string;
  title?: string;
  where?: string;
  url?: string;
}

/** What an import did. */
export interface ImportSummary {
  command: "import";
  result: "complete" | "partial" | "interrupted";
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  account: { nsid: string; username: string };
  sources: { path: string; kind: string; holds: string; damaged?: string }[];
  totals: {
    /** Photos and videos the export's metadata describes. */
    listed: number;
    /** Of them, with their file in the backup now. */
    present: number;
    /** Files copied from the export this run. */
    imported: number;
    /** API copies of 1024 px replaced by the export's original. */
    replaced: number;
    /** Files the backup already had (not copied twice). */
    alreadyPresent: number;
    /** Done items whose metadata, sidecars or album copies changed. */
    updated: number;
    failed: number;
    bytesImported: number;
  };
  albums: {
    id: string;
    title: string;
    folder: string;
    listed: number;
    present: number;
  }[];
  unsorted: { listed: number; present: number };
  missingMedia: MissingItem[];
  neverProcessed: MissingItem[];
  zeroByte: MissingItem[];
  orphans: MissingItem[];
  small: (MissingItem & { width: number; height: number })[];
  failedIds: { id: string; error: string; url: string }[];
  /** Ids in `albums.json` without a photo JSON ("0" included). */
  albumEntriesWithoutPhoto: number;
  /** Whether the export's albums and titles won over an API backup's. */
  exportNewer: boolean;
  warnings: string[];
}

interface Work {
  id: string;
  entry: ExportEntry;
  /** No photo JSON: metadata unknown (orphan). */
  orphan: boolean;
}

/** Imports a Flickr data export into `options.root`. */
export async function runImport(
  deps: ImportDeps,
  options: ImportOptions,
): Promise<ImportSummary> {
  const store = StateStore.open(join(options.root, STATE_FILE));
  try {
    await using sources = await ExportSources.open(options.inputs);
    return await new ImportRun(deps, options, store, sources).run();
  } finally {
    store.close();
  }
}

class ImportRun {
  #deps: ImportDeps;
  #options: ImportOptions;
  #store: StateStore;
  #sources: ExportSources;
  #runId = 0;
  #owner: ExportAccount = { nsid: "", username: "" };
  #warnings: string[] = [];
  #exportNewer = true;
  #photoJson = new Map<string, ExportEntry>();
  #media = new Map<string, ExportEntry>();
  #missingMedia: MissingItem[] = [];
  #neverProcessed: MissingItem[] = [];
  #zeroByte: MissingItem[] = [];
  #orphans: MissingItem[] = [];
  #small: (MissingItem & { width: number; height: number })[] = [];
  #failed: { id: string; error: string; url: string }[] = [];
  #albumDropped = 0;
  #totals = {
    imported: 0,
    replaced: 0,
    alreadyPresent: 0,
    updated: 0,
    bytesImported: 0,
  };
  #progress = { done: 0, total: 0, failed: 0, bytes: 0 };

  constructor(
    deps: ImportDeps,
    options: ImportOptions,
    store: StateStore,
    sources: ExportSources,
  ) {
    this.#deps = deps;
    this.#options = options;
    this.#store = store;
    this.#sources = sources;
  }

  async run(): Promise<ImportSummary> {
    const { reporter, clock } = this.#deps;
    const startedAt = new Date(clock.now());
    const apiListing = this.#store.lastCompleteListing();
    this.#runId = this.#store.beginRun(startedAt.getTime());
    this.#describeSources();

    // Pass 1: what exists, from names only; then the metadata.
    for (const entry of this.#sources.entries()) {
      const id = photoJsonId(entry.name);
      if (id) this.#photoJson.set(id, entry);
    }
    const orphanWork = this.#matchMedia();
    const { albums, profile, exportTime } = await this.#readExtras();
    if (profile) this.#owner = profile;
    this.#exportNewer = !apiListing || exportTime > apiListing.startedAt;
    if (apiListing) {
      reporter.info(
        this.#exportNewer
          ? "The export is newer than the last API backup: its albums and titles win"
          : "The last API backup is newer than the export: its albums and titles stay; the export adds files and export-only facts",
      );
    }
    this.#recordAlbums(albums, apiListing?.id);
    const work = await this.#recordPhotos(albums, apiListing?.id);
    work.push(...orphanWork);
    await this.#applyFolderNames();
    this.#checkAborted();

    // Pass 2: the files.
    this.#progress.total = work.length;
    reporter.info(
      `${this.#photoJson.size} photos and videos in the export's metadata, ${this.#media.size} with a file; importing into "${this.#options.root}"`,
    );
    reporter.progress(this.#progress);
    let interrupted = false;
    try {
      // In the order of each zip's table of contents: one pass per zip.
      const byEntry = new Map(work.map((item) => [item.entry, item]));
      for await (const read of this.#sources.read(byEntry.keys())) {
        this.#checkAborted();
        await this.#importOne(byEntry.get(read.entry)!, read);
      }
    } catch (error) {
      if (!this.#options.signal.aborted) throw error;
      interrupted = true;
    }
    return this.#summarize(startedAt, interrupted);
  }

  #checkAborted(): void {
    if (this.#options.signal.aborted) throw this.#options.signal.reason;
  }

  #warn(message: string): void {
    this.#warnings.push(message);
    this.#deps.reporter.warn(message);
  }

  #describeSources(): void {
    for (const source of this.#sources.sources) {
      const json = source.entries.filter((e) => e.name.endsWith(".json"))
        .length;
      const media = source.entries.length - json;
      const holds = describe(json, media);
      this.#deps.reporter.info(`${source.path}: ${holds}`);
      if (source.damaged) {
        this.#warn(
          `${source.path} is damaged: ${source.damaged}. The rest is imported; download this zip again from Flickr and import it`,
        );
      }
    }
  }

  /** Media entries → ids; returns the work for media without metadata. */
  #matchMedia(): Work[] {
    const known = (id: string) => this.#photoJson.has(id);
    const orphans = new Map<string, ExportEntry>();
    for (const entry of this.#sources.entries()) {
      if (entry.name.toLowerCase().endsWith(".json")) continue;
      if (!knownExtension(extensionOf(entry.name))) {
        this.#warn(
          `${entry.where}: not a photo or video file this tool knows; not imported`,
        );
        continue;
      }
      const found = recoverId(entry.name, known);
      if (found.kind === "matched") {
        const previous = this.#media.get(found.id);
        // The same file in two zips: keep one, preferring a non-empty one.
        if (!previous || (previous.size === 0 && entry.size > 0)) {
          this.#media.set(found.id, entry);
        }
      } else if (found.kind === "ambiguous") {
        this.#warn(
          `${entry.where}: the name matches the metadata of ${
            found.ids.join(" and ")
          }; not imported, to be safe`,
        );
      } else if (found.id && !this.#knownFromApi(found.id)) {
        orphans.set(found.id, entry);
      } else if (found.id) {
        // Known from an API backup: the state has its metadata.
        this.#media.set(found.id, entry);
        this.#apiOnly.add(found.id);
      } else {
        this.#orphans.push({ id: "", where: entry.where });
        this.#warn(
          `${entry.where}: no photo id in the name and no metadata; not imported`,
        );
      }
    }
    const work: Work[] = [];
    for (const [id, entry] of [...orphans].sort(byKey)) {
      this.#orphans.push({ id, where: entry.where });
      if (entry.size === 0) {
        this.#zeroByte.push({ id, where: entry.where });
        continue;
      }
      work.push({ id, entry, orphan: true });
    }
    return work;
  }

  #apiOnly = new Set<string>();

  /** Whether the state has Flickr's metadata of a photo (an API backup). */
  #knownFromApi(id: string): boolean {
    const row = this.#store.photo(id);
    if (!row) return false;
    const info = JSON.parse(row.infoJson) as { secret?: string };
    return Boolean(info.secret);
  }

  async #readExtras(): Promise<{
    albums: ExportAlbum[];
    profile?: ExportAccount;
    exportTime: number;
  }> {
    const albums = new Map<string, ExportAlbum>();
    let profile: ExportAccount | undefined;
    let exportTime = 0;
    const wanted: ExportEntry[] = [];
    for (const entry of this.#sources.entries()) {
      if (entry.name.endsWith(".json")) {
        exportTime = Math.max(exportTime, entry.modified);
      }
      if (
        entry.name === "albums.json" || entry.name === "account_profile.json"
      ) wanted.push(entry);
    }
    for await (const read of this.#sources.read(wanted)) {
      const entry = read.entry;
      if (entry.name === "albums.json") {
        const parsed = await this.#readJson(read);
        if (parsed === undefined) continue;
        const { albums: list, dropped } = parseAlbumsJson(parsed);
        this.#albumDropped += dropped;
        for (const album of list) {
          const seen = albums.get(album.id);
          if (seen) {
            seen.photoIds = [...new Set([...seen.photoIds, ...album.photoIds])];
          } else albums.set(album.id, album);
        }
      } else {
        const parsed = await this.#readJson(read);
        profile = parseAccountProfile(parsed) ?? profile;
      }
    }
    if (!albums.size && this.#photoJson.size) {
      this.#deps.reporter.info(
        "No albums.json in the export: albums are taken from each photo's metadata (pass every account-data zip to import all albums)",
      );
    }
    return {
      albums: [...albums.values()],
      ...(profile ? { profile } : {}),
      exportTime,
    };
  }

  async #readJson(
    read: { entry: ExportEntry; data?: EntryData; error?: Error },
  ): Promise<unknown> {
    const entry = read.entry;
    let text: string;
    try {
      if (!read.data) throw read.error;
      text = await readEntryText(read.data);
    } catch (error) {
      this.#damaged(entry, error);
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch {
      try {
        // Raw control characters seen in some exports (§5.10).
        // deno-lint-ignore no-control-regex
        return JSON.parse(text.replace(/[\u0000-\u001f]/g, " "));
      } catch (error) {
        this.#warn(
          `${entry.where} is not valid JSON (${
            (error as Error).message
          }); skipped`,
        );
        return undefined;
      }
    }
  }

  #damaged(entry: ExportEntry, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    entry.source.damaged ??= `entry ${entry.name}: ${message}`;
    this.#warn(
      `${entry.where} cannot be read (${message}): the zip is damaged; download it again from Flickr`,
    );
  }

  /** Albums into the state: the export's when newer, else the API's stay. */
  #recordAlbums(albums: ExportAlbum[], apiRun: number | undefined): void {
    const known = new Map(this.#store.albums().map((a) => [a.id, a]));
    this.#store.transaction(() => {
      let position = known.size
        ? Math.max(...[...known.values()].map((a) => a.position)) + 1
        : 0;
      if (apiRun !== undefined) {
        for (const album of known.values()) {
          if (album.deletedOnFlickr) continue;
          this.#store.upsertAlbum(album, this.#runId);
        }
      }
      const sorted = [...albums].sort((a, b) =>
        a.lastUpdated - b.lastUpdated || (a.id < b.id ? -1 : 1)
      );
      for (const album of sorted) {
        const existing = known.get(album.id);
        if (existing && !this.#exportNewer) continue;
        if (!existing && apiRun !== undefined && !this.#exportNewer) continue;
        this.#store.upsertAlbum({
          id: album.id,
          title: album.title,
          description: album.description,
          position: existing?.position ?? position++,
          dateUpdate: existing?.dateUpdate ?? album.lastUpdated,
          expectedCount: existing?.expectedCount ?? album.photoIds.length,
        }, this.#runId);
      }
    });
  }

  /** Photo metadata into the state; returns the photos to import. */
  async #recordPhotos(
    albums: ExportAlbum[],
    apiRun: number | undefined,
  ): Promise<Work[]> {
    const albumIds = new Set(
      this.#store.albums().filter((a) => a.seenRun === this.#runId).map((a) =>
        a.id
      ),
    );
    const memberOf = new Map<string, { albumId: string; position: number }[]>();
    for (const album of albums) {
      album.photoIds.forEach((photoId, position) => {
        const list = memberOf.get(photoId) ?? [];
        list.push({ albumId: album.id, position });
        memberOf.set(photoId, list);
      });
    }
    for (const album of albums) {
      for (const id of album.photoIds) {
        if (!this.#photoJson.has(id)) this.#albumDropped++;
      }
    }
    const work: Work[] = [];
    let batch: { id: string; parsed: ReturnType<typeof parsePhotoJson> }[] = [];
    const flush = () => {
      this.#store.transaction(() => {
        for (const { id, parsed } of batch) {
          this.#recordPhoto(id, parsed, memberOf, albumIds, apiRun, albums);
        }
      });
      batch = [];
    };
    const idOf = new Map(
      [...this.#photoJson].map(([id, entry]) => [entry, id]),
    );
    for await (const read of this.#sources.read(idOf.keys())) {
      this.#checkAborted();
      const id = idOf.get(read.entry)!;
      const raw = await this.#readJson(read);
      if (raw === undefined) continue;
      const media = this.#media.get(id);
      const parsed = parsePhotoJson(
        raw,
        id,
        media ? extensionOf(media.name) : undefined,
      );
      batch.push({ id, parsed });
      if (batch.length >= 500) flush();
      const page = this.#pageUrl(parsed.photo);
      if (parsed.neverProcessed && !media) {
        this.#neverProcessed.push({ id, title: parsed.photo.title, url: page });
      } else if (!media) {
        this.#missingMedia.push({ id, title: parsed.photo.title, url: page });
      } else if (media.size === 0) {
        this.#zeroByte.push({ id, where: media.where, url: page });
      } else {
        work.push({ id, entry: media, orphan: false });
      }
    }
    if (batch.length) flush();
    for (
      const list of [this.#neverProcessed, this.#missingMedia, this.#zeroByte]
    ) list.sort((a, b) => byNumber(a.id, b.id));
    // Media known only from an API backup (no photo JSON in this export).
    for (const id of [...this.#apiOnly].sort(byNumber)) {
      const entry = this.#media.get(id)!;
      this.#store.transaction(() => this.#carryApiPhoto(id, apiRun));
      if (entry.size === 0) this.#zeroByte.push({ id, where: entry.where });
      else work.push({ id, entry, orphan: false });
    }
    return work.sort((a, b) => byNumber(a.id, b.id));
  }

  #carryApiPhoto(id: string, apiRun: number | undefined): void {
    const row = this.#store.photo(id);
    if (!row) return;
    this.#store.recordListedPhoto(
      {
        id,
        media: row.media,
        lastUpdate: row.lastUpdate,
        originalSecret: row.originalSecret,
      },
      row.infoJson,
      this.#runId,
    );
    if (apiRun === undefined) return;
    this.#store.albumsOf(id, apiRun).forEach((album, position) =>
      this.#store.recordMembership(album.id, id, position, this.#runId)
    );
  }

  #recordPhoto(
    id: string,
    parsed: ReturnType<typeof parsePhotoJson>,
    memberOf: Map<string, { albumId: string; position: number }[]>,
    albumIds: Set<string>,
    apiRun: number | undefined,
    albums: ExportAlbum[],
  ): void {
    const row = this.#store.photo(id);
    const api = row && row.infoJson !== "{}"
      ? JSON.parse(row.infoJson) as FlickrPhoto & { export?: unknown }
      : undefined;
    const fromApi = api !== undefined && !isExportInfo(api);
    let info: FlickrPhoto & { export: ExportFacts };
    if (fromApi && !this.#exportNewer) {
      info = { ...api, export: parsed.facts };
    } else if (fromApi) {
      const p = parsed.photo;
      info = {
        ...api,
        title: p.title,
        description: p.description,
        tags: p.tags,
        machineTags: p.machineTags,
        ...(p.geo ? { geo: p.geo } : {}),
        ...(p.dateTaken && !p.dateTakenUnknown
          ? { dateTaken: p.dateTaken }
          : {}),
        export: parsed.facts,
      };
    } else {
      info = { ...parsed.photo, export: parsed.facts };
    }
    this.#store.recordListedPhoto(
      {
        id,
        media: info.media,
        lastUpdate: row?.lastUpdate ?? 0,
        // An API row keeps its secret, so that `backup` does not take the
        // imported original for a replaced one.
        originalSecret: row
          ? row.originalSecret
          : parsed.photo.originalSecret ??
            "",
      },
      JSON.stringify(info),
      this.#runId,
    );
    if (fromApi && !this.#exportNewer) {
      if (apiRun !== undefined) {
        this.#store.albumsOf(id, apiRun).forEach((album, position) =>
          this.#store.recordMembership(album.id, id, position, this.#runId)
        );
      }
      return;
    }
    let memberships = memberOf.get(id) ?? [];
    if (!albums.length) {
      memberships = parsed.albumIds.map((albumId, position) => ({
        albumId,
        position,
      }));
    }
    for (const { albumId, position } of memberships) {
      if (!albumIds.has(albumId)) continue;
      this.#store.recordMembership(albumId, id, position, this.#runId);
    }
  }

  /** Folders for new albums (same rules as `backup`); renames when newer. */
  async #applyFolderNames(): Promise<void> {
    const all = this.#store.albums();
    const alive = all.filter((album) => !album.deletedOnFlickr);
    const taken = new Set(
      all.filter((a) => a.deletedOnFlickr && a.folder).map((a) =>
        a.folder.toLowerCase()
      ),
    );
    const names = this.#deps.files.folderNames(
      alive.map((album) => ({ id: album.id, title: album.title })),
    );
    for (const album of alive) {
      let name = names.get(album.id) ?? album.id;
      if (taken.has(name.toLowerCase()) && album.folder !== name) {
        name = `${name} (${album.id})`;
      }
      if (album.folder === name) continue;
      if (!album.folder) {
        this.#store.setAlbumFolder(album.id, name);
        continue;
      }
      if (!this.#exportNewer) continue;
      const from = await pathInside(this.#options.root, album.folder);
      const to = await pathInside(this.#options.root, name);
      if (!(await exists(from))) {
        this.#store.renameFolder(album.id, album.folder, name);
      } else if (await exists(to)) {
        this.#warn(
          `Album "${album.title}" has a new title but "${name}" already exists; keeping the folder "${album.folder}"`,
        );
      } else {
        await Deno.rename(from, to);
        this.#store.renameFolder(album.id, album.folder, name);
        this.#deps.reporter.info(
          `Album renamed: "${album.folder}" → "${name}"`,
        );
      }
    }
  }

  #pageUrl(photo: Pick<FlickrPhoto, "id" | "pathAlias">): string {
    return `https://www.flickr.com/photos/${
      photo.pathAlias || this.#owner.pathAlias || this.#owner.nsid ||
      "me"
    }/${photo.id}/`;
  }

  async #importOne(
    item: Work,
    read: { data?: EntryData; error?: Error },
  ): Promise<void> {
    const { id, entry } = item;
    const url = `https://www.flickr.com/photos/${
      this.#owner.pathAlias || this.#owner.nsid || "me"
    }/${id}/`;
    try {
      if (item.orphan) this.#recordOrphan(id, entry);
      if (!read.data) throw read.error;
      await this.#place(item, read.data);
      this.#progress.done++;
    } catch (error) {
      if (this.#options.signal.aborted) throw error;
      const local = classifyFsError(error, this.#options.root);
      if (isFatal(local)) throw local;
      const message = error instanceof Error ? error.message : String(error);
      if (/signature|crc|invalid|zip|compressed|inflat/i.test(message)) {
        this.#damaged(entry, error);
      }
      this.#store.markFailed(id, message);
      this.#failed.push({ id, error: message, url });
      this.#progress.failed++;
      this.#deps.reporter.warn(`Cannot import ${entry.where}: ${message}`);
    } finally {
      this.#deps.reporter.progress(this.#progress);
    }
  }

  #recordOrphan(id: string, entry: ExportEntry): void {
    const ext = extensionOf(entry.name);
    const photo: FlickrPhoto & { export: Record<string, unknown> } = {
      id,
      secret: "",
      server: "",
      title: "",
      description: "",
      tags: [],
      machineTags: [],
      dateTakenGranularity: 0,
      dateTakenUnknown: true,
      media: VIDEO_EXTENSIONS.has(ext) ? "video" : "photo",
      visibility: { isPublic: false, isFriend: false, isFamily: false },
      sizes: [],
      export: { metadata_missing: true, file_in_export: entry.name },
    };
    if (this.#store.photo(id)?.status === "done") {
      this.#store.recordListedPhoto(
        { id, media: photo.media, lastUpdate: 0, originalSecret: "" },
        this.#store.photo(id)!.infoJson,
        this.#runId,
      );
      return;
    }
    this.#store.recordListedPhoto(
      { id, media: photo.media, lastUpdate: 0, originalSecret: "" },
      JSON.stringify(photo),
      this.#runId,
    );
  }

  /** Puts one export file into the backup (or checks the one there). */
  async #place(item: Work, data: EntryData): Promise<void> {
    const { id, entry } = item;
    const root = this.#options.root;
    const row = this.#store.photo(id)!;
    const info = JSON.parse(row.infoJson) as FlickrPhoto & {
      export?: Record<string, unknown>;
    };
    const albums = this.#store.albumsOf(id, this.#runId);
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
      !(await this.#smallerThanExport(row.relPath, data));
    const apiReduced = fromApi && !apiOriginal;
    // A file already in the backup keeps its name (the API may have saved
    // a video as .mp4 that the export calls .mov).
    const fileName = apiOriginal && row.relPath
      ? row.relPath.split("/").pop()!
      : `${id}.${extensionOf(entry.name)}`;
    const canonicalRel = `${folders[0]!.folder}/${fileName}`;
    const canonical = await pathInside(root, canonicalRel);

    let variant: SavedVariant & { source: "api" | "export" };
    let finalBytes: number;
    let finalSha: string;
    let changedFile = false;
    if (
      (fromExport && row.sourceBytes === entry.size &&
        await exists(await pathInside(root, row.relPath))) || apiOriginal
    ) {
      // Already in the backup: never copied twice.
      if (apiOriginal && row.sourceBytes !== entry.size) {
        this.#warn(
          `${id}: the backup's original (${row.sourceBytes} bytes) differs from the export's (${entry.size} bytes) but has as many pixels; the backup's file is kept`,
        );
      }
      if (apiOriginal) this.#totals.alreadyPresent++;
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
        await this.#deps.files.linkOrCopy(
          await pathInside(root, row.relPath),
          canonical,
          "hardlink",
        );
      }
    } else {
      await folderInside(root, folders[0]!.folder);
      const temp = tempPathFor(canonical);
      const copied = await copyEntryTo(data, temp, this.#options.signal);
      if (copied.bytes !== entry.size) {
        await Deno.remove(temp).catch(() => undefined);
        throw new AppError(
          `the zip says ${entry.size} bytes but holds ${copied.bytes}`,
          ExitCode.Partial,
        );
      }
      await this.#deps.checkpoint?.("copied", id);
      if (apiReduced) {
        // The API's 1024 px copy goes to the trash, never deleted.
        await this.#trashOld(row);
        this.#totals.replaced++;
      }
      await Deno.rename(temp, canonical);
      const pixels = pixelSize(await readEntryHead(canonical, HEAD_BYTES));
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
      this.#totals.imported++;
      this.#totals.bytesImported += copied.bytes;
      this.#progress.bytes += copied.bytes;
    }
    if (
      info.media === "photo" && variant.width && variant.height &&
      Math.max(variant.width, variant.height) <= SMALL_EDGE
    ) {
      this.#small.push({
        id,
        title: info.title,
        width: variant.width,
        height: variant.height,
        url: this.#pageUrl(info),
      });
    }

    // Metadata into the file, then sidecars and album copies.
    const owner = {
      nsid: this.#owner.nsid,
      username: this.#owner.username,
      ...(this.#owner.realname ? { realname: this.#owner.realname } : {}),
    };
    const photo: FlickrPhoto = {
      ...info,
      ...(info.pathAlias || !this.#owner.pathAlias
        ? {}
        : { pathAlias: this.#owner.pathAlias }),
    };
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
    if (this.#options.embed) {
      const meta = embedInput(photo, owner);
      let outcome = await this.#deps.files.embedMetadata(canonical, meta);
      if (
        outcome.status === "skipped" &&
        outcome.warnings.some((w) => w.includes("hard links"))
      ) {
        // New metadata for a file shared by album folders: it gets its own
        // copy first; the album copies are linked to it again below.
        await breakHardLinks(canonical);
        outcome = await this.#deps.files.embedMetadata(canonical, meta);
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
      backedUpAt: new Date(this.#deps.clock.now()),
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
        const linked = await this.#deps.files.linkOrCopy(
          canonical,
          await pathInside(root, relPath),
          this.#options.albumLinks,
        );
        if (linked !== "unchanged") changedFile = true;
        if (xmpSidecar) {
          await this.#deps.files.linkOrCopy(
            xmpSidecar,
            await pathInside(root, `${relPath}.xmp`),
            "copy",
          );
        }
      }
      const sidecarPath = await pathInside(root, `${relPath}.json`);
      if (!(await sameSidecar(sidecarPath, sidecarText))) {
        await this.#deps.files.atomicWriteFile(sidecarPath, sidecarText);
        sidecarsChanged = true;
      }
      placements.push({ albumId: place.albumId, relPath });
    }
    // Copies in albums the photo left (albums the import knows only).
    const seen = new Set(
      this.#store.albums().filter((a) => a.seenRun === this.#runId).map((a) =>
        a.id
      ),
    );
    const stale = this.#store.placements(id).map((p) => ({
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
    this.#store.markDone(id, {
      variant: "original",
      relPath: canonicalRel,
      bytes: finalBytes,
      sha256: finalSha,
      appliedUpdate: row.appliedUpdate || row.lastUpdate,
      appliedAlbums: this.#store.albumSignature(id, this.#runId),
      sourceBytes: variant.bytes,
      sourceSha256: variant.sha256Downloaded,
      savedJson: JSON.stringify(variant),
      placements,
    });
    if (!changedFile && sidecarsChanged && row.status === "done") {
      this.#totals.updated++;
    }
    this.#deps.reporter.detail(
      changedFile && variant.source === "export"
        ? `imported ${id} ← ${entry.where} → ${canonicalRel}`
        : `checked ${id} (${canonicalRel})`,
    );
  }

  /** Whether the backup's file has fewer pixels than the export's. */
  async #smallerThanExport(rel: string, data: EntryData): Promise<boolean> {
    const path = await pathInside(this.#options.root, rel).catch(() => "");
    const ours = path
      ? pixelSize(await readEntryHead(path, HEAD_BYTES).catch(() => NONE))
      : undefined;
    if (!ours) return false;
    const theirs = pixelSize(await readDataHead(data, HEAD_BYTES));
    return theirs !== undefined &&
      Math.max(ours.width, ours.height) < Math.max(theirs.width, theirs.height);
  }

  /** Moves an API copy (all its album copies and sidecars) to the trash. */
  async #trashOld(row: { id: string; relPath: string }): Promise<void> {
    const stamp = new Date(this.#deps.clock.now()).toISOString().slice(0, 10);
    const trash = `.trash/import-${stamp}`;
    const rels = new Set(
      [row.relPath, ...this.#store.placements(row.id).map((p) => p.relPath)]
        .filter(Boolean),
    );
    for (const rel of rels) {
      for (const suffix of ["", ".json", ".xmp"]) {
        const from = await pathInside(this.#options.root, rel + suffix);
        if (!(await exists(from))) continue;
        const to = await pathInside(
          this.#options.root,
          `${trash}/${rel}${suffix}`,
        );
        // Already there: an import killed after this step; what is at
        // `from` now is its own copy, replaced below.
        if (await exists(to)) continue;
        await folderInside(this.#options.root, dirname(`${trash}/${rel}`));
        await Deno.rename(from, to);
      }
    }
    this.#deps.reporter.detail(
      `moved the 1024 px copy of ${row.id} to ${trash}/`,
    );
  }

  #summarize(startedAt: Date, interrupted: boolean): ImportSummary {
    const store = this.#store;
    const runId = this.#runId;
    const counts = store.counts(runId);
    const albums = store.albumCompleteness(runId).map((entry) => ({
      id: entry.album.id,
      title: entry.album.title,
      folder: entry.album.folder,
      listed: entry.listed,
      present: entry.done,
    }));
    const unsorted = store.unsortedCompleteness(runId);
    const damaged = this.#sources.sources.filter((s) => s.damaged);
    const bad = this.#failed.length > 0 || damaged.length > 0 ||
      this.#zeroByte.length > 0;
    const summary: ImportSummary = {
      command: "import",
      result: interrupted ? "interrupted" : bad ? "partial" : "complete",
      exitCode: bad || interrupted ? ExitCode.Partial : ExitCode.Ok,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(this.#deps.clock.now()).toISOString(),
      account: { nsid: this.#owner.nsid, username: this.#owner.username },
      sources: this.#sources.sources.map((source) => {
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
        ...this.#totals,
        failed: this.#failed.length,
      },
      albums,
      unsorted: { listed: unsorted.listed, present: unsorted.done },
      missingMedia: this.#missingMedia,
      neverProcessed: this.#neverProcessed,
      zeroByte: this.#zeroByte,
      orphans: this.#orphans,
      small: this.#small,
      failedIds: this.#failed,
      albumEntriesWithoutPhoto: this.#albumDropped,
      exportNewer: this.#exportNewer,
      warnings: this.#warnings,
    };
    store.finishRun(runId, this.#deps.clock.now(), summary.result, summary);
    return summary;
  }
}

/** The sidecar of an imported file: source and export-only facts added. */
export function exportSidecar(
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

function isExportInfo(info: { export?: unknown; secret?: string }): boolean {
  return info.export !== undefined && !info.secret;
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

function describe(json: number, media: number): string {
  const parts: string[] = [];
  if (json) parts.push(`account data (${json} JSON files)`);
  if (media) parts.push(`photos and videos (${media} files)`);
  return parts.join(" and ") || "nothing this tool knows";
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return byNumber(a[0], b[0]);
}

function byNumber(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
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
