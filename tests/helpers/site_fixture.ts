/**
 * A backup folder made directly on disk, fast, for the site's tests and
 * benchmark: real sidecars (built by the backup's own `buildSidecar`), tiny
 * JPEGs (half with an EXIF thumbnail, 1 in 100 large enough to need a
 * decoded one), a few album folders
 * with hard links, Unsorted, and no state file (the site then reads the
 * albums from the sidecars).
 *
 * @module
 */

import { join } from "node:path";
import { buildSidecar } from "../../src/app/sidecar.ts";
import type { FlickrPhoto } from "../../src/flickr/api_types.ts";
import { encodeJpeg } from "./jpeg.ts";

/** The title that must stay text on every page. */
export const HOSTILE_TITLE =
  `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">`;

/** Options of {@link makeSiteAccount}. */
export interface SiteAccountOptions {
  photos: number;
  albums: number;
}

/** What was made, for the tests to look for. */
export interface SiteAccount {
  dir: string;
  /** A photo whose description holds the word {@link SiteAccount.word}. */
  searchable: { id: string; word: string };
  /**
   * The same for the last photo in no album: the site lists the Unsorted
   * folder last, so this photo is in the last search index file.
   */
  lastSearchable: { id: string; word: string };
  hostileId: string;
}

/** A TIFF (EXIF) block whose IFD1 holds `thumbnail`, little-endian. */
export function exifWithThumbnail(
  thumbnail: Uint8Array,
  orientation = 1,
): Uint8Array {
  // header (8) | IFD0: 1 entry (2 + 12 + 4) | IFD1: 2 entries (2 + 24 + 4) | thumbnail
  const ifd0 = 8;
  const ifd1 = ifd0 + 2 + 12 + 4;
  const data = ifd1 + 2 + 24 + 4;
  const tiff = new Uint8Array(data + thumbnail.length);
  const view = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 0x2a, 0x00]);
  view.setUint32(4, ifd0, true);
  view.setUint16(ifd0, 1, true);
  view.setUint16(ifd0 + 2, 0x0112, true); // Orientation, SHORT, 1
  view.setUint16(ifd0 + 4, 3, true);
  view.setUint32(ifd0 + 6, 1, true);
  view.setUint16(ifd0 + 10, orientation, true);
  view.setUint32(ifd0 + 14, ifd1, true);
  view.setUint16(ifd1, 2, true);
  view.setUint16(ifd1 + 2, 0x0201, true); // JPEGInterchangeFormat, LONG
  view.setUint16(ifd1 + 4, 4, true);
  view.setUint32(ifd1 + 6, 1, true);
  view.setUint32(ifd1 + 10, data, true);
  view.setUint16(ifd1 + 14, 0x0202, true); // JPEGInterchangeFormatLength
  view.setUint16(ifd1 + 16, 4, true);
  view.setUint32(ifd1 + 18, 1, true);
  view.setUint32(ifd1 + 22, thumbnail.length, true);
  view.setUint32(ifd1 + 26, 0, true);
  tiff.set(thumbnail, data);
  return tiff;
}

/** `jpeg` with an APP1 EXIF block (holding `tiff`) right after SOI. */
export function withExif(jpeg: Uint8Array, tiff: Uint8Array): Uint8Array {
  const payload = new Uint8Array(6 + tiff.length);
  payload.set(new TextEncoder().encode("Exif\0\0"));
  payload.set(tiff, 6);
  const segment = new Uint8Array(4 + payload.length);
  segment.set([
    0xff,
    0xe1,
    (payload.length + 2) >> 8,
    (payload.length + 2) & 0xff,
  ]);
  segment.set(payload, 4);
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2));
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}

const WORDS = [
  "harbour",
  "meadow",
  "bridge",
  "market",
  "glacier",
  "lantern",
  "orchard",
  "canyon",
];

/**
 * Writes an account of `photos` photos spread over `albums` albums (a fifth
 * of the photos in no album, some in two albums) into a new temp folder.
 */
export function makeSiteAccount(options: SiteAccountOptions): SiteAccount {
  const dir = Deno.makeTempDirSync({ prefix: "fb-site-" });
  const thumbnail = encodeJpeg({ width: 160, height: 120, seed: 7 });
  const bodies = Array.from(
    { length: 8 },
    (_, i) => encodeJpeg({ width: 320, height: 240, seed: i + 1 }),
  );
  // Every 100th photo is too large to be its own thumbnail and has no EXIF
  // one: its thumbnail is decoded.
  const large = encodeJpeg({ width: 800, height: 600, seed: 99 });
  const albums = Array.from({ length: options.albums }, (_, i) => ({
    id: String(72157000000000000 + i * 1000),
    title: `Album ${i + 1}: ${WORDS[i % WORDS.length]}`,
  }));
  const folders = new Set<string>();
  let searchable = { id: "", word: "" };
  let lastSearchable = { id: "", word: "" };
  let hostileId = "";
  for (let i = 0; i < options.photos; i++) {
    const id = `5300000${String(i * 7).padStart(10, "0")}`;
    const inAlbums = i % 5 === 4 ? [] : [albums[i % albums.length]!];
    if (i % 11 === 0 && albums.length > 1) {
      inAlbums.push(albums[(i + 1) % albums.length]!);
    }
    const day = new Date(Date.UTC(2010 + (i % 12), i % 12, 1 + (i % 27)));
    const taken = day.toISOString().slice(0, 10) + " 12:00:00";
    const hostile = i === 3;
    const word = `${WORDS[i % WORDS.length]}${i}`;
    if (i === Math.floor(options.photos / 2)) searchable = { id, word };
    if (!inAlbums.length) lastSearchable = { id, word };
    if (hostile) hostileId = id;
    const photo: FlickrPhoto = {
      id,
      secret: "abc",
      server: "65535",
      title: hostile ? HOSTILE_TITLE : `Photo ${i} ${WORDS[(i + 3) % 8]}`,
      description: hostile
        ? `<script>window.__pwned = 3</script>Look <a href="javascript:alert(1)">here</a>\nand <b>bold</b> https://example.org/x`
        : `A day at the ${word}.\nSecond line.`,
      tags: [WORDS[i % 8]!, `year${2010 + (i % 12)}`],
      machineTags: [],
      license: String(i % 11),
      dateTaken: taken,
      dateTakenGranularity: i % 50 === 0 ? 4 : 0,
      dateTakenUnknown: false,
      media: "photo",
      pathAlias: "someone",
      views: i * 3,
      visibility: { isPublic: true, isFriend: false, isFamily: false },
      sizes: [],
      originalFormat: "jpg",
      originalWidth: 320,
      originalHeight: 240,
      ...(i % 9 === 0
        ? { geo: { latitude: 45 + (i % 10) / 10, longitude: 7.5 } }
        : {}),
    };
    const base = i % 100 === 1 ? large : bodies[i % bodies.length]!;
    const bytes = i % 2 === 0
      ? withExif(base, exifWithThumbnail(thumbnail, i % 4 === 0 ? 6 : 1))
      : base;
    const sidecar = buildSidecar({
      photo,
      owner: { nsid: "1@N01", username: "someone", realname: "Some One" },
      albums: inAlbums,
      saved: {
        kind: "original",
        label: "o",
        width: 320,
        height: 240,
        bytes: bytes.length,
        sha256Downloaded: `sha-${id}`,
      },
      dateInFile: { source: "flickr", value: taken },
      embedded: { status: "written", warnings: [] },
      backedUpAt: new Date(0),
    });
    const places = inAlbums.length
      ? inAlbums.map((album) => album.title.replace(/[:/\\]/g, "_"))
      : ["Unsorted"];
    const json = JSON.stringify(sidecar, null, 2);
    for (const [n, folder] of places.entries()) {
      if (!folders.has(folder)) {
        Deno.mkdirSync(join(dir, folder), { recursive: true });
        folders.add(folder);
      }
      const file = join(dir, folder, `${id}.jpg`);
      if (n === 0) Deno.writeFileSync(file, bytes);
      else Deno.linkSync(join(dir, places[0]!, `${id}.jpg`), file);
      Deno.writeTextFileSync(`${file}.json`, json);
    }
  }
  return { dir, searchable, lastSearchable, hostileId };
}
