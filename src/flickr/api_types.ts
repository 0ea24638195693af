/**
 * Shapes of Flickr's JSON: the raw wire types, typed loosely because numbers
 * arrive as strings or ints and optional keys come and go (FLICKR_API.md
 * §2.3), and the normalised types the rest of the tool uses.
 *
 * @module
 */

// ---------------------------------------------------------------------------
// Wire types (format=json&nojsoncallback=1). Every field is optional and
// `unknown`-ish on purpose: parse them with the helpers in `_parse.ts`.

/** A number as Flickr sends it: `1`, `"1"`, sometimes `""` or null. */
export type WireNumber = number | string | null | undefined;

/** Text as Flickr sends it: `"x"` or `{ "_content": "x" }`. */
export type WireText = string | { _content?: unknown } | null | undefined;

/** Any answer: `stat` plus method-specific members. */
export interface RawResponse {
  stat?: unknown;
  code?: WireNumber;
  message?: unknown;
  [member: string]: unknown;
}

/** One entry of a photo list (`photos.photo[]`, `photoset.photo[]`). */
export interface RawPhoto {
  id?: WireNumber;
  owner?: unknown;
  secret?: unknown;
  server?: WireNumber;
  farm?: WireNumber;
  title?: WireText;
  ispublic?: WireNumber | boolean;
  isfriend?: WireNumber | boolean;
  isfamily?: WireNumber | boolean;
  isprimary?: WireNumber | boolean;
  description?: WireText;
  license?: WireNumber;
  dateupload?: WireNumber;
  datetaken?: unknown;
  datetakengranularity?: WireNumber;
  datetakenunknown?: WireNumber | boolean;
  ownername?: unknown;
  originalsecret?: unknown;
  originalformat?: unknown;
  lastupdate?: WireNumber;
  latitude?: WireNumber;
  longitude?: WireNumber;
  accuracy?: WireNumber;
  tags?: unknown;
  machine_tags?: unknown;
  o_width?: WireNumber;
  o_height?: WireNumber;
  views?: WireNumber;
  media?: unknown;
  pathalias?: unknown;
  [extra: string]: unknown;
}

/** A page of a list (`photos`, `photoset`, `photosets`). */
export interface RawPage {
  page?: WireNumber;
  pages?: WireNumber;
  perpage?: WireNumber;
  per_page?: WireNumber;
  total?: WireNumber;
  [list: string]: unknown;
}

/** One entry of `photosets.getList`. */
export interface RawPhotoset {
  id?: WireNumber;
  primary?: WireNumber;
  title?: WireText;
  description?: WireText;
  count_photos?: WireNumber;
  count_videos?: WireNumber;
  photos?: WireNumber;
  videos?: WireNumber;
  date_create?: WireNumber;
  date_update?: WireNumber;
  [extra: string]: unknown;
}

/** One entry of `photos.getSizes`. */
export interface RawSize {
  label?: unknown;
  width?: WireNumber;
  height?: WireNumber;
  source?: unknown;
  url?: unknown;
  media?: unknown;
}

// ---------------------------------------------------------------------------
// Normalised types.

/** A `url_*` size code, largest first in {@link SIZE_LABELS}. */
export type SizeLabel = "o" | "6k" | "5k" | "4k" | "3k" | "k" | "h" | "l";

/** The `url_*` sizes read from listings, largest first. */
export const SIZE_LABELS: readonly SizeLabel[] = [
  "o",
  "6k",
  "5k",
  "4k",
  "3k",
  "k",
  "h",
  "l",
];

/** Extras asked for on every listing call (FLICKR_API.md §3). */
export const LISTING_EXTRAS =
  "description,license,date_upload,date_taken,owner_name,original_format,last_update,geo,tags,machine_tags,o_dims,views,media,path_alias,url_o,url_6k,url_5k,url_4k,url_3k,url_k,url_h,url_l";

/** A file size offered in a listing's `url_*` extras. */
export interface ListingSize {
  label: SizeLabel;
  url: string;
  width?: number;
  height?: number;
}

/** Where a photo was taken. Absent for photos that are not geotagged. */
export interface GeoLocation {
  latitude: number;
  longitude: number;
  /** Flickr's zoom-level accuracy, 1 (world) to 16 (street). */
  accuracy?: number;
}

/**
 * Who may see a photo. A flag is undefined when Flickr's answer left it out
 * (some old `photosets.getPhotos` answers): unknown, not private.
 */
export interface Visibility {
  isPublic?: boolean;
  isFriend?: boolean;
  isFamily?: boolean;
}

/** A photo or video from a listing, normalised. */
export interface FlickrPhoto {
  id: string;
  secret: string;
  server: string;
  /** Owner NSID; absent in photoset listings (the set carries it). */
  owner?: string;
  originalSecret?: string;
  /** `jpg`, `png`, `gif`, …; for a video, the poster frame's format. */
  originalFormat?: string;
  title: string;
  description: string;
  tags: string[];
  machineTags: string[];
  /** License id, "0" (all rights reserved) to "16". */
  license?: string;
  /** Unix seconds. */
  dateUpload?: number;
  /** "YYYY-MM-DD HH:MM:SS" in the camera's local time, no zone. */
  dateTaken?: string;
  /** 0 exact, 4 month, 6 year, 8 circa. */
  dateTakenGranularity: number;
  dateTakenUnknown: boolean;
  /** Unix seconds. */
  lastUpdate?: number;
  geo?: GeoLocation;
  media: "photo" | "video";
  ownerName?: string;
  pathAlias?: string;
  views?: number;
  visibility: Visibility;
  originalWidth?: number;
  originalHeight?: number;
  /** `url_*` sizes present in the listing, largest first. */
  sizes: ListingSize[];
}

/** An album. */
export interface Photoset {
  id: string;
  title: string;
  description: string;
  /** Id of the cover photo. */
  primary: string;
  countPhotos: number;
  countVideos: number;
  /** Unix seconds. */
  dateCreate: number;
  /** Unix seconds; 0 when never updated. */
  dateUpdate: number;
}

/** One entry of `flickr.photos.getSizes`, ascending as Flickr sends them. */
export interface PhotoSize {
  /** `"Original"`, `"Large 2048"`, `"Video Original"`, `"360p"`, … */
  label: string;
  /** Undefined when Flickr sends an empty string (video streams). */
  width?: number;
  height?: number;
  source: string;
  media: "photo" | "video";
}

/** One stream of `flickr.video.getStreamInfo`. */
export interface VideoStream {
  /** `orig`, `1080p`, `720p`, `360p`, … */
  type: string;
  url: string;
}

/** The signed-in user (`flickr.test.login`). */
export interface LoginUser {
  nsid: string;
  username: string;
}

/** A Flickr member (`flickr.people.getInfo`). */
export interface PersonInfo {
  nsid: string;
  username: string;
  realname?: string;
  pathAlias?: string;
  isPro?: boolean;
  photosCount?: number;
}
