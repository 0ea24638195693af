/**
 * Walks Flickr's paged lists. Stops at `page >= pages` and never on an
 * empty page: Flickr answers a page past the end with photos again
 * (FLICKR_API.md §2.5), and `pages` is 0 for an empty list. Items seen on an
 * earlier page (the list shifted while paging) are yielded once.
 *
 * @module
 */

import type { RawPage } from "./api_types.ts";
import { member, toInt, toList } from "./_parse.ts";

/** One page as {@link paginate} needs it. */
export interface Page<T> {
  /** The entries of this page, in Flickr's order. */
  items: T[];
  /** Total pages as Flickr reported them on this page (0 for none). */
  pages: number;
}

/** Options of {@link paginate}. */
export interface PaginateOptions<T> {
  /** Identity for de-duplication across pages. Default: `item.id`. */
  key?: (item: T) => string;
  /** Hard stop, whatever `pages` says. Default 10,000 (Flickr's own clamp). */
  maxPages?: number;
}

/** Flickr clamps `page` to 10,000 (python-flickr-api #54). */
const MAX_PAGES = 10_000;

/**
 * Yields every item of a paged list, fetching page 1, 2, … until the page
 * number reaches the `pages` reported by the latest page.
 *
 * @param fetchPage Fetches one page (1-based).
 */
export async function* paginate<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
  options: PaginateOptions<T> = {},
): AsyncGenerator<T, void, undefined> {
  const key = options.key ??
    ((item: T) => String((item as { id?: unknown }).id ?? ""));
  const maxPages = options.maxPages ?? MAX_PAGES;
  const seen = new Set<string>();
  for (let page = 1; page <= maxPages; page++) {
    const { items, pages } = await fetchPage(page);
    for (const item of items) {
      const id = key(item);
      if (id !== "") {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      yield item;
    }
    if (page >= pages) return;
  }
}

/**
 * Reads a page out of a list answer: `container` is the object holding
 * `page`/`pages` (`photos`, `photoset`, `photosets`) and `listKey` the array
 * inside it (`photo`, `photoset`). A missing list is an empty page; missing
 * or garbled `pages` counts as 1 so paging stops.
 */
export function readPage<Raw>(
  container: unknown,
  listKey: string,
): Page<Raw> {
  const raw = (container ?? {}) as RawPage;
  // A null or non-object entry (seen in the wild) is no photo: dropped.
  const items = toList<Raw>(member(raw, listKey)).filter((item) =>
    typeof item === "object" && item !== null
  );
  const pages = toInt(raw.pages);
  return { items, pages: pages === undefined || pages < 0 ? 1 : pages };
}
