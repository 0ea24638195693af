/**
 * The REST methods of the fake, shaped like FLICKR_API.md §2–§4: paging with
 * `pages: 0` on empty lists and the last page repeated past the end, extras,
 * size URLs, and numbers that are sometimes strings and sometimes ints.
 *
 * @module
 */

import {
  int,
  normalizeTag,
  parseExtras,
  photoEntry,
  type RestContext,
  vary,
} from "./extras.ts";
import { videoCdnUrl } from "./files.ts";
import { type Pairs, param } from "./oauth.ts";
import type { FakeAlbum, FakeCollection, FakePhoto } from "./scenario.ts";
import { LICENSES } from "./licenses.ts";
import { ownerSlug, photoSizes, playUrl, videoStreams } from "./sizes.ts";

export type { NumberMode, RestContext } from "./extras.ts";
export { encodeReply } from "./reply_format.ts";

/** A method's outcome. */
export type RestOutcome =
  | { ok: Record<string, unknown> }
  | { fail: { code: number; message: string } };

/** A method's spec. */
export interface MethodSpec {
  /** Needs a token with read permission (else code 99). */
  needsRead: boolean;
  run(ctx: RestContext): RestOutcome;
}

function fail(code: number, message: string): RestOutcome {
  return { fail: { code, message } };
}

function arg(ctx: RestContext, name: string): string | undefined {
  return param(ctx.params, name);
}

// ---------------------------------------------------------------- visibility

function visible(ctx: RestContext, photo: FakePhoto): boolean {
  return ctx.owner || photo.isPublic;
}

function compareIdsDesc(a: string, b: string): number {
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? 1 : a > b ? -1 : 0;
}

function byUploadDesc(a: FakePhoto, b: FakePhoto): number {
  return b.dateUpload - a.dateUpload || compareIdsDesc(a.id, b.id);
}

function albumPhotos(ctx: RestContext, album: FakeAlbum): FakePhoto[] {
  const out: FakePhoto[] = [];
  for (const id of album.photoIds) {
    const photo = ctx.account.photos.get(id);
    if (photo && visible(ctx, photo)) out.push(photo);
  }
  return out;
}

function visibleAlbums(ctx: RestContext): FakeAlbum[] {
  return ctx.account.albums.filter((a) =>
    ctx.owner || albumPhotos(ctx, a).length > 0
  );
}

/** privacy_filter 1..5, min/max upload and taken dates, media. */
function applyFilters(ctx: RestContext, photos: FakePhoto[]): FakePhoto[] {
  const privacy = Number(arg(ctx, "privacy_filter") ?? 0);
  const minUp = Number(arg(ctx, "min_upload_date") ?? -Infinity);
  const maxUp = Number(arg(ctx, "max_upload_date") ?? Infinity);
  const minTaken = arg(ctx, "min_taken_date");
  const maxTaken = arg(ctx, "max_taken_date");
  const media = arg(ctx, "media") ?? "all";
  return photos.filter((p) => {
    if (ctx.owner && privacy >= 1 && privacy <= 5) {
      const level = p.isPublic
        ? 1
        : p.isFriend && p.isFamily
        ? 4
        : p.isFriend
        ? 2
        : p.isFamily
        ? 3
        : 5;
      if (level !== privacy) return false;
    }
    if (p.dateUpload < minUp || p.dateUpload > maxUp) return false;
    if (minTaken && p.dateTaken < minTaken) return false;
    if (maxTaken && p.dateTaken > maxTaken) return false;
    if (media === "photos" && p.media !== "photo") return false;
    if (media === "videos" && p.media !== "video") return false;
    return true;
  });
}

// ---------------------------------------------------------------- paging

interface Page<T> {
  page: number;
  pages: number;
  perpage: number;
  total: number;
  items: T[];
}

/**
 * Pages a list: per_page (or perpage) defaults to `defaultPer`, clamped to
 * 1..500; a page past the end repeats the last page.
 */
function paginate<T>(
  ctx: RestContext,
  items: T[],
  defaultPer: number,
  options: { shift?: boolean } = {},
): Page<T> {
  const rawPer = Number.parseInt(
    arg(ctx, "per_page") ?? arg(ctx, "perpage") ?? "",
    10,
  );
  const cap = ctx.quirks?.perPageCap ?? 500;
  const perpage = Math.min(
    cap,
    Number.isFinite(rawPer) && rawPer >= 1 ? Math.min(rawPer, 500) : defaultPer,
  );
  const rawPage = Number.parseInt(arg(ctx, "page") ?? "", 10);
  const page = Number.isFinite(rawPage) && rawPage >= 1 ? rawPage : 1;
  const total = items.length;
  const pages = Math.ceil(total / perpage);
  const effective = pages === 0 ? 1 : Math.min(page, pages);
  const quirks = ctx.quirks;
  // Items before this page were "deleted": the rest slides forward.
  const shift = options.shift && quirks && effective > 1 ? quirks.shiftBy : 0;
  let slice = items.slice(
    (effective - 1) * perpage + shift,
    effective * perpage + shift,
  );
  if (quirks && ctx.shortPages) {
    const key = [
      arg(ctx, "method"),
      arg(ctx, "photoset_id") ?? "",
      arg(ctx, "min_date") ?? "",
      effective,
    ].join("|");
    if (ctx.shortPages.shouldShorten(quirks, key, effective, pages)) {
      slice = slice.slice(0, Math.max(0, slice.length - quirks.shortBy));
    }
  }
  return { page, pages, perpage, total, items: slice };
}

/** `page`/`pages`/`perpage` as Flickr sends them (strings with the quirk). */
function pageNumber(ctx: RestContext, value: number): number | string {
  return ctx.quirks?.pagingAsStrings ? String(value) : value;
}

/** `total`: in mixed mode a string on odd pages, an int on even pages. */
function total(ctx: RestContext, value: number, page: number): number | string {
  if (ctx.numbers === "mixed") return page % 2 === 1 ? String(value) : value;
  return ctx.numbers === "strings" ? String(value) : value;
}

function photoList(
  ctx: RestContext,
  photos: FakePhoto[],
  options: { lastUpdate?: boolean; shift?: boolean } = {},
): Record<string, unknown> {
  const p = paginate(ctx, photos, 100, { shift: options.shift ?? false });
  const extras = parseExtras(arg(ctx, "extras"));
  return {
    photos: {
      page: pageNumber(ctx, p.page),
      pages: pageNumber(ctx, p.pages),
      perpage: pageNumber(ctx, p.perpage),
      total: total(ctx, p.total, p.page),
      photo: p.items.map((photo) =>
        photoEntry(ctx, photo, extras, {
          withOwner: true,
          lastUpdate: options.lastUpdate,
        })
      ),
    },
  };
}

// ---------------------------------------------------------------- photosets

function albumEntry(
  ctx: RestContext,
  album: FakeAlbum,
  withPrimaryExtras: boolean,
): Record<string, unknown> {
  const photos = albumPhotos(ctx, album);
  const videos = photos.filter((p) => p.media === "video").length;
  const stills = photos.length - videos;
  const primary = ctx.account.photos.get(album.primary);
  const entry: Record<string, unknown> = {
    id: album.id,
    owner: ctx.account.nsid,
    username: ctx.account.username,
    primary: album.primary,
    secret: primary?.secret ?? "0",
    server: primary?.server ?? "0",
    farm: primary?.farm ?? 0,
    count_views: String(album.views ?? 0),
    count_comments: "0",
    count_photos: stills,
    count_videos: videos,
    title: { _content: album.title },
    description: { _content: album.description },
    can_comment: 0,
    date_create: String(album.dateCreate),
    date_update: String(album.dateUpdate),
    photos: vary(
      ctx,
      ctx.quirks?.photosCountsVideos ? stills + videos : stills,
      `photos:${album.id}`,
    ),
    videos,
    visibility_can_see_set: 1,
    needs_interstitial: 0,
  };
  if (withPrimaryExtras && primary) {
    const extras = parseExtras(arg(ctx, "primary_photo_extras"));
    if (extras.size > 0) {
      entry.primary_photo_extras = photoEntry(ctx, primary, extras, {});
    }
  }
  return entry;
}

function findAlbum(ctx: RestContext): FakeAlbum | undefined {
  const id = arg(ctx, "photoset_id");
  const album = ctx.account.albums.find((a) => a.id === id);
  if (!album) return undefined;
  const user = arg(ctx, "user_id");
  if (user !== undefined && user !== "" && !isAccountUser(ctx, user)) {
    return undefined;
  }
  if (!ctx.owner && albumPhotos(ctx, album).length === 0) return undefined;
  return album;
}

function isAccountUser(ctx: RestContext, user: string): boolean {
  const a = ctx.account;
  return user === a.nsid || (a.pathAlias !== null && user === a.pathAlias) ||
    (user === "me" && ctx.owner);
}

function findPhoto(
  ctx: RestContext,
): FakePhoto | { code: number; message: string } {
  const id = arg(ctx, "photo_id") ?? "";
  const photo = ctx.account.photos.get(id);
  if (!photo) {
    return { code: 1, message: `Photo "${id}" not found (invalid ID)` };
  }
  if (!visible(ctx, photo)) return { code: 1, message: "Photo not found" };
  return photo;
}

// ---------------------------------------------------------------- methods

function photosGetSizes(ctx: RestContext): RestOutcome {
  const photo = findPhoto(ctx);
  if ("code" in photo) return { fail: photo };
  const slug = ownerSlug(ctx.account);
  const page = `${ctx.origin}/photos/${slug}/${photo.id}/`;
  const size: Record<string, unknown>[] = photoSizes(photo).map((s) => ({
    label: s.spec.label,
    width: vary(ctx, s.width, `sw:${s.spec.key}:${photo.id}`),
    height: vary(ctx, s.height, `sh:${s.spec.key}:${photo.id}`),
    source: ctx.origin + s.path,
    url: `${page}sizes/${s.spec.key}/`,
    media: "photo",
  }));
  if (photo.media === "video") {
    const streams = videoStreams(photo);
    const dims = (kind: string) => {
      const s = streams.find((x) => x.kind === kind);
      return {
        width: String(s?.width ?? photo.width),
        height: String(s?.height ?? photo.height),
      };
    };
    size.push({
      label: "Video Player",
      ...dims("site"),
      source:
        `${ctx.origin}/apps/video/stewart.swf?v=2109&photo_id=${photo.id}&photo_secret=${photo.secret}`,
      url: page,
      media: "video",
    });
    const labels: (readonly [string, string])[] = ctx.quirks?.videoLabels2024
      // 2024 answers: stream names as labels, widths and heights empty.
      ? streams.filter((s) => !["site", "mobile", "hd"].includes(s.kind))
        .map((s) => [s.kind, s.kind] as const)
      : [["Site MP4", "site"], ["Mobile MP4", "mobile"], ["HD MP4", "hd"]];
    for (const [label, kind] of labels) {
      if (!streams.some((s) => s.kind === kind)) continue;
      size.push({
        label,
        ...(ctx.quirks?.videoLabels2024
          ? { width: "", height: "" }
          : dims(kind)),
        source: playUrl(ctx.origin, ctx.account, photo, kind),
        url: page,
        media: "video",
      });
    }
    if (ctx.owner && photo.originalAvailable) {
      size.push({
        label: "Video Original",
        width: String(photo.width),
        height: String(photo.height),
        source: playUrl(ctx.origin, ctx.account, photo, "orig"),
        url: page,
        media: "video",
      });
    }
  }
  return {
    ok: { sizes: { canblog: 1, canprint: 1, candownload: 1, size } },
  };
}

function photosGetInfo(ctx: RestContext): RestOutcome {
  const photo = findPhoto(ctx);
  if ("code" in photo) return { fail: photo };
  const secret = arg(ctx, "secret");
  if (secret !== undefined && secret !== photo.secret && !ctx.owner) {
    return fail(2, "Permission denied");
  }
  const a = ctx.account;
  const slug = ownerSlug(a);
  const nsidNum = a.nsid.split("@")[0] ?? a.nsid;
  const machine = (isMachine: boolean) =>
    ctx.numbers === "ints"
      ? int(isMachine)
      : ctx.numbers === "strings"
      ? String(int(isMachine))
      : isMachine;
  const tag = [
    ...photo.tags.map((raw) => ({ raw, clean: normalizeTag(raw), m: false })),
    ...photo.machineTags.map((raw) => ({
      raw,
      clean: raw.toLowerCase(),
      m: true,
    })),
  ].map((t, i) => ({
    id: `${nsidNum}-${photo.id}-${i + 1}`,
    author: a.nsid,
    authorname: a.username,
    raw: t.raw,
    _content: t.clean,
    machine_tag: machine(t.m),
  }));
  const info: Record<string, unknown> = {
    id: photo.id,
    secret: photo.secret,
    server: photo.server,
    farm: photo.farm,
    dateuploaded: String(photo.dateUpload),
    isfavorite: 0,
    license: photo.license,
    safety_level: "0",
    rotation: 0,
  };
  if (photo.originalAvailable) {
    info.originalsecret = photo.originalSecret;
    info.originalformat = photo.media === "video"
      ? "jpg"
      : photo.originalFormat;
  }
  Object.assign(info, {
    owner: {
      nsid: a.nsid,
      username: a.username,
      realname: a.realname,
      location: a.location ?? "",
      iconserver: "65535",
      iconfarm: 66,
      path_alias: a.pathAlias,
    },
    title: { _content: photo.title },
    description: { _content: photo.description },
    visibility: {
      ispublic: int(photo.isPublic),
      isfriend: int(photo.isFriend),
      isfamily: int(photo.isFamily),
    },
    dates: {
      posted: String(photo.dateUpload),
      taken: photo.dateTaken,
      takengranularity: vary(
        ctx,
        photo.dateTakenGranularity,
        `granularity:${photo.id}`,
      ),
      takenunknown: photo.dateTakenUnknown ? "1" : "0",
      lastupdate: String(photo.lastUpdate),
    },
  });
  if (ctx.owner) info.permissions = { permcomment: 3, permaddmeta: 2 };
  Object.assign(info, {
    views: String(photo.views),
    editability: { cancomment: int(ctx.owner), canaddmeta: int(ctx.owner) },
    publiceditability: { cancomment: 1, canaddmeta: 0 },
    usage: { candownload: 1, canblog: 1, canprint: 1, canshare: 1 },
    comments: { _content: "0" },
    notes: { note: [] },
    people: { haspeople: 0 },
    tags: { tag },
  });
  if (photo.geo) {
    info.location = {
      latitude: String(photo.geo.latitude),
      longitude: String(photo.geo.longitude),
      accuracy: String(photo.geo.accuracy),
      context: "0",
    };
    info.geoperms = { ispublic: 1, iscontact: 0, isfriend: 0, isfamily: 0 };
  }
  info.urls = {
    url: [{
      type: "photopage",
      _content: `${ctx.origin}/photos/${slug}/${photo.id}/`,
    }],
  };
  info.media = photo.media;
  if (photo.media === "video") {
    info.video = {
      ready: 1,
      failed: 0,
      pending: 0,
      duration: String(photo.videoDuration ?? 10),
      width: String(photo.width),
      height: String(photo.height),
    };
  }
  return { ok: { photo: info } };
}

function videoGetStreamInfo(ctx: RestContext): RestOutcome {
  const photo = findPhoto(ctx);
  if ("code" in photo) return { fail: photo };
  const secret = arg(ctx, "secret");
  if (secret !== undefined && secret !== photo.secret) {
    return fail(1, "Photo not found");
  }
  if (photo.media !== "video") return fail(1, "Video not found");
  const stream: Record<string, unknown>[] = [];
  if (ctx.owner && photo.originalAvailable) {
    stream.push({
      type: "orig",
      _content: videoCdnUrl(ctx.origin, photo, "orig"),
    });
  }
  for (const s of videoStreams(photo)) {
    if (s.kind === "site" || s.kind === "mobile" || s.kind === "hd") continue;
    stream.push({
      type: s.kind,
      _content: videoCdnUrl(ctx.origin, photo, s.kind),
    });
  }
  return { ok: { streams: { stream } } };
}

function photosGetAllContexts(ctx: RestContext): RestOutcome {
  const photo = findPhoto(ctx);
  if ("code" in photo) return { fail: photo };
  const sets = visibleAlbums(ctx).filter((a) => a.photoIds.includes(photo.id))
    .map((album) => {
      const photos = albumPhotos(ctx, album);
      const videos = photos.filter((p) => p.media === "video").length;
      const primary = ctx.account.photos.get(album.primary);
      return {
        title: album.title,
        id: album.id,
        primary: album.primary,
        secret: primary?.secret ?? "0",
        server: primary?.server ?? "0",
        farm: primary?.farm ?? 0,
        view_count: String(album.views ?? 0),
        comment_count: "0",
        count_photo: photos.length - videos,
        count_video: videos,
      };
    });
  return { ok: sets.length > 0 ? { set: sets } : {} };
}

function photosetsGetList(ctx: RestContext): RestOutcome {
  const user = arg(ctx, "user_id");
  if (user !== undefined && user !== "") {
    if (!isAccountUser(ctx, user)) return fail(1, "User not found");
  } else if (!ctx.owner) {
    return fail(1, "User not found");
  }
  const albums = visibleAlbums(ctx);
  const hasPage = arg(ctx, "page") !== undefined;
  let page: Page<FakeAlbum>;
  if (hasPage) {
    page = paginate(ctx, albums, 500);
  } else {
    page = {
      page: 1,
      pages: albums.length === 0 ? 0 : 1,
      perpage: albums.length,
      total: albums.length,
      items: albums,
    };
  }
  return {
    ok: {
      photosets: {
        cancreate: 1,
        page: pageNumber(ctx, page.page),
        pages: pageNumber(ctx, page.pages),
        perpage: pageNumber(ctx, page.perpage),
        total: ctx.numbers === "strings" ? String(page.total) : page.total,
        photoset: page.items.map((a) => albumEntry(ctx, a, true)),
      },
    },
  };
}

function photosetsGetPhotos(ctx: RestContext): RestOutcome {
  const album = findAlbum(ctx);
  if (!album) return fail(1, "Photoset not found");
  let photos = applyFilters(ctx, albumPhotos(ctx, album));
  if (ctx.quirks?.emptyAlbums.includes(album.id)) photos = [];
  const p = paginate(ctx, photos, 500);
  const drop = ctx.quirks?.dropFromAlbums[album.id] ?? 0;
  if (drop > 0) p.items = p.items.slice(0, Math.max(0, p.items.length - drop));
  const extras = parseExtras(arg(ctx, "extras"));
  return {
    ok: {
      photoset: {
        id: album.id,
        primary: album.primary,
        owner: ctx.account.nsid,
        ownername: ctx.account.username,
        photo: p.items.map((photo) =>
          photoEntry(ctx, photo, extras, {
            isPrimary: photo.id === album.primary,
            omitVisibility: ctx.quirks?.omitVisibility ?? false,
          })
        ),
        page: pageNumber(ctx, p.page),
        per_page: pageNumber(ctx, p.perpage),
        perpage: pageNumber(ctx, p.perpage),
        pages: pageNumber(ctx, p.pages),
        title: album.title,
        total: total(ctx, p.total, p.page + 1),
      },
    },
  };
}

function photosetsGetInfo(ctx: RestContext): RestOutcome {
  const album = findAlbum(ctx);
  if (!album) return fail(1, "Photoset not found");
  const entry = albumEntry(ctx, album, false);
  return { ok: { photoset: entry } };
}

function peopleGetPhotos(ctx: RestContext): RestOutcome {
  const user = arg(ctx, "user_id");
  if (user === undefined || user === "" || !isAccountUser(ctx, user)) {
    return fail(2, "Unknown user");
  }
  const photos = applyFilters(
    ctx,
    [...ctx.account.photos.values()].filter((p) => visible(ctx, p)),
  ).sort(byUploadDesc);
  return { ok: photoList(ctx, photos, { shift: true }) };
}

function peopleGetPublicPhotos(ctx: RestContext): RestOutcome {
  return peopleGetPhotos({ ...ctx, owner: false });
}

function photosGetExif(ctx: RestContext): RestOutcome {
  const photo = findPhoto(ctx);
  if ("code" in photo) return { fail: photo };
  const content = photo.content;
  const exif = content.kind === "jpeg" || content.kind === "generated"
    ? content.exif
    : undefined;
  const tag = (
    tagspace: string,
    name: string,
    label: string,
    raw: string,
  ) => ({
    tagspace,
    tagspaceid: tagspace === "IFD0" ? 0 : tagspace === "GPS" ? 3 : 2,
    tag: name,
    label,
    raw: { _content: raw },
  });
  const list: Record<string, unknown>[] = [];
  if (exif) {
    list.push(tag("IFD0", "Make", "Make", exif.make));
    list.push(tag("IFD0", "Model", "Model", exif.model));
    list.push(
      tag(
        "ExifIFD",
        "DateTimeOriginal",
        "Date and Time (Original)",
        exif.dateTimeOriginal,
      ),
    );
    if (exif.exposureTime) {
      const [n, d] = exif.exposureTime;
      list.push(tag("ExifIFD", "ExposureTime", "Exposure", `${n}/${d}`));
    }
    if (exif.fNumber) {
      const [n, d] = exif.fNumber;
      list.push(tag("ExifIFD", "FNumber", "Aperture", String(n / d)));
    }
    if (exif.iso !== undefined) {
      list.push(tag("ExifIFD", "ISO", "ISO Speed", String(exif.iso)));
    }
    if (exif.lensModel !== undefined) {
      list.push(tag("ExifIFD", "LensModel", "Lens Model", exif.lensModel));
    }
  }
  return {
    ok: {
      photo: {
        id: photo.id,
        secret: photo.secret,
        server: photo.server,
        farm: photo.farm,
        camera: exif ? `${exif.make} ${exif.model}` : "",
        exif: list,
      },
    },
  };
}

function photosGetNotInSet(ctx: RestContext): RestOutcome {
  const inSet = new Set<string>();
  for (const album of ctx.account.albums) {
    for (const id of album.photoIds) inSet.add(id);
  }
  const photos = applyFilters(
    ctx,
    [...ctx.account.photos.values()].filter((p) => !inSet.has(p.id)),
  ).sort(byUploadDesc);
  return { ok: photoList(ctx, photos, { shift: true }) };
}

/** Parses min_date: unix seconds, or a date text `Date` understands. */
function parseMinDate(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

function photosRecentlyUpdated(ctx: RestContext): RestOutcome {
  const min = parseMinDate(arg(ctx, "min_date"));
  if (min === undefined) return fail(2, "Not a valid date");
  const photos = [...ctx.account.photos.values()]
    .filter((p) => p.lastUpdate >= min)
    .sort((a, b) => b.lastUpdate - a.lastUpdate || compareIdsDesc(a.id, b.id));
  return { ok: photoList(ctx, photos, { lastUpdate: true }) };
}

function peopleGetInfo(ctx: RestContext): RestOutcome {
  const user = arg(ctx, "user_id");
  if (user === undefined || !isAccountUser(ctx, user)) {
    return fail(1, "User not found");
  }
  const a = ctx.account;
  const slug = ownerSlug(a);
  const photos = [...a.photos.values()].filter((p) => visible(ctx, p));
  const first = photos.reduce<FakePhoto | undefined>(
    (m, p) => (!m || p.dateUpload < m.dateUpload ? p : m),
    undefined,
  );
  const firstTaken = photos.map((p) => p.dateTaken).sort()[0] ?? "";
  return {
    ok: {
      person: {
        id: a.nsid,
        nsid: a.nsid,
        ispro: int(a.isPro),
        is_deleted: 0,
        iconserver: "65535",
        iconfarm: 66,
        path_alias: a.pathAlias,
        has_stats: 1,
        username: { _content: a.username },
        realname: { _content: a.realname },
        location: { _content: a.location ?? "" },
        description: { _content: a.description ?? "" },
        timezone: {
          label: "Coordinated Universal Time",
          offset: "+00:00",
          timezone_id: "UTC",
        },
        photosurl: { _content: `${ctx.origin}/photos/${slug}/` },
        profileurl: { _content: `${ctx.origin}/people/${slug}/` },
        mobileurl: { _content: `${ctx.origin}/photos/${slug}/` },
        photos: {
          firstdatetaken: { _content: firstTaken },
          firstdate: { _content: first ? String(first.dateUpload) : "" },
          count: { _content: photos.length },
          views: { _content: "0" },
        },
      },
    },
  };
}

function collectionEntry(
  ctx: RestContext,
  c: FakeCollection,
): Record<string, unknown> {
  const albums = visibleAlbums(ctx);
  const entry: Record<string, unknown> = {
    id: c.id,
    title: c.title,
    description: c.description,
    iconlarge:
      "https://combo.staticflickr.com/pw/images/collection_default_l.gif",
    iconsmall:
      "https://combo.staticflickr.com/pw/images/collection_default_s.gif",
  };
  const sets = c.albumIds.map((id) => albums.find((a) => a.id === id))
    .filter((a): a is FakeAlbum => a !== undefined)
    .map((a) => ({ id: a.id, title: a.title, description: a.description }));
  if (sets.length > 0) entry.set = sets;
  if (c.collections && c.collections.length > 0) {
    entry.collection = c.collections.map((x) => collectionEntry(ctx, x));
  }
  return entry;
}

/**
 * `flickr.tags.getListUserRaw`: every tag of the owner, clean form with the
 * raw spellings typed (machine tags included, Flickr's automatic tags not).
 */
function tagsGetListUserRaw(ctx: RestContext): RestOutcome {
  const raws = new Map<string, Set<string>>();
  for (const photo of ctx.account.photos.values()) {
    for (const raw of photo.tags) {
      const key = normalizeTag(raw);
      if (key === "") continue;
      if (!raws.has(key)) raws.set(key, new Set());
      raws.get(key)!.add(raw);
    }
    for (const raw of photo.machineTags) {
      const key = raw.toLowerCase();
      if (!raws.has(key)) raws.set(key, new Set());
      raws.get(key)!.add(raw);
    }
  }
  const tag = [...raws].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([key, set]) => ({
      clean: key,
      raw: [...set].map((raw) => ({ _content: raw })),
    }));
  return { ok: { who: { id: ctx.account.nsid, tags: { tag } } } };
}

/** `flickr.photos.licenses.getInfo`: ids 0–16 with names and URLs. */
function licensesGetInfo(ctx: RestContext): RestOutcome {
  const numeric = ctx.numbers !== "strings";
  return {
    ok: {
      licenses: {
        license: (ctx.licenses ?? LICENSES).map((l) => ({
          id: numeric ? Number(l.id) : l.id,
          name: l.name,
          url: l.url,
        })),
      },
    },
  };
}

/** Every method the fake implements. */
export const METHODS: Record<string, MethodSpec> = {
  "flickr.test.login": {
    needsRead: true,
    run: (ctx) => ({
      ok: {
        user: {
          id: ctx.account.nsid,
          username: { _content: ctx.account.username },
        },
      },
    }),
  },
  "flickr.test.echo": {
    needsRead: false,
    run: (ctx) => {
      const out: Record<string, unknown> = {};
      const all: Pairs = [...ctx.params.query, ...ctx.params.body];
      for (const [k, v] of all) {
        if (k.startsWith("oauth_")) continue;
        if (!(k in out)) out[k] = { _content: v };
      }
      if (ctx.auth?.kind === "oauth") {
        out.api_key = { _content: ctx.auth.consumer.key };
        if (ctx.auth.token) out.auth_token = { _content: ctx.auth.token.token };
        out.api_auth_is_oauth = { _content: "1" };
      }
      return { ok: out };
    },
  },
  "flickr.auth.oauth.checkToken": {
    needsRead: true,
    run: (ctx) => {
      const token = ctx.auth?.kind === "oauth" ? ctx.auth.token : undefined;
      if (!token) return fail(98, "Invalid token");
      return {
        ok: {
          oauth: {
            token: token.token,
            perms: token.perms,
            user: {
              nsid: ctx.account.nsid,
              username: ctx.account.username,
              fullname: ctx.account.realname,
            },
          },
        },
      };
    },
  },
  "flickr.urls.lookupUser": {
    needsRead: false,
    run: (ctx) => {
      const url = arg(ctx, "url") ?? "";
      const m = /\/(?:photos|people)\/([^/?#]+)/.exec(url);
      const who = m ? decodeURIComponent(m[1] ?? "") : url;
      const a = ctx.account;
      if (who !== a.nsid && who !== a.pathAlias && who !== a.username) {
        return fail(1, "User not found");
      }
      return {
        ok: { user: { id: a.nsid, username: { _content: a.username } } },
      };
    },
  },
  "flickr.people.getInfo": { needsRead: false, run: peopleGetInfo },
  "flickr.people.getPhotos": { needsRead: false, run: peopleGetPhotos },
  "flickr.people.getPublicPhotos": {
    needsRead: false,
    run: peopleGetPublicPhotos,
  },
  "flickr.photos.getExif": { needsRead: false, run: photosGetExif },
  "flickr.photos.getNotInSet": { needsRead: true, run: photosGetNotInSet },
  "flickr.photos.recentlyUpdated": {
    needsRead: true,
    run: photosRecentlyUpdated,
  },
  "flickr.photosets.getList": { needsRead: false, run: photosetsGetList },
  "flickr.photosets.getPhotos": { needsRead: false, run: photosetsGetPhotos },
  "flickr.photosets.getInfo": { needsRead: false, run: photosetsGetInfo },
  "flickr.tags.getListUserRaw": { needsRead: true, run: tagsGetListUserRaw },
  "flickr.photos.licenses.getInfo": {
    needsRead: false,
    run: licensesGetInfo,
  },
  "flickr.photos.getSizes": { needsRead: false, run: photosGetSizes },
  "flickr.photos.getInfo": { needsRead: false, run: photosGetInfo },
  "flickr.photos.getAllContexts": {
    needsRead: false,
    run: photosGetAllContexts,
  },
  "flickr.video.getStreamInfo": { needsRead: false, run: videoGetStreamInfo },
  "flickr.photos.comments.getList": {
    needsRead: false,
    run: (ctx) => {
      const photo = findPhoto(ctx);
      if ("code" in photo) return { fail: photo };
      return { ok: { comments: { photo_id: photo.id } } };
    },
  },
  "flickr.collections.getTree": {
    needsRead: false,
    run: (ctx) => {
      const user = arg(ctx, "user_id");
      if (user !== undefined && user !== "" && !isAccountUser(ctx, user)) {
        return fail(1, "User not found");
      }
      const list = ctx.account.collections ?? [];
      return {
        ok: {
          collections: list.length > 0
            ? { collection: list.map((c) => collectionEntry(ctx, c)) }
            : {},
        },
      };
    },
  },
};
