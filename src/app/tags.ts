/**
 * Tags as the owner wrote them (FLICKR_API.md §9): a listing's `tags` extra
 * holds Flickr's *cleaned* tags ("hasselblad500cm") with machine tags and
 * Flickr's automatic tags (`vision:outdoor=064`) mixed in. The raw
 * spellings come from one `flickr.tags.getListUserRaw` call for the whole
 * account. Keywords are the raw spellings of the person's own tags; machine
 * tags (automatic ones included) are kept apart and never become keywords.
 *
 * @module
 */

/** `namespace:predicate=value` (Flickr's machine tag syntax). */
const MACHINE_TAG = /^[a-z_][a-z0-9_]*:[^\s=:]+=\S+$/i;

/** Whether a tag is a machine tag (Flickr's automatic `vision:*` included). */
export function isMachineTag(tag: string): boolean {
  return MACHINE_TAG.test(tag);
}

/** A photo's tags, split and spelled for people. */
export interface PresentedTags {
  /** The owner's own tags, raw spellings, in Flickr's order. */
  keywords: string[];
  /** Machine tags and Flickr's automatic tags, raw where known. */
  machineTags: string[];
}

/** Clean tag → raw spellings, as `flickr.tags.getListUserRaw` gives them. */
export type RawTagMap = ReadonlyMap<string, readonly string[]>;

/**
 * Splits a listed photo's tags into keywords and machine tags, using the
 * raw spelling of each cleaned tag when `raw` knows it.
 */
export function presentTags(
  photo: { tags: readonly string[]; machineTags: readonly string[] },
  raw?: RawTagMap,
): PresentedTags {
  const spell = (tag: string) => raw?.get(tag)?.[0] ?? tag;
  const keywords: string[] = [];
  const machine: string[] = [];
  const add = (list: string[], tag: string) => {
    if (!list.includes(tag)) list.push(tag);
  };
  for (const tag of photo.tags) {
    if (isMachineTag(tag)) add(machine, spell(tag));
    else add(keywords, spell(tag));
  }
  for (const tag of photo.machineTags) {
    if (isMachineTag(tag)) add(machine, spell(tag));
  }
  return { keywords, machineTags: machine };
}

/** Whether a photo has any tag of its owner (so raw spellings matter). */
export function hasOwnTags(photo: { tags: readonly string[] }): boolean {
  return photo.tags.some((tag) => !isMachineTag(tag));
}
