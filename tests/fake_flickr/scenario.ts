/**
 * The fake Flickr account as plain data, deterministic builders for the test
 * scenarios (demo, awkward, big) and mutation helpers that change an account
 * the way Flickr would (bumping `lastUpdate` / album `dateUpdate`).
 *
 * @module
 */

import type { CameraExif } from "../helpers/jpeg.ts";
import type { GeneratedFormat } from "./media.ts";

/** How a photo's original bytes are produced. */
export type PhotoContent =
  /** Exact bytes. */
  | { kind: "bytes"; bytes: Uint8Array }
  /** A JPEG encoded on demand; width/height default to the photo's. */
  | {
    kind: "jpeg";
    seed: number;
    width?: number;
    height?: number;
    exif?: CameraExif;
    progressive?: boolean;
    trailer?: Uint8Array;
    padTo?: number;
  }
  /** A PNG encoded on demand (size defaults to the photo's, capped at 256). */
  | { kind: "png"; seed: number; width?: number; height?: number }
  /** A GIF encoded on demand (size defaults to the photo's, capped at 256). */
  | { kind: "gif"; seed: number; width?: number; height?: number }
  /**
   * Streamed bytes of exactly `size` (never held in memory): a valid JPEG
   * padded with COM segments, an MP4/MOV container, or raw fill.
   */
  | {
    kind: "generated";
    size: number;
    seed: number;
    format?: GeneratedFormat;
    exif?: CameraExif;
  };

/** Geotag of a photo. */
export interface Geo {
  latitude: number;
  longitude: number;
  /** 1 (world) .. 16 (street). */
  accuracy: number;
}

/** One photo or video. */
export interface FakePhoto {
  /** Numeric string, 17 digits (bigger than 2^53: never parse as a number). */
  id: string;
  /** 10 hex: shared secret of the sizes below 1600 px. */
  secret: string;
  /** "65535" on the modern CDN. */
  server: string;
  farm: number;
  /** 10 hex: secret of the original (and of a video's "orig" stream). */
  originalSecret: string;
  /** Extension of the original: jpg, png, gif; mov/mp4 for videos. */
  originalFormat: string;
  title: string;
  description: string;
  /** Raw tags as the user typed them. */
  tags: string[];
  /** Machine tags, `namespace:predicate=value`. */
  machineTags: string[];
  /**
   * Tags Flickr adds by itself (`vision:outdoor=064`): in the `tags` extra,
   * not in `machine_tags`, not the owner's raw tags.
   */
  autoTags?: string[];
  /** "0".."16". */
  license: string;
  /** Unix seconds. */
  dateUpload: number;
  /** "YYYY-MM-DD HH:MM:SS" (local time, no zone). */
  dateTaken: string;
  dateTakenGranularity: 0 | 4 | 6 | 8;
  dateTakenUnknown: boolean;
  /** Unix seconds. */
  lastUpdate: number;
  geo?: Geo;
  media: "photo" | "video";
  isPublic: boolean;
  isFriend: boolean;
  isFamily: boolean;
  views: number;
  /** Pixel size of the original (of the video frame for videos). */
  width: number;
  height: number;
  /**
   * False ⇒ no Original, no sizes above 1024 px (the 2025 free-account
   * limit), no video original.
   */
  originalAvailable: boolean;
  /** The original's bytes. */
  content: PhotoContent;
  /** Videos: duration in seconds (default 10). */
  videoDuration?: number;
}

/** One album (photoset). */
export interface FakeAlbum {
  /** 17-digit numeric string. */
  id: string;
  title: string;
  description: string;
  /** Photo ids in set order. */
  photoIds: string[];
  /** Id of the cover photo. */
  primary: string;
  /** Unix seconds. */
  dateCreate: number;
  /** Unix seconds; 0 = never updated. */
  dateUpdate: number;
  views?: number;
}

/** A collection: a named group of albums and sub-collections. */
export interface FakeCollection {
  /** Like "12-72157594586579649". */
  id: string;
  title: string;
  description: string;
  albumIds: string[];
  collections?: FakeCollection[];
}

/** The whole account the fake serves (one user). */
export interface Account {
  /** e.g. "12345678@N01". */
  nsid: string;
  username: string;
  realname: string;
  /** Custom URL name, or null. */
  pathAlias: string | null;
  isPro: boolean;
  /** All photos and videos by id (insertion order = upload order). */
  photos: Map<string, FakePhoto>;
  /** Albums in the user's chosen order. */
  albums: FakeAlbum[];
  /** Collections tree (flickr.collections.getTree); none by default. */
  collections?: FakeCollection[];
  location?: string;
  description?: string;
}

// ------------------------------------------------------------ randomness

/** A small seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(next: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
  return s;
}

function pick<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new RangeError("pick() from an empty list");
  return item;
}

/** "YYYY-MM-DD HH:MM:SS" of a unix time, in UTC. */
export function formatDateTaken(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(0, 19).replace("T", " ");
}

function exifDate(dateTaken: string): string {
  return dateTaken.replaceAll("-", ":").slice(0, 10) + dateTaken.slice(10);
}

const CAMERAS: readonly [string, string, string][] = [
  ["Canon", "Canon EOS 5D Mark IV", "EF24-105mm f/4L IS USM"],
  ["NIKON CORPORATION", "NIKON D750", "24.0-120.0 mm f/4.0"],
  ["FUJIFILM", "X-T3", "XF18-55mmF2.8-4 R LM OIS"],
  ["SONY", "ILCE-7M3", "FE 24-70mm F2.8 GM"],
  ["Apple", "iPhone 13 Pro", "iPhone 13 Pro back triple camera 5.7mm f/1.5"],
];

/** Camera EXIF for a photo, chosen by `next`, dated like the photo. */
export function cameraExif(
  next: () => number,
  dateTaken: string,
  geo?: Geo,
): CameraExif {
  const [make, model, lens] = pick(next, CAMERAS);
  return {
    make,
    model,
    lensModel: lens,
    dateTimeOriginal: exifDate(dateTaken),
    exposureTime: [1, pick(next, [60, 125, 250, 500, 1000])],
    fNumber: [pick(next, [18, 28, 40, 56, 80]), 10],
    iso: pick(next, [100, 200, 400, 800, 3200]),
    focalLength: [pick(next, [24, 35, 50, 85]), 1],
    gps: geo && { latitude: geo.latitude, longitude: geo.longitude },
  };
}

// ------------------------------------------------------------ building

/** Options for {@linkcode createAccount}. */
export interface AccountOptions {
  nsid?: string;
  username?: string;
  realname?: string;
  pathAlias?: string | null;
  isPro?: boolean;
}

/** An account with no photos and no albums. */
export function createAccount(options: AccountOptions = {}): Account {
  return {
    nsid: options.nsid ?? "98765432@N01",
    username: options.username ?? "demo_user",
    realname: options.realname ?? "Demo User",
    pathAlias: options.pathAlias === undefined ? "demouser" : options.pathAlias,
    isPro: options.isPro ?? true,
    photos: new Map(),
    albums: [],
    location: "Lisbon, Portugal",
    description: "A fake account for tests.",
  };
}

/** Base of generated photo ids: 17 digits. */
const PHOTO_ID_BASE = 53_100_000_000_000_000n;
/** Base of generated album ids: 17 digits starting 7217772. */
const ALBUM_ID_BASE = 72_177_720_300_000_000n;

function nextPhotoId(account: Account): string {
  let max = PHOTO_ID_BASE;
  for (const id of account.photos.keys()) {
    const n = BigInt(id);
    if (n > max) max = n;
  }
  return String(max + 1_000_003n);
}

function nextAlbumId(account: Account): string {
  let max = ALBUM_ID_BASE;
  for (const album of account.albums) {
    const n = BigInt(album.id);
    if (n > max) max = n;
  }
  return String(max + 1_000_007n);
}

/** Fields {@linkcode addPhoto} takes; everything not given is generated. */
export type PhotoInit = Partial<FakePhoto> & {
  /** Album ids to append the photo to. */
  albums?: string[];
  /** Seed for the generated fields (default: derived from the id). */
  seed?: number;
  /** Give the JPEG camera EXIF (default true for photos). */
  camera?: boolean;
};

/** Options of the mutation helpers. */
export interface MutationOptions {
  /** "Now" in unix seconds (default: the real clock). */
  now?: number;
}

function nowOf(options?: MutationOptions): number {
  return options?.now ?? Math.floor(Date.now() / 1000);
}

/**
 * Builds a photo with deterministic defaults from its seed, adds it to the
 * account (and to `init.albums`), and returns it. `dateUpload` and
 * `lastUpdate` default to `options.now` (or the clock).
 */
export function addPhoto(
  account: Account,
  init: PhotoInit = {},
  options?: MutationOptions,
): FakePhoto {
  const id = init.id ?? nextPhotoId(account);
  if (account.photos.has(id)) throw new Error(`Photo "${id}" already exists`);
  const seed = init.seed ?? Number(BigInt(id) % 2_147_483_647n);
  const next = rng(seed);
  const media = init.media ?? "photo";
  const dateUpload = init.dateUpload ?? nowOf(options);
  const dateTaken = init.dateTaken ??
    formatDateTaken(dateUpload - 3600 * Math.floor(1 + next() * 500));
  const width = init.width ?? (media === "video" ? 1280 : 1024);
  const height = init.height ?? (media === "video" ? 720 : 768);
  const originalFormat = init.originalFormat ??
    (media === "video" ? "mov" : "jpg");
  const content: PhotoContent = init.content ?? defaultContent(
    media,
    originalFormat,
    seed,
    init.camera === false ? undefined : cameraExif(next, dateTaken, init.geo),
  );
  const photo: FakePhoto = {
    id,
    secret: init.secret ?? hex(next, 10),
    server: init.server ?? "65535",
    farm: init.farm ?? 66,
    originalSecret: init.originalSecret ?? hex(next, 10),
    originalFormat,
    title: init.title ?? `IMG_${String(seed % 10000).padStart(4, "0")}`,
    description: init.description ?? "",
    tags: init.tags ?? [],
    machineTags: init.machineTags ?? [],
    ...(init.autoTags ? { autoTags: init.autoTags } : {}),
    license: init.license ?? "0",
    dateUpload,
    dateTaken,
    dateTakenGranularity: init.dateTakenGranularity ?? 0,
    dateTakenUnknown: init.dateTakenUnknown ?? false,
    lastUpdate: init.lastUpdate ?? dateUpload,
    geo: init.geo,
    media,
    isPublic: init.isPublic ?? true,
    isFriend: init.isFriend ?? false,
    isFamily: init.isFamily ?? false,
    views: init.views ?? Math.floor(next() * 1000),
    width,
    height,
    originalAvailable: init.originalAvailable ?? true,
    content,
    videoDuration: media === "video" ? init.videoDuration ?? 10 : undefined,
  };
  if (photo.geo === undefined) delete photo.geo;
  if (photo.videoDuration === undefined) delete photo.videoDuration;
  account.photos.set(id, photo);
  for (const albumId of init.albums ?? []) {
    addToAlbum(account, albumId, id, options);
  }
  return photo;
}

function defaultContent(
  media: "photo" | "video",
  format: string,
  seed: number,
  exif: CameraExif | undefined,
): PhotoContent {
  if (media === "video") {
    return {
      kind: "generated",
      size: 24_000 + (seed % 8000),
      seed,
      format: format === "mp4" ? "mp4" : "mov",
    };
  }
  if (format === "png") return { kind: "png", seed };
  if (format === "gif") return { kind: "gif", seed };
  return { kind: "jpeg", seed, exif };
}

/** Fields {@linkcode addAlbum} takes. */
export interface AlbumInit {
  id?: string;
  title: string;
  description?: string;
  photoIds?: string[];
  primary?: string;
  dateCreate?: number;
  dateUpdate?: number;
}

/** Appends an album to the account (at the end of the user's order). */
export function addAlbum(
  account: Account,
  init: AlbumInit,
  options?: MutationOptions,
): FakeAlbum {
  const now = nowOf(options);
  const photoIds = [...(init.photoIds ?? [])];
  for (const id of photoIds) mustGetPhoto(account, id);
  const album: FakeAlbum = {
    id: init.id ?? nextAlbumId(account),
    title: init.title,
    description: init.description ?? "",
    photoIds,
    primary: init.primary ?? photoIds[0] ?? "0",
    dateCreate: init.dateCreate ?? now,
    dateUpdate: init.dateUpdate ?? now,
  };
  account.albums.push(album);
  return album;
}

/** Returns the photo or throws. */
export function mustGetPhoto(account: Account, id: string): FakePhoto {
  const photo = account.photos.get(id);
  if (!photo) throw new Error(`Photo "${id}" not found`);
  return photo;
}

/** Returns the album or throws. */
export function mustGetAlbum(account: Account, id: string): FakeAlbum {
  const album = account.albums.find((a) => a.id === id);
  if (!album) throw new Error(`Album "${id}" not found`);
  return album;
}

/**
 * Changes fields of a photo and bumps its `lastUpdate` (to now, and always
 * forward), as any edit on Flickr does.
 */
export function editPhoto(
  account: Account,
  id: string,
  patch: Partial<Omit<FakePhoto, "id">>,
  options?: MutationOptions,
): FakePhoto {
  const photo = mustGetPhoto(account, id);
  Object.assign(photo, patch);
  if (patch.lastUpdate === undefined) {
    photo.lastUpdate = Math.max(photo.lastUpdate + 1, nowOf(options));
  }
  return photo;
}

/**
 * Replaces the original file: new `originalSecret` and new bytes (`content`,
 * or the old content re-seeded), and a bumped `lastUpdate`.
 */
export function replaceOriginal(
  account: Account,
  id: string,
  content?: PhotoContent,
  options?: MutationOptions,
): FakePhoto {
  const photo = mustGetPhoto(account, id);
  const next = rng(Number(BigInt(photo.id) % 1_000_003n) + photo.lastUpdate);
  let newSecret = hex(next, 10);
  while (newSecret === photo.originalSecret) newSecret = hex(next, 10);
  const old = photo.content;
  const reseeded: PhotoContent = old.kind === "bytes"
    ? { kind: "bytes", bytes: reseedBytes(old.bytes) }
    : { ...old, seed: old.seed + 7919 };
  return editPhoto(account, id, {
    originalSecret: newSecret,
    content: content ?? reseeded,
  }, options);
}

/** Changes explicit bytes so they differ but keep their format (JPEG COM). */
function reseedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const com = new Uint8Array([
      0xff,
      0xfe,
      0x00,
      0x0a,
      ...new TextEncoder()
        .encode("replaced"),
    ]);
    const out = new Uint8Array(bytes.length + com.length);
    out.set(bytes.subarray(0, 2));
    out.set(com, 2);
    out.set(bytes.subarray(2), 2 + com.length);
    return out;
  }
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = 0x0a;
  return out;
}

/** Deletes a photo and removes it from every album (bumping their dates). */
export function deletePhoto(
  account: Account,
  id: string,
  options?: MutationOptions,
): void {
  mustGetPhoto(account, id);
  for (const album of account.albums) {
    if (album.photoIds.includes(id)) {
      removeFromAlbum(account, album.id, id, options);
    }
  }
  account.photos.delete(id);
}

/** Renames an album (bumps its `dateUpdate`). */
export function renameAlbum(
  account: Account,
  albumId: string,
  title: string,
  options?: MutationOptions,
): FakeAlbum {
  const album = mustGetAlbum(account, albumId);
  album.title = title;
  touchAlbum(album, options);
  return album;
}

/** Appends a photo to an album (no-op if already there). */
export function addToAlbum(
  account: Account,
  albumId: string,
  photoId: string,
  options?: MutationOptions,
): void {
  const album = mustGetAlbum(account, albumId);
  mustGetPhoto(account, photoId);
  if (album.photoIds.includes(photoId)) return;
  album.photoIds.push(photoId);
  if (album.primary === "0" || !album.primary) album.primary = photoId;
  touchAlbum(album, options);
}

/** Removes a photo from an album; the next photo becomes primary if needed. */
export function removeFromAlbum(
  account: Account,
  albumId: string,
  photoId: string,
  options?: MutationOptions,
): void {
  const album = mustGetAlbum(account, albumId);
  const at = album.photoIds.indexOf(photoId);
  if (at < 0) return;
  album.photoIds.splice(at, 1);
  if (album.primary === photoId) album.primary = album.photoIds[0] ?? "0";
  touchAlbum(album, options);
}

/** Moves a photo from one album to another (both get a new `dateUpdate`). */
export function movePhoto(
  account: Account,
  photoId: string,
  fromAlbum: string,
  toAlbum: string,
  options?: MutationOptions,
): void {
  removeFromAlbum(account, fromAlbum, photoId, options);
  addToAlbum(account, toAlbum, photoId, options);
}

/** Deletes an album (its photos stay in the account). */
export function deleteAlbum(account: Account, albumId: string): void {
  mustGetAlbum(account, albumId);
  account.albums = account.albums.filter((a) => a.id !== albumId);
}

function touchAlbum(album: FakeAlbum, options?: MutationOptions): void {
  album.dateUpdate = Math.max(album.dateUpdate + 1, nowOf(options));
}

// ------------------------------------------------------------ scenarios

/** 2021-03-01T00:00:00Z: start of the scenarios' upload dates. */
const EPOCH = 1_614_556_800;

/**
 * A small account: 12 items, 3 albums. Photos 1, 3 and 5 are in two albums,
 * four photos are in none; one MOV video, one PNG, geotagged photos, camera
 * EXIF JPEGs, one friends/family-only and one private photo. Files are a few
 * KB.
 */
export function demoAccount(seed = 1): Account {
  const account = createAccount();
  const next = rng(seed);
  const at = (i: number) => EPOCH + i * 86_400 * 30 + Math.floor(next() * 3600);
  const add = (i: number, init: PhotoInit) =>
    addPhoto(account, {
      seed: seed * 1000 + i,
      dateUpload: at(i),
      lastUpdate: at(i) + 600,
      ...init,
    });
  const lisbon: Geo = {
    latitude: 38.711742,
    longitude: -9.139617,
    accuracy: 16,
  };
  const alps: Geo = { latitude: 46.55886, longitude: 7.972603, accuracy: 11 };
  const p = [
    add(1, {
      title: "Sunset over the bay",
      description: "Golden hour at the harbour.",
      tags: ["sunset", "sea", "Lisbon"],
      // Flickr's automatic tag: in the tags extra, not the owner's.
      autoTags: ["vision:outdoor=064"],
      width: 1024,
      height: 683,
      license: "4",
    }),
    add(2, { title: "Harbour at dawn", width: 800, height: 600 }),
    add(3, {
      title: "Grandma's 90th",
      isPublic: false,
      isFriend: true,
      isFamily: true,
      width: 640,
      height: 480,
    }),
    add(4, {
      title: "Kids in the garden",
      isPublic: false,
      width: 640,
      height: 480,
    }),
    add(5, {
      title: "Mountain panorama",
      width: 2048,
      height: 1024,
      geo: alps,
      tags: ["alps", "panorama", "Hasselblad 500 C/M"],
      machineTags: ["geo:country=ch"],
    }),
    add(6, { title: "Old street", width: 1600, height: 1200 }),
    add(7, {
      title: "Screenshot",
      originalFormat: "png",
      width: 320,
      height: 200,
      camera: false,
    }),
    add(8, {
      title: "Boat trip",
      media: "video",
      originalFormat: "mov",
      width: 1280,
      height: 720,
      videoDuration: 12,
    }),
    add(9, { title: "Cat", width: 500, height: 375, camera: false }),
    add(10, {
      title: "Café on the corner",
      width: 1024,
      height: 768,
      geo: lisbon,
      license: "14", // CC BY-NC 4.0 (2024)
    }),
    add(11, { title: "Birthday cake", width: 640, height: 480 }),
    add(12, {
      title: "Scan of a postcard",
      width: 900,
      height: 600,
      camera: false,
      dateTaken: "1975-01-01 00:00:00",
      dateTakenGranularity: 6,
    }),
  ];
  const id = (i: number) => p[i - 1]?.id ?? "0";
  const created = EPOCH + 86_400 * 400;
  addAlbum(account, {
    title: "Holidays 2023",
    description: "Summer trip.",
    photoIds: [1, 2, 3, 5, 8].map(id),
    dateCreate: created,
    dateUpdate: created + 100,
  });
  addAlbum(account, {
    title: "Family",
    photoIds: [3, 4, 11].map(id),
    dateCreate: created + 10,
    dateUpdate: created + 200,
  });
  addAlbum(account, {
    title: "Best of",
    photoIds: [5, 10, 1].map(id),
    dateCreate: created + 20,
    dateUpdate: 0,
  });
  return account;
}

/**
 * Every awkward case the client must survive: hostile, colliding and unicode
 * album titles, photos in several albums and in none, videos with and
 * without an original, PNG and GIF originals, private photos, geotags,
 * camera EXIF, a free-account photo (largest size "Large" 1024), a
 * progressive JPEG with a trailer, unicode/emoji titles and tags, a very
 * long description.
 */
export function awkwardAccount(seed = 2): Account {
  const account = createAccount({
    nsid: "11223344@N07",
    username: "Ünïcødé user",
    realname: "Zoë “Awkward” O'Brien",
    pathAlias: null,
  });
  const next = rng(seed);
  let day = 0;
  const add = (init: PhotoInit) => {
    day++;
    const upload = EPOCH + day * 86_400 + Math.floor(next() * 3600);
    return addPhoto(account, {
      seed: seed * 1000 + day,
      dateUpload: upload,
      lastUpdate: upload + 60,
      ...init,
    });
  };
  const unicode = add({
    title: "Ünïcödé 😀 photo / with slash",
    description: "Emoji 📷🌍 and accents: àéîõü — “quotes”",
    tags: ["Zürich", "😀", "New York", "tag with spaces", "日本"],
    machineTags: ["vision:night=077", "geo:country=ch"],
  });
  const longDesc = add({
    title: "Very long description",
    description: Array.from(
      { length: 400 },
      (_, i) => `Line ${i}: <b>bold</b> & "quoted" text, ünïcode, 😀.`,
    ).join("\n"),
  });
  const png = add({
    title: "PNG original",
    originalFormat: "png",
    camera: false,
  });
  const gif = add({
    title: "GIF original",
    originalFormat: "gif",
    width: 200,
    height: 150,
    camera: false,
  });
  const videoMp4 = add({
    title: "Video with original (mp4)",
    media: "video",
    originalFormat: "mp4",
    width: 1920,
    height: 1080,
  });
  const videoNoOrig = add({
    title: "Video without original",
    media: "video",
    originalFormat: "mov",
    originalAvailable: false,
    width: 640,
    height: 360,
  });
  const friends = add({
    title: "Friends only",
    isPublic: false,
    isFriend: true,
  });
  const family = add({ title: "Family only", isPublic: false, isFamily: true });
  const privateOnly = add({ title: "Private", isPublic: false });
  const geo1 = add({
    title: "Geotagged north-east",
    geo: { latitude: 59.329323, longitude: 18.068581, accuracy: 16 },
  });
  const geo2 = add({
    title: "Geotagged south-west",
    geo: { latitude: -33.86882, longitude: -70.20929, accuracy: 6 },
  });
  const noOriginal = add({
    title: "Free account photo (no original)",
    width: 2048,
    height: 1536,
    originalAvailable: false,
  });
  const progressive = add({
    title: "Progressive with trailer",
    width: 800,
    height: 600,
  });
  progressive.content = {
    kind: "jpeg",
    seed: 77,
    progressive: true,
    trailer: new Uint8Array([
      0,
      0,
      0,
      16,
      ...new TextEncoder().encode("ftypmp42"),
      0,
      0,
      0,
      0,
    ]),
    exif: cameraExif(rng(77), progressive.dateTaken),
  };
  const untitled = add({ title: "", description: "" });
  const circa = add({
    title: "Circa 1950",
    dateTaken: "1950-01-01 00:00:00",
    dateTakenGranularity: 8,
    dateTakenUnknown: true,
    camera: false,
  });
  const dup1 = add({ title: "IMG_0001" });
  const dup2 = add({ title: "IMG_0001" });
  const hostile = add({ title: "../../etc/passwd" });
  const con = add({ title: "CON" });
  const loose1 = add({ title: "In no album 1" });
  const loose2 = add({ title: "In no album 2", tags: ["loose"] });
  const longTitle = add({ title: "Long title ".repeat(28).slice(0, 300) });
  const big = add({
    title: "Large original",
    width: 6000,
    height: 4000,
    content: { kind: "generated", size: 200_000, seed: 4242, format: "jpg" },
  });

  const ids = (...photos: FakePhoto[]) => photos.map((x) => x.id);
  const created = EPOCH + 86_400 * 100;
  let n = 0;
  const album = (title: string, photos: FakePhoto[], description = "") =>
    addAlbum(account, {
      title,
      description,
      photoIds: ids(...photos),
      dateCreate: created + ++n,
      dateUpdate: created + 1000 + n,
    });
  album("Café", [unicode, png, dup1, dup2]); // NFC
  album("Cafe\u0301", [unicode, gif]); // NFD
  album("Trip", [geo1, videoMp4, unicode]);
  album("Trip", [geo2, videoNoOrig], "Same title, other album");
  album("trip", [noOriginal, progressive]);
  album("../../etc/passwd", [hostile, friends]);
  album("a/b", [con, family]);
  album("CON", [con, untitled]);
  album("Trailing dots and spaces. . ", [circa]);
  album("é".repeat(300), [longDesc]);
  album("", [privateOnly, unicode]);
  album("..", [big]);
  album("C:\\Windows\\x", [dup1]);
  album("\u202Eevil", [geo1]);
  album(':*?|<>"', [png]);
  album("📷".repeat(200), [gif]);
  album("Long title ".repeat(28).slice(0, 300), [longTitle]);
  void loose1;
  void loose2;
  return account;
}

/** Options for {@linkcode bigAccount}. */
export interface BigAccountOptions {
  /** Number of photos (default 10,000). */
  photos?: number;
  /** Number of albums (default 60). */
  albums?: number;
  /** Size of each original (default 2,048; generated, padded JPEG). */
  bytesPerPhoto?: number;
  seed?: number;
  /** Every n-th item is an MP4 video (default 0: none). */
  videoEvery?: number;
}

/**
 * A large account built cheaply: originals are generated on demand
 * (`kind: "generated"`), so 10,000 photos cost a few MB. About 15 % of the
 * photos are in no album, 70 % in one, 15 % in two or three.
 */
export function bigAccount(options: BigAccountOptions = {}): Account {
  const count = options.photos ?? 10_000;
  const albumCount = options.albums ?? 60;
  const bytes = options.bytesPerPhoto ?? 2048;
  const seed = options.seed ?? 3;
  const next = rng(seed);
  const account = createAccount({
    nsid: "55667788@N02",
    username: "big_user",
    realname: "Big Account",
    pathAlias: "bigaccount",
  });
  const members: string[][] = Array.from({ length: albumCount }, () => []);
  let id = PHOTO_ID_BASE;
  for (let i = 0; i < count; i++) {
    id += 1_000_003n;
    const upload = EPOCH + i * 600;
    const isVideo = options.videoEvery ? i % options.videoEvery === 0 : false;
    const photoSeed = (seed * 1_000_003 + i) >>> 0;
    const photo: FakePhoto = {
      id: String(id),
      secret: hex(next, 10),
      server: "65535",
      farm: 66,
      originalSecret: hex(next, 10),
      originalFormat: isVideo ? "mp4" : "jpg",
      title: `IMG_${String(i).padStart(5, "0")}`,
      description: i % 3 === 0 ? `Photo number ${i}` : "",
      tags: i % 4 === 0 ? ["big", `t${i % 10}`] : [],
      machineTags: [],
      license: "0",
      dateUpload: upload,
      dateTaken: formatDateTaken(upload - 3600),
      dateTakenGranularity: 0,
      dateTakenUnknown: false,
      lastUpdate: upload + 60,
      media: isVideo ? "video" : "photo",
      isPublic: i % 10 !== 0,
      isFriend: false,
      isFamily: false,
      views: i % 100,
      width: isVideo ? 1280 : 4000,
      height: isVideo ? 720 : 3000,
      originalAvailable: true,
      content: {
        kind: "generated",
        size: bytes,
        seed: photoSeed,
        format: isVideo ? "mp4" : "jpg",
      },
    };
    if (isVideo) photo.videoDuration = 10;
    account.photos.set(photo.id, photo);
    if (albumCount === 0) continue;
    const r = next();
    const k = r < 0.15 ? 0 : r < 0.85 ? 1 : 2 + Math.floor(next() * 2);
    for (let j = 0; j < k; j++) {
      const list = members[Math.floor(next() * albumCount)];
      if (list && !list.includes(photo.id)) list.push(photo.id);
    }
  }
  let albumId = ALBUM_ID_BASE;
  members.forEach((photoIds, i) => {
    albumId += 1_000_007n;
    const created = EPOCH + i * 3600;
    account.albums.push({
      id: String(albumId),
      title: `Album ${String(i + 1).padStart(3, "0")}`,
      description: "",
      photoIds,
      primary: photoIds[0] ?? "0",
      dateCreate: created,
      dateUpdate: created + 60,
    });
  });
  return account;
}
