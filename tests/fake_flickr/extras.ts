/**
 * How photos look in list replies: the `extras` fields (FLICKR_API.md §3),
 * url_X with the real suffix mapping, and the numbers that are strings in
 * one reply and ints in the next.
 *
 * @module
 */

import { fnv1a } from "./content.ts";
import type { Authentication, RequestParams } from "./oauth.ts";
import type { Account, FakePhoto } from "./scenario.ts";
import type { Quirks, ShortPageMemory } from "./quirks.ts";
import { photoSizes } from "./sizes.ts";

/**
 * How numeric fields that vary on real Flickr are emitted: "mixed" (a
 * deterministic mix of strings and ints, even within one photo), "strings"
 * or "ints". Fields that are always strings (dateupload, lastupdate, views,
 * license) or always ints (ispublic, farm, page, pages, perpage) do not
 * change.
 */
export type NumberMode = "mixed" | "strings" | "ints";

/** Everything a method needs. */
export interface RestContext {
  account: Account;
  /** Origin of the fake, for file and page URLs. */
  origin: string;
  params: RequestParams;
  /** Signed with a valid token of the account owner. */
  owner: boolean;
  auth?: Authentication;
  numbers: NumberMode;
  /** Real-Flickr quirks switched on (quirks.ts). */
  quirks?: Quirks;
  /** Which pages were answered short ("once" mode). */
  shortPages?: ShortPageMemory;
  /** What `flickr.photos.licenses.getInfo` answers (default: Flickr's). */
  licenses?: readonly { id: string; name: string; url: string }[];
}

/** A varying number, as int or string depending on the mode. */
export function vary(
  ctx: RestContext,
  value: number,
  key: string,
): number | string {
  if (ctx.numbers === "ints") return value;
  if (ctx.numbers === "strings") return String(value);
  return fnv1a(key) & 1 ? String(value) : value;
}

/** 1 for true, 0 for false (Flickr's flag ints). */
export function int(flag: boolean): number {
  return flag ? 1 : 0;
}

/** The requested extras, lower-cased. */
export function parseExtras(value: string | undefined): Set<string> {
  return new Set(
    (value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) =>
      s
    ),
  );
}

/** Flickr's "clean" tag: lower case, no spaces or ASCII punctuation. */
export function normalizeTag(raw: string): string {
  return raw.toLowerCase().replace(/[\s!-/:-@[-`{-~]/g, "");
}

/**
 * The `tags` extra: clean tags, then machine tags, then Flickr's automatic
 * tags (`vision:*`), space-separated. Real answers carry `vision:*` here but
 * not in `machine_tags` (JANKO 2013: `"tags":"foo vision:night=077",
 * "machine_tags":""`).
 */
export function tagsString(photo: FakePhoto): string {
  return [
    ...photo.tags.map(normalizeTag).filter((t) => t),
    ...photo.machineTags.map((t) => t.toLowerCase()),
    ...(photo.autoTags ?? []).map((t) => t.toLowerCase()),
  ].join(" ");
}

/** Order in which url_X extras are emitted (as JANKO recorded them). */
const URL_ORDER = [
  "sq",
  "q",
  "t",
  "s",
  "n",
  "w",
  "m",
  "z",
  "c",
  "l",
  "h",
  "k",
  "3k",
  "4k",
  "5k",
  "6k",
  "o",
];

/** One photo of a list, with the requested extras. */
export function photoEntry(
  ctx: RestContext,
  photo: FakePhoto,
  extras: Set<string>,
  options: {
    withOwner?: boolean;
    isPrimary?: boolean;
    lastUpdate?: boolean;
    /** Leave out ispublic/isfriend/isfamily (old getPhotos answers). */
    omitVisibility?: boolean;
  },
): Record<string, unknown> {
  const { account } = ctx;
  const e: Record<string, unknown> = { id: photo.id };
  if (options.withOwner) e.owner = account.nsid;
  Object.assign(e, {
    secret: photo.secret,
    server: photo.server,
    farm: photo.farm,
    title: photo.title,
  });
  if (options.isPrimary !== undefined) {
    e.isprimary = options.isPrimary ? "1" : "0";
  }
  if (!options.omitVisibility) {
    Object.assign(e, {
      ispublic: int(photo.isPublic),
      isfriend: int(photo.isFriend),
      isfamily: int(photo.isFamily),
    });
  }
  const numeric = ctx.quirks?.numericViewsAndLicense ?? false;
  const key = (name: string) => `${name}:${photo.id}`;
  if (extras.has("description")) {
    e.description = { _content: photo.description };
  }
  if (extras.has("license")) {
    e.license = numeric ? Number(photo.license) : photo.license;
  }
  if (extras.has("date_upload")) e.dateupload = String(photo.dateUpload);
  if (extras.has("date_taken")) {
    e.datetaken = photo.dateTaken;
    e.datetakengranularity = vary(
      ctx,
      photo.dateTakenGranularity,
      key("granularity"),
    );
    e.datetakenunknown = photo.dateTakenUnknown ? "1" : "0";
  }
  if (extras.has("owner_name")) e.ownername = account.username;
  if (extras.has("icon_server")) {
    e.iconserver = "65535";
    e.iconfarm = 66;
  }
  if (extras.has("original_format") && photo.originalAvailable) {
    e.originalsecret = photo.originalSecret;
    e.originalformat = photo.media === "video" ? "jpg" : photo.originalFormat;
  }
  if (extras.has("last_update") || options.lastUpdate) {
    e.lastupdate = String(photo.lastUpdate);
  }
  if (extras.has("geo")) Object.assign(e, geoExtras(ctx, photo));
  if (extras.has("tags")) e.tags = tagsString(photo);
  if (extras.has("machine_tags")) {
    e.machine_tags = photo.machineTags.map((t) => t.toLowerCase()).join(" ");
  }
  if (extras.has("o_dims") && photo.originalAvailable) {
    e.o_width = String(photo.width);
    e.o_height = String(photo.height);
  }
  if (extras.has("views")) {
    e.views = numeric ? photo.views : String(photo.views);
  }
  if (extras.has("media")) {
    e.media = photo.media;
    e.media_status = "ready";
  }
  if (extras.has("path_alias")) e.pathalias = account.pathAlias;
  if (extras.has("count_faves")) e.count_faves = "0";
  if (extras.has("count_comments")) e.count_comments = "0";
  const sizes = photoSizes(photo);
  for (const k of URL_ORDER) {
    if (!extras.has(`url_${k}`)) continue;
    const size = sizes.find((s) => s.spec.key === k);
    if (!size) continue;
    e[`url_${k}`] = ctx.origin + size.path;
    e[`height_${k}`] = vary(ctx, size.height, key(`height_${k}`));
    e[`width_${k}`] = vary(ctx, size.width, key(`width_${k}`));
  }
  return e;
}

function geoExtras(
  ctx: RestContext,
  photo: FakePhoto,
): Record<string, unknown> {
  const g = photo.geo;
  if (!g) return { latitude: 0, longitude: 0, accuracy: 0, context: 0 };
  const coord = (v: number) => ctx.numbers === "strings" ? String(v) : v;
  return {
    latitude: coord(g.latitude),
    longitude: coord(g.longitude),
    accuracy: String(g.accuracy),
    context: 0,
    place_id: "",
    woeid: "",
    geo_is_family: 0,
    geo_is_friend: 0,
    geo_is_contact: 0,
    geo_is_public: 1,
  };
}
