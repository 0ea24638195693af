/**
 * Pass 1 of an import: what the export holds, from the zips' tables of
 * contents and its JSON (media matched to ids by name, §2 of
 * FLICKR_EXPORT.md), recorded in the state as a listing would be; returns
 * the files to import.
 *
 * @module
 */

import type { FlickrPhoto } from "../flickr/api_types.ts";
import { knownExtension } from "../platform/safe_path.ts";
import {
  type EntryData,
  type ExportEntry,
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
  recoverId,
  VIDEO_EXTENSIONS,
} from "./export_json.ts";
import {
  byKey,
  byNumber,
  checkAborted,
  damaged,
  type ImportContext,
  pageUrl,
  warn,
  type Work,
} from "./import_context.ts";

export function describeSources(ctx: ImportContext): void {
  for (const source of ctx.sources.sources) {
    const json = source.entries.filter((e) => e.name.endsWith(".json"))
      .length;
    const media = source.entries.length - json;
    const holds = describe(json, media);
    ctx.deps.reporter.info(`${source.path}: ${holds}`);
    if (source.damaged) {
      warn(
        ctx,
        `${source.path} is damaged: ${source.damaged}. The rest is imported; download this zip again from Flickr and import it`,
      );
    }
  }
}

export function matchMedia(ctx: ImportContext): Work[] {
  const known = (id: string) => ctx.photoJson.has(id);
  const orphans = new Map<string, ExportEntry>();
  for (const entry of ctx.sources.entries()) {
    if (entry.name.toLowerCase().endsWith(".json")) continue;
    if (!knownExtension(extensionOf(entry.name))) {
      warn(
        ctx,
        `${entry.where}: not a photo or video file this tool knows; not imported`,
      );
      continue;
    }
    const found = recoverId(entry.name, known);
    if (found.kind === "matched") {
      const previous = ctx.media.get(found.id);
      // The same file in two zips: keep one, preferring a non-empty one.
      if (!previous || (previous.size === 0 && entry.size > 0)) {
        ctx.media.set(found.id, entry);
      }
    } else if (found.kind === "ambiguous") {
      warn(
        ctx,
        `${entry.where}: the name matches the metadata of ${
          found.ids.join(" and ")
        }; not imported, to be safe`,
      );
    } else if (found.id && !knownFromApi(ctx, found.id)) {
      orphans.set(found.id, entry);
    } else if (found.id) {
      // Known from an API backup: the state has its metadata.
      ctx.media.set(found.id, entry);
      ctx.apiOnly.add(found.id);
    } else {
      ctx.orphans.push({ id: "", where: entry.where });
      warn(
        ctx,
        `${entry.where}: no photo id in the name and no metadata; not imported`,
      );
    }
  }
  const work: Work[] = [];
  for (const [id, entry] of [...orphans].sort(byKey)) {
    ctx.orphans.push({ id, where: entry.where });
    if (entry.size === 0) {
      ctx.zeroByte.push({ id, where: entry.where });
      continue;
    }
    work.push({ id, entry, orphan: true });
  }
  return work;
}

/** Whether the state has Flickr's metadata of a photo (an API backup). */
function knownFromApi(ctx: ImportContext, id: string): boolean {
  const row = ctx.store.photo(id);
  if (!row) return false;
  const info = JSON.parse(row.infoJson) as { secret?: string };
  return Boolean(info.secret);
}

export async function readExtras(ctx: ImportContext): Promise<{
  albums: ExportAlbum[];
  profile?: ExportAccount;
  exportTime: number;
}> {
  const albums = new Map<string, ExportAlbum>();
  let profile: ExportAccount | undefined;
  let exportTime = 0;
  const wanted: ExportEntry[] = [];
  for (const entry of ctx.sources.entries()) {
    if (entry.name.endsWith(".json")) {
      exportTime = Math.max(exportTime, entry.modified);
    }
    if (
      entry.name === "albums.json" || entry.name === "account_profile.json"
    ) wanted.push(entry);
  }
  for await (const read of ctx.sources.read(wanted)) {
    const entry = read.entry;
    if (entry.name === "albums.json") {
      const parsed = await readJson(ctx, read);
      if (parsed === undefined) continue;
      const { albums: list, dropped } = parseAlbumsJson(parsed);
      ctx.albumDropped += dropped;
      for (const album of list) {
        const seen = albums.get(album.id);
        if (seen) {
          seen.photoIds = [...new Set([...seen.photoIds, ...album.photoIds])];
        } else albums.set(album.id, album);
      }
    } else {
      const parsed = await readJson(ctx, read);
      profile = parseAccountProfile(parsed) ?? profile;
    }
  }
  if (!albums.size && ctx.photoJson.size) {
    ctx.deps.reporter.info(
      "No albums.json in the export: albums are taken from each photo's metadata (pass every account-data zip to import all albums)",
    );
  }
  return {
    albums: [...albums.values()],
    ...(profile ? { profile } : {}),
    exportTime,
  };
}

async function readJson(
  ctx: ImportContext,
  read: { entry: ExportEntry; data?: EntryData; error?: Error },
): Promise<unknown> {
  const entry = read.entry;
  let text: string;
  try {
    if (!read.data) throw read.error;
    text = await readEntryText(read.data);
  } catch (error) {
    damaged(ctx, entry, error);
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
      warn(
        ctx,
        `${entry.where} is not valid JSON (${
          (error as Error).message
        }); skipped`,
      );
      return undefined;
    }
  }
}
export async function recordPhotos(
  ctx: ImportContext,
  albums: ExportAlbum[],
  apiRun: number | undefined,
): Promise<Work[]> {
  const albumIds = new Set(
    ctx.store.albums().filter((a) => a.seenRun === ctx.runId).map((a) => a.id),
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
      if (!ctx.photoJson.has(id)) ctx.albumDropped++;
    }
  }
  const work: Work[] = [];
  let batch: { id: string; parsed: ReturnType<typeof parsePhotoJson> }[] = [];
  const flush = () => {
    ctx.store.transaction(() => {
      for (const { id, parsed } of batch) {
        recordPhoto(ctx, id, parsed, memberOf, albumIds, apiRun, albums);
      }
    });
    batch = [];
  };
  const idOf = new Map(
    [...ctx.photoJson].map(([id, entry]) => [entry, id]),
  );
  for await (const read of ctx.sources.read(idOf.keys())) {
    checkAborted(ctx);
    const id = idOf.get(read.entry)!;
    const raw = await readJson(ctx, read);
    if (raw === undefined) continue;
    const media = ctx.media.get(id);
    const parsed = parsePhotoJson(
      raw,
      id,
      media ? extensionOf(media.name) : undefined,
    );
    batch.push({ id, parsed });
    if (batch.length >= 500) flush();
    const page = pageUrl(ctx, parsed.photo);
    if (parsed.neverProcessed && !media) {
      ctx.neverProcessed.push({ id, title: parsed.photo.title, url: page });
    } else if (!media) {
      ctx.missingMedia.push({ id, title: parsed.photo.title, url: page });
    } else if (media.size === 0) {
      ctx.zeroByte.push({ id, where: media.where, url: page });
    } else {
      work.push({ id, entry: media, orphan: false });
    }
  }
  if (batch.length) flush();
  for (
    const list of [ctx.neverProcessed, ctx.missingMedia, ctx.zeroByte]
  ) list.sort((a, b) => byNumber(a.id, b.id));
  // Media known only from an API backup (no photo JSON in this export).
  for (const id of [...ctx.apiOnly].sort(byNumber)) {
    const entry = ctx.media.get(id)!;
    ctx.store.transaction(() => carryApiPhoto(ctx, id, apiRun));
    if (entry.size === 0) ctx.zeroByte.push({ id, where: entry.where });
    else work.push({ id, entry, orphan: false });
  }
  return work.sort((a, b) => byNumber(a.id, b.id));
}

function carryApiPhoto(
  ctx: ImportContext,
  id: string,
  apiRun: number | undefined,
): void {
  const row = ctx.store.photo(id);
  if (!row) return;
  ctx.store.recordListedPhoto(
    {
      id,
      media: row.media,
      lastUpdate: row.lastUpdate,
      originalSecret: row.originalSecret,
    },
    row.infoJson,
    ctx.runId,
  );
  if (apiRun === undefined) return;
  ctx.store.albumsOf(id, apiRun).forEach((album, position) =>
    ctx.store.recordMembership(album.id, id, position, ctx.runId)
  );
}

function recordPhoto(
  ctx: ImportContext,
  id: string,
  parsed: ReturnType<typeof parsePhotoJson>,
  memberOf: Map<string, { albumId: string; position: number }[]>,
  albumIds: Set<string>,
  apiRun: number | undefined,
  albums: ExportAlbum[],
): void {
  const row = ctx.store.photo(id);
  const api = row && row.infoJson !== "{}"
    ? JSON.parse(row.infoJson) as FlickrPhoto & { export?: unknown }
    : undefined;
  const fromApi = api !== undefined && !isExportInfo(api);
  let info: FlickrPhoto & { export: ExportFacts };
  if (fromApi && !ctx.exportNewer) {
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
      ...(p.dateTaken && !p.dateTakenUnknown ? { dateTaken: p.dateTaken } : {}),
      export: parsed.facts,
    };
  } else {
    info = { ...parsed.photo, export: parsed.facts };
  }
  ctx.store.recordListedPhoto(
    {
      id,
      media: info.media,
      lastUpdate: row?.lastUpdate ?? 0,
      // An API row keeps its secret, so that `backup` does not take the
      // imported original for a replaced one.
      originalSecret: row ? row.originalSecret : parsed.photo.originalSecret ??
        "",
    },
    JSON.stringify(info),
    ctx.runId,
  );
  if (fromApi && !ctx.exportNewer) {
    if (apiRun !== undefined) {
      ctx.store.albumsOf(id, apiRun).forEach((album, position) =>
        ctx.store.recordMembership(album.id, id, position, ctx.runId)
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
    ctx.store.recordMembership(albumId, id, position, ctx.runId);
  }
}

export function recordOrphan(
  ctx: ImportContext,
  id: string,
  entry: ExportEntry,
): void {
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
  if (ctx.store.photo(id)?.status === "done") {
    ctx.store.recordListedPhoto(
      { id, media: photo.media, lastUpdate: 0, originalSecret: "" },
      ctx.store.photo(id)!.infoJson,
      ctx.runId,
    );
    return;
  }
  ctx.store.recordListedPhoto(
    { id, media: photo.media, lastUpdate: 0, originalSecret: "" },
    JSON.stringify(photo),
    ctx.runId,
  );
}

function isExportInfo(info: { export?: unknown; secret?: string }): boolean {
  return info.export !== undefined && !info.secret;
}
export function describe(json: number, media: number): string {
  const parts: string[] = [];
  if (json) parts.push(`account data (${json} JSON files)`);
  if (media) parts.push(`photos and videos (${media} files)`);
  return parts.join(" and ") || "nothing this tool knows";
}
