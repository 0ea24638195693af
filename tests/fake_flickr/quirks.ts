/**
 * Quirks of the real Flickr that the fake reproduces on request
 * (FLICKR_API.md §9): short pages, items shifting between pages, list
 * fields as strings, missing visibility flags, play URLs answering unsigned
 * GETs, and more. Each quirk is a switch; {@link DEFAULT_QUIRKS} holds the
 * ones on by default.
 *
 * @module
 */

/** How pages that are not the last come back short. */
export type ShortPages =
  /** Never. */
  | "off"
  /**
   * Every other answer of a page is short: the first ask of a page is
   * short, asking again gives it whole (and a later run sees the same).
   */
  | "once"
  /** Every answer of the page is short: the items are really missing. */
  | "always";

/** Which requests of a video's play URL the fake honours. */
export type PlayMode =
  /** Play URLs answer unsigned GETs (as recorded), `orig` included. */
  | "unsigned"
  /** Only OAuth-signed GETs by the owner are honoured. */
  | "signed"
  /** `play/orig` answers 404 to scripts, signed or not; streams work. */
  | "origNotFound";

/** The switches. */
export interface Quirks {
  /** Short pages on every paged list (people, sets, not-in-set, recent). */
  shortPages: ShortPages;
  /** Items dropped from a short page. Default 1. */
  shortBy: number;
  /**
   * Before answering page 2 or later of `people.getPhotos` or
   * `photos.getNotInSet`, the list moves by this many items (as if photos
   * before the page were deleted): items slide onto pages already read.
   * Default 0.
   */
  shiftBy: number;
  /** `page`, `pages`, `perpage` sent as strings too (not only `total`). */
  pagingAsStrings: boolean;
  /** `views` and `license` sent as numbers instead of strings. */
  numericViewsAndLicense: boolean;
  /** `photosets.getPhotos` leaves out `ispublic`/`isfriend`/`isfamily`. */
  omitVisibility: boolean;
  /** `photosets.getList` sends `photos` counting videos too. */
  photosCountsVideos: boolean;
  /** What play URLs honour. Default "signed" (as the fake always did). */
  play: PlayMode;
  /** getSizes for videos uses 2024 stream labels instead of 2016 ones. */
  videoLabels2024: boolean;
  /**
   * Largest page served (Flickr: 500). Tests lower it to get many pages
   * out of a small account.
   */
  perPageCap: number;
  /**
   * `photosets.getPhotos` of these albums leaves out this many of their
   * photos while still declaring the full `total` ("says 5, gives 3").
   */
  dropFromAlbums: Record<string, number>;
  /**
   * `photosets.getPhotos` of these albums answers as if they were empty
   * (`total` 0) while `photosets.getList` still counts their photos.
   */
  emptyAlbums: string[];
}

/**
 * Quirks on by default: album `photos` counting the videos (a correct
 * client never notices). Paging fields stay ints and views/licence strings,
 * as in every recorded answer; the demo account also carries an automatic
 * `vision:*` tag, a raw tag spelling and a CC 4.0 licence.
 */
export const DEFAULT_QUIRKS: Quirks = {
  shortPages: "off",
  shortBy: 1,
  shiftBy: 0,
  pagingAsStrings: false,
  numericViewsAndLicense: false,
  omitVisibility: false,
  photosCountsVideos: true,
  play: "signed",
  videoLabels2024: false,
  perPageCap: 500,
  dropFromAlbums: {},
  emptyAlbums: [],
};

/** Every quirk that makes listings hard, at once (for listing tests). */
export const LISTING_QUIRKS: Partial<Quirks> = {
  shortPages: "once",
  pagingAsStrings: false,
  numericViewsAndLicense: false,
  photosCountsVideos: true,
};

/** Counts the answers of each page ("once" mode). */
export class ShortPageMemory {
  #asked = new Map<string, number>();

  /**
   * Whether this answer of a page must be short: never for the last page;
   * in "once" mode every odd-numbered ask of a given list page.
   */
  shouldShorten(
    quirks: Quirks,
    key: string,
    page: number,
    pages: number,
  ): boolean {
    if (quirks.shortPages === "off" || page >= pages) return false;
    if (quirks.shortPages === "always") return true;
    const asked = (this.#asked.get(key) ?? 0) + 1;
    this.#asked.set(key, asked);
    return asked % 2 === 1;
  }
}
