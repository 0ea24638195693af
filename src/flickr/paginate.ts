/**
 * Walks Flickr's paged lists and says whether the walk can be trusted.
 *
 * Stops at `page >= pages` (`pages` is 0 for an empty list) and on a page
 * that adds nothing new: Flickr answers a page past the end with the last
 * page again (FLICKR_API.md §2.5), so a repeat means the end, whatever
 * `pages` claims. Items seen on an earlier page (the list shifted while
 * paging) are yielded once.
 *
 * Real Flickr sometimes answers a page that is not the last with fewer items
 * than `per_page`, and items shift between pages (FLICKR_API.md §9). Such a
 * short page is asked again (bounded); when the union of all pages is still
 * smaller than the `total` Flickr declared, the whole list is walked once
 * more. The {@link ListingVerdict} handed to `onVerdict` at the end says
 * whether the listing is complete: only a complete listing may be used to
 * conclude that something is gone from Flickr.
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
  /** Items in the whole list, as Flickr declared it on this page. */
  total?: number;
  /** Page size Flickr used (`perpage` / `per_page`). */
  perPage?: number;
}

/** Whether a listing can be trusted, and why not. */
export interface ListingVerdict {
  /** True when nothing suggests that an item was missed. */
  complete: boolean;
  /** Distinct items yielded. */
  seen: number;
  /** What Flickr declared (`total` of the last page), if it did. */
  declared?: number;
  /** Pages requested, re-asks and the second pass included. */
  requests: number;
  /** Why the listing is not complete (empty when it is). */
  reason: string;
}

/** Options of {@link paginate}. */
export interface PaginateOptions<T> {
  /** Identity for de-duplication across pages. Default: `item.id`. */
  key?: (item: T) => string;
  /** Hard stop, whatever `pages` says. Default 10,000 (Flickr's own clamp). */
  maxPages?: number;
  /** The page size asked for; a page with fewer items may be short. */
  perPage?: number;
  /** Times a short page is asked again. Default 2. */
  shortRetries?: number;
  /** Checked before every page: paging stops with the signal's reason. */
  signal?: AbortSignal;
  /** Told once, when the walk ended normally. */
  onVerdict?: (verdict: ListingVerdict) => void;
}

/** Flickr clamps `page` to 10,000 (python-flickr-api #54). */
const MAX_PAGES = 10_000;
/** A second walk is only worth it for lists of at most this many pages. */
const SECOND_PASS_MAX_PAGES = 50;

/**
 * Yields every item of a paged list, fetching page 1, 2, … until the page
 * number reaches the `pages` reported by the latest page, or a page adds
 * nothing new.
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
  const shortRetries = options.shortRetries ?? 2;
  const seen = new Set<string>();
  let requests = 0;
  let declared: number | undefined;
  let lastPages = 0;

  const ask = async (page: number): Promise<Page<T>> => {
    if (options.signal?.aborted) throw options.signal.reason;
    requests++;
    const answer = await fetchPage(page);
    if (answer.total !== undefined) declared = answer.total;
    lastPages = answer.pages;
    return answer;
  };
  /** The items not seen before (remembering them). */
  const fresh = (items: T[]): T[] =>
    items.filter((item) => {
      const id = key(item);
      if (id === "") return true;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });

  let shortLeft = 0;
  // The second walk (`again`) reads every page: repeats are expected there.
  /** Page at which a walk stopped before `pages`, or 0. */
  let stoppedAt = 0;
  const walk = async function* (
    again: boolean,
  ): AsyncGenerator<T, void, undefined> {
    shortLeft = 0;
    stoppedAt = 0;
    let emptyInARow = 0;
    for (let page = 1; page <= maxPages; page++) {
      let answer = await ask(page);
      let added = fresh(answer.items);
      yield* added;
      const perPage = answer.perPage ?? options.perPage;
      const isShort = () =>
        page < answer.pages && perPage !== undefined &&
        answer.items.length < perPage;
      for (let retry = 0; retry < shortRetries && isShort(); retry++) {
        answer = await ask(page);
        const more = fresh(answer.items);
        added = [...added, ...more];
        yield* more;
      }
      if (isShort()) shortLeft++;
      if (page >= answer.pages) return;
      if (added.length === 0 && !again) {
        // A page of repeats: Flickr's answer past the end.
        if (answer.items.length > 0 || ++emptyInARow >= 2) {
          stoppedAt = page;
          return;
        }
      } else {
        emptyInARow = 0;
      }
    }
    stoppedAt = maxPages;
  };

  yield* walk(false);
  const short = () => declared !== undefined && seen.size < declared;
  if (short() && lastPages <= SECOND_PASS_MAX_PAGES) yield* walk(true);

  const reasons: string[] = [];
  if (declared !== undefined && seen.size < declared) {
    reasons.push(`Flickr declared ${declared} but listed ${seen.size}`);
  } else if (declared === undefined && shortLeft > 0) {
    reasons.push(`${shortLeft} page(s) stayed short`);
  }
  if (stoppedAt > 0 && declared === undefined) {
    reasons.push(
      `paging stopped at page ${stoppedAt} of ${lastPages} (pages repeat)`,
    );
  }
  options.onVerdict?.({
    complete: reasons.length === 0,
    seen: seen.size,
    ...(declared !== undefined ? { declared } : {}),
    requests,
    reason: reasons.join("; "),
  });
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
  const total = toInt(raw.total);
  const perPage = toInt(raw.perpage) ?? toInt(raw.per_page);
  return {
    items,
    pages: pages === undefined || pages < 0 ? 1 : pages,
    ...(total !== undefined && total >= 0 ? { total } : {}),
    ...(perPage !== undefined && perPage > 0 ? { perPage } : {}),
  };
}
