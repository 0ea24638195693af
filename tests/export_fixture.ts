/**
 * Writes a Flickr data export ("Request my Flickr data") as real zips,
 * following FLICKR_EXPORT.md §6: account-data zips `…_part1.zip` and
 * `…_part2.zip` (with `albums.json` only in part 2, and part 1 written with
 * Zip64 records), media zips in both name shapes (`data-download-1.zip` and
 * `data_<digits>_<hex>_2.zip`, media stored, JSON deflated), 2018-style and
 * current photo JSON, a `"0"` in an album, a photo in two albums and one in
 * none, two videos, a zero-byte entry, an orphan, a photo without media, a
 * never-processed video, HTML entities and a negative longitude.
 *
 * Used by the import tests, by `deno task demo` and by the import bench.
 *
 * @module
 */

import { join } from "node:path";
import { Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";
import { encodeJpeg } from "./helpers/jpeg.ts";
import { encodePng, videoHead } from "./fake_flickr/media.ts";
import {
  type Account,
  addAlbum,
  addPhoto,
  createAccount,
} from "./fake_flickr/scenario.ts";

/** Account of the fixture export. */
export const EXPORT_ACCOUNT = {
  nsid: "12345678@N00",
  screen_name: "Ada Example",
  path_alias: "adaexample",
  real_name: "Ada Example",
};

/** One item of the fixture, as a test expects to find it. */
export interface FixtureItem {
  id: string;
  /** Media entry name in the export, or undefined (metadata only). */
  file?: string;
  /** Zip the media entry is in (1 or 2). */
  zip?: 1 | 2;
  title: string;
  albums: string[];
  media: "photo" | "video";
  /** Extension the import must give the file. */
  ext: string;
  /** Pixel size of images. */
  width?: number;
  height?: number;
  /** Bytes of the media entry (0 for the zero-byte entry). */
  bytes?: number;
}

/** Albums of the fixture: id → title. */
export const FIXTURE_ALBUMS = [
  {
    id: "72157654596017442",
    title: "Bay & Beach",
    photos: ["52759384619", "53001234567", "51234567890", "0"],
  },
  {
    id: "72157654596017443",
    title: "Walks",
    photos: ["53001234567", "16343358551"],
  },
  {
    id: "72157654596017444",
    title: "Norway",
    photos: ["5189977344", "7943051628"],
  },
] as const;

/** Everything the fixture holds, for assertions. */
export const FIXTURE_ITEMS: FixtureItem[] = [
  {
    id: "52759384619",
    file: "52759384619_be0461e77c_o.jpg",
    zip: 1,
    title: "",
    albums: ["72157654596017442"],
    media: "photo",
    ext: "jpg",
    width: 2048,
    height: 1536,
  },
  {
    id: "53001234567",
    file: "sunset-over-the-bay_53001234567_o.jpg",
    zip: 1,
    title: "Sunset over the bay",
    albums: ["72157654596017442", "72157654596017443"],
    media: "photo",
    ext: "jpg",
    width: 2400,
    height: 1600,
  },
  {
    id: "16343358551",
    file: "20141119_141647_16343358551_o.jpg",
    zip: 1,
    title: "20141119_141647",
    albums: ["72157654596017443"],
    media: "photo",
    ext: "jpg",
    width: 1024,
    height: 768,
  },
  {
    id: "5189977344",
    file: "manfred-p-eventyr_5189977344_o.jpg",
    zip: 1,
    title: "Manfred på eventyr",
    albums: ["72157654596017444"],
    media: "photo",
    ext: "jpg",
    width: 2048,
    height: 1365,
  },
  {
    id: "7943051628",
    file: "vid_20120906_141705_7943051628.mp4",
    zip: 1,
    title: "VID_20120906_141705",
    albums: ["72157654596017444"],
    media: "video",
    ext: "mp4",
  },
  {
    id: "51234567890",
    file: "screenshot_51234567890_o.png",
    zip: 2,
    title: "Screenshot",
    albums: ["72157654596017442"],
    media: "photo",
    ext: "png",
    width: 1280,
    height: 800,
  },
  {
    id: "144332211",
    file: "img_5873_144332211_o.jpg",
    zip: 2,
    title: "IMG_5873",
    albums: [],
    media: "photo",
    ext: "jpg",
    width: 3000,
    height: 2000,
  },
  {
    id: "2634391576",
    file: "killarney-lake_2634391576_o.jpg",
    zip: 2,
    title: "Killarney lake",
    albums: [],
    media: "photo",
    ext: "jpg",
    width: 2592,
    height: 1944,
  },
  {
    id: "53222222222",
    file: "private-one_53222222222_o.jpg",
    zip: 2,
    title: "Private one",
    albums: [],
    media: "photo",
    ext: "jpg",
    width: 2048,
    height: 1536,
  },
  {
    id: "53333333333",
    file: "video_53333333333.mov",
    zip: 2,
    title: "",
    albums: [],
    media: "video",
    ext: "mov",
  },
  {
    id: "53666666666",
    file: "empty-one_53666666666_o.jpg",
    zip: 2,
    title: "Empty one",
    albums: [],
    media: "photo",
    ext: "jpg",
    bytes: 0,
  },
  {
    id: "53444444444",
    title: "Missing media",
    albums: [],
    media: "photo",
    ext: "jpg",
  },
  {
    id: "53555555555",
    title: "Never processed",
    albums: [],
    media: "video",
    ext: "mp4",
  },
];

/** The stray media entry that has no `photo_<id>.json`. */
export const FIXTURE_ORPHAN = {
  id: "53999999999",
  file: "orphan_53999999999_o.jpg",
  ext: "jpg",
};

/** Options of {@link writeExportFixture}. */
export interface ExportFixtureOptions {
  /** Extra bytes of image data per JPEG (bench: bigger zips). */
  padJpegTo?: number;
  /** Date of the zip entries: when Flickr made the export. */
  date?: Date;
}

/** Paths of the zips written, in the order a person would pass them. */
export interface ExportFixture {
  zips: string[];
  metadataZips: string[];
  mediaZips: string[];
}

/** Writes the §6 fixture export into `dir`; returns the zip paths. */
export async function writeExportFixture(
  dir: string,
  options: ExportFixtureOptions = {},
): Promise<ExportFixture> {
  await Deno.mkdir(dir, { recursive: true });
  const part1 = join(dir, "72157700000000001_0a1b2c3d4e5f_part1.zip");
  const part2 = join(dir, "72157700000000001_0a1b2c3d4e5f_part2.zip");
  const media1 = join(dir, "data-download-1.zip");
  const media2 = join(dir, "data_72157700000000001_0a1b2c3d4e5f_2.zip");
  const json = (value: unknown) =>
    new TextEncoder().encode(JSON.stringify(value, null, 1));

  const photoJsons = FIXTURE_ITEMS.map((item) =>
    [`photo_${item.id}.json`, json(photoJson(item))] as const
  );
  const half = Math.ceil(photoJsons.length / 2);
  await writeZip(part1, [
    ["account_profile.json", json(accountProfile())],
    ...photoJsons.slice(0, half),
  ], { zip64: true, level: 6, date: options.date });
  await writeZip(part2, [
    ["albums.json", json(albumsJson())],
    ["contacts_part001.json", json({ contacts: {} })],
    ...photoJsons.slice(half),
  ], { level: 6, date: options.date });

  const mediaOf = (zip: 1 | 2) =>
    FIXTURE_ITEMS.filter((item) => item.file && item.zip === zip).map((item) =>
      [item.file!, mediaBytes(item, options)] as const
    );
  await writeZip(media1, mediaOf(1), { level: 0, date: options.date });
  await writeZip(media2, [
    ...mediaOf(2),
    [FIXTURE_ORPHAN.file, encodeJpeg({ width: 2048, height: 1536, seed: 99 })],
  ], { level: 0, date: options.date });
  return {
    zips: [part1, part2, media1, media2],
    metadataZips: [part1, part2],
    mediaZips: [media1, media2],
  };
}

/** Writes one zip from (name, bytes) entries, with a fixed entry date. */
export async function writeZip(
  path: string,
  entries: readonly (readonly [string, Uint8Array])[],
  options: { zip64?: boolean; level: number; date?: Date | undefined },
): Promise<void> {
  await writeZipStream(path, async function* () {
    yield* entries;
  }, options);
}

/** The bytes of one item's media entry. */
export function mediaBytes(
  item: FixtureItem,
  options: ExportFixtureOptions = {},
): Uint8Array {
  if (item.bytes === 0) return new Uint8Array();
  const seed = Number(item.id.slice(-6));
  if (item.media === "video") {
    const payload = new Uint8Array(20_000 + (seed % 1000));
    payload.fill(seed & 255);
    const head = videoHead(item.ext === "mov" ? "mov" : "mp4", payload.length);
    const out = new Uint8Array(head.length + payload.length);
    out.set(head);
    out.set(payload, head.length);
    return out;
  }
  if (item.ext === "png") {
    return encodePng({
      width: item.width ?? 64,
      height: item.height ?? 48,
      seed,
    });
  }
  const jpeg = encodeJpeg({
    width: item.width ?? 2048,
    height: item.height ?? 1536,
    seed,
    exif: {
      make: "Canon",
      model: "Canon EOS 5D Mark IV",
      dateTimeOriginal: "2014:11:19 14:16:47",
      orientation: 6,
    },
  });
  const pad = (options.padJpegTo ?? 0) - jpeg.length;
  if (pad <= 0) return jpeg;
  // As in a camera file, the bulk is scan data before EOI (no markers).
  const out = new Uint8Array(jpeg.length + pad);
  out.set(jpeg.subarray(0, jpeg.length - 2));
  out.set(jpeg.subarray(jpeg.length - 2), jpeg.length - 2 + pad);
  return out;
}

function accountProfile() {
  return {
    ...EXPORT_ACCOUNT,
    join_date: "2008-01-02 10:00:00",
    pro_user: "no",
    stats: { view_counts: { total: "1234" } },
    pintrest: "",
  };
}

function albumsJson() {
  return {
    albums: FIXTURE_ALBUMS.map((album, index) => ({
      photo_count: String(album.photos.length),
      id: album.id,
      url: `https://www.flickr.com/photos/adaexample/albums/${album.id}`,
      title: album.title,
      description: index === 0 ? "Shore &amp; sea" : "",
      view_count: "0",
      created: String(1517485941 + index),
      last_updated: String(1518767690 + index),
      cover_photo: `https://www.flickr.com/photos/adaexample/${
        album.photos[0]
      }`,
      photos: [...album.photos],
    })),
  };
}

/** The `photo_<id>.json` of one item (2018 style for Killarney lake). */
export function photoJson(item: FixtureItem): Record<string, unknown> {
  const albums = FIXTURE_ALBUMS.filter((album) =>
    (album.photos as readonly string[]).includes(item.id)
  )
    .map((album) => ({
      id: album.id,
      title: album.title,
      url: `https://www.flickr.com/photos/adaexample/sets/${album.id}/`,
    }));
  const secret = fixtureSecret(item.id);
  const poster = item.media === "video";
  const original = item.id === "53555555555"
    ? "https://live.staticflickr.com/video_encoding.jpg"
    : `https://live.staticflickr.com/65535/${item.id}_${secret}_o.${
      poster ? "jpg" : item.ext
    }`;
  if (item.id === "2634391576") {
    return {
      id: item.id,
      name: item.title,
      description: "Lake &amp; hills",
      count_views: "12",
      count_faves: "1",
      count_comments: "0",
      date_taken: "2008-06-15 09:12:00",
      count_tags: "1",
      count_notes: "0",
      date_imported: "2008-06-20 18:00:00",
      photopage: `https://www.flickr.com/photos/adaexample/${item.id}/`,
      original:
        `https://farm4.staticflickr.com/3001/${item.id}_${secret}_o.jpg`,
      license: null,
      geo: { latitude: "52008300", longitude: "-9523300", accuracy: "14" },
      groups: [],
      albums,
      tags: [{
        tag: "ireland",
        user: "https://www.flickr.com/photos/adaexample/",
        date_create: "2008-06-20 18:00:00",
      }],
      people: [],
      notes: [],
      privacy: "public",
      comment_permissions: "any flickr member",
      tagging_permissions: "you",
      safety: "safe",
      comments: [],
      exif: {
        "IFD0:Orientation": {
          full: "Rotate 90 CW",
          label: "Orientation",
          value: "Rotate 90 CW",
          raw_value: "6",
        },
      },
    };
  }
  const base: Record<string, unknown> = {
    id: item.id,
    name: item.title,
    description: item.id === "53001234567"
      ? "Gold &amp; red over the <b>bay</b><br />&quot;wow&quot;"
      : "",
    count_views: "53",
    count_faves: "2",
    count_comments: item.id === "53001234567" ? "1" : "0",
    date_taken: item.id === "52759384619"
      ? "2023-07-01 13: 04: 18"
      : "2023-07-01 13:04:18",
    count_tags: "2",
    count_notes: "0",
    rotation: item.media === "photo" ? 90 : 0,
    date_imported: "2023-07-03 09:48:30",
    photopage: `https://www.flickr.com/photos/adaexample/${item.id}/`,
    original,
    license: item.id === "144332211"
      ? "Attribution License"
      : "All Rights Reserved",
    geo: item.id === "53222222222"
      ? [{ latitude: "40689247", longitude: "-74044502", accuracy: "16" }]
      : item.id === "144332211"
      ? [{ latitude: "49696401", longitude: "-123159753", accuracy: "15" }]
      : [],
    groups: item.id === "53001234567"
      ? [{
        id: "34427469792@N01",
        name: "Sunsets",
        url: "https://www.flickr.com/groups/sunsets/",
      }]
      : [],
    albums,
    tags: [
      {
        tag: "sunset",
        user: "https://www.flickr.com/photos/adaexample/",
        date_create: "2023-07-03 09:48:30",
      },
      {
        tag: "geo:lat=49.69",
        user: "https://www.flickr.com/photos/adaexample/",
        date_create: "2023-07-03 09:48:30",
      },
    ],
    people: [],
    notes: [],
    privacy: item.id === "53222222222" ? "friend & family" : "public",
    comment_permissions: "any flickr member",
    tagging_permissions: "people you follow",
    safety: "safe",
    comments: item.id === "53001234567"
      ? [{
        id: "1-2-3",
        date: "2023-07-04 10:00:00",
        user: "87654321@N00",
        comment: "Lovely &amp; warm",
        url: "https://www.flickr.com/photos/adaexample/53001234567/#comment1",
      }]
      : [],
  };
  return base;
}

/** The original secret the fixture's `original` URLs carry for an id. */
export function fixtureSecret(id: string): string {
  return id.slice(-10).padStart(10, "a").replace(
    /[0-9]/g,
    (d) => "abcdef0123"[Number(d)]!,
  );
}

/**
 * The fixture's account as the fake Flickr serves it (photos with media
 * only, same ids, albums and bytes), for API-backup-then-import tests.
 * Photos in `reduced` have no original on Flickr: the API saves them at
 * 1024 px, as it does for free accounts since May 2025.
 */
export function fixtureAccount(
  reduced: readonly string[],
  options: {
    titlePrefix?: string;
    /** Photos whose "Original" the API serves at 1024 px all the same. */
    capped?: readonly string[];
  } = {},
): Account {
  const prefix = options.titlePrefix ?? "";
  const account = createAccount({
    nsid: EXPORT_ACCOUNT.nsid,
    username: EXPORT_ACCOUNT.screen_name,
    realname: EXPORT_ACCOUNT.real_name,
    pathAlias: EXPORT_ACCOUNT.path_alias,
    isPro: false,
  });
  const now = Date.parse("2026-06-01T00:00:00Z") / 1000;
  for (const item of FIXTURE_ITEMS) {
    if (!item.file || item.bytes === 0 || item.media !== "photo") continue;
    const original = !reduced.includes(item.id);
    const capped = options.capped?.includes(item.id) ?? false;
    const [width, height] = [item.width ?? 2048, item.height ?? 1536];
    addPhoto(account, {
      id: item.id,
      title: prefix + item.title,
      originalFormat: item.ext,
      originalSecret: original ? fixtureSecret(item.id) : "",
      width,
      height,
      originalAvailable: original,
      content: capped
        ? {
          kind: "jpeg",
          seed: 7,
          width: 1024,
          height: Math.round(height * 1024 / width),
        }
        : original
        ? { kind: "bytes", bytes: mediaBytes(item) }
        : { kind: "jpeg", seed: 7, width: 1024, height: 768 },
      dateUpload: now,
      lastUpdate: now,
    }, { now });
  }
  for (const album of FIXTURE_ALBUMS) {
    addAlbum(account, {
      id: album.id,
      title: prefix + album.title,
      photoIds: album.photos.filter((id) => account.photos.has(id)),
      dateUpdate: now,
      dateCreate: now,
    }, { now });
  }
  return account;
}

/** Options of {@link writeBulkExport}. */
export interface BulkExportOptions {
  photos: number;
  /** Size of each JPEG (bulk in the scan, as in camera files). */
  bytesPerPhoto: number;
  /** Photos per media zip (Flickr: about 500). */
  perZip: number;
  /** Photos per album (one album per this many photos). */
  perAlbum?: number;
}

/**
 * A bigger export for benchmarks: one account-data zip (photo JSON,
 * albums.json, profile) and media zips of `perZip` JPEGs each, written one
 * entry at a time (memory stays small). Returns the zip paths and their
 * total size.
 */
export async function writeBulkExport(
  dir: string,
  options: BulkExportOptions,
): Promise<{ zips: string[]; bytes: number }> {
  await Deno.mkdir(dir, { recursive: true });
  const ids = Array.from(
    { length: options.photos },
    (_, i) => String(53_000_000_000 + i * 7919),
  );
  const perAlbum = options.perAlbum ?? 50;
  const albums: { id: string; title: string; photos: string[] }[] = [];
  for (let start = 0; start < ids.length; start += perAlbum) {
    albums.push({
      id: String(72157700000100000 + start),
      title: `Album ${start / perAlbum + 1}`,
      photos: ids.slice(start, start + perAlbum),
    });
  }
  const json = (value: unknown) =>
    new TextEncoder().encode(JSON.stringify(value));
  const zips: string[] = [];
  const meta = join(dir, "72157700000000002_0a1b2c3d4e5f_part1.zip");
  await writeZipStream(meta, async function* () {
    yield ["account_profile.json", json(accountProfile())];
    yield [
      "albums.json",
      json({
        albums: albums.map((a) => ({
          id: a.id,
          title: a.title,
          description: "",
          last_updated: "1700000000",
          photos: a.photos,
        })),
      }),
    ];
    for (const [index, id] of ids.entries()) {
      const item: FixtureItem = {
        id,
        title: `Photo ${index}`,
        albums: [],
        media: "photo",
        ext: "jpg",
      };
      const record = photoJson(item);
      record.albums = [{ id: albums[Math.floor(index / perAlbum)]!.id }];
      yield [`photo_${id}.json`, json(record)];
    }
  }, { level: 6 });
  zips.push(meta);
  const jpeg = mediaBytes({
    id: "1",
    title: "",
    albums: [],
    media: "photo",
    ext: "jpg",
    width: 1600,
    height: 1200,
  }, { padJpegTo: options.bytesPerPhoto });
  for (let start = 0, n = 1; start < ids.length; start += options.perZip, n++) {
    const path = join(dir, `data-download-${n}.zip`);
    const slice = ids.slice(start, start + options.perZip);
    await writeZipStream(path, async function* () {
      for (const [offset, id] of slice.entries()) {
        // One encoded JPEG for all (encoding dominates otherwise); the last
        // scan byte differs per photo so that no two files are the same.
        const bytes = jpeg.slice();
        bytes[bytes.length - 3] = (start + offset) & 0x7f;
        yield [`photo-${start + offset}_${id}_o.jpg`, bytes];
      }
    }, { level: 0, zip64: n === 1 });
    zips.push(path);
  }
  let bytes = 0;
  for (const zip of zips) bytes += (await Deno.stat(zip)).size;
  return { zips, bytes };
}

/** Writes one zip from entries made one at a time (memory stays small). */
async function writeZipStream(
  path: string,
  entries: () => AsyncIterable<readonly [string, Uint8Array]>,
  options: { zip64?: boolean; level: number; date?: Date | undefined },
): Promise<void> {
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const writer = new ZipWriter(file.writable, {
    zip64: options.zip64 ?? false,
    level: options.level,
    useWebWorkers: false,
    lastModDate: options.date ?? new Date("2026-05-20T10:00:00Z"),
  });
  for await (const [name, bytes] of entries()) {
    await writer.add(name, new Uint8ArrayReader(bytes));
  }
  await writer.close();
}
