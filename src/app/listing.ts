/**
 * Trust in a listing before acting on it (FLICKR_API.md §9): Flickr's
 * paged lists can come back short and shift while paging, so a photo or an
 * album missing from a listing is only a suspect. It counts as deleted on
 * Flickr only when the whole listing was complete **and** Flickr answers
 * "not found" (code 1) when asked for it by id. Above
 * {@link MAX_CONFIRMATIONS} suspects in one run, a sample is asked and no
 * deletion is declared for the run.
 *
 * @module
 */

import type { ListingVerdict } from "../flickr/paginate.ts";
import { FlickrNotFoundError } from "../flickr/errors.ts";
import { AppError, ExitCode } from "../errors.ts";

export type { ListingVerdict };

/** Most suspects confirmed one by one in a run (~1 call each). */
export const MAX_CONFIRMATIONS = 200;
/** Suspects asked about when there are too many to confirm them all. */
export const SAMPLE_SIZE = 20;

/** What the confirmation of suspected deletions found. */
export interface Confirmation {
  /** Ids Flickr says are gone (code 1). */
  gone: string[];
  /** Ids Flickr still has: the listing missed them. */
  present: string[];
  /** Ids whose answer was neither (an error, or not asked). */
  unknown: string[];
  /** True when there were too many suspects and only a sample was asked. */
  sampled: boolean;
  /** How many suspects Flickr was asked about. */
  asked: number;
}

/**
 * Asks Flickr about each suspect: `lookup` resolves when the item exists and
 * throws `FlickrNotFoundError` when it is gone. Errors that stop a run
 * (auth, local, interruption) are rethrown; others leave the item unknown.
 */
export async function confirmDeletions(
  suspects: string[],
  lookup: (id: string) => Promise<unknown>,
  options: { max?: number; sample?: number; signal?: AbortSignal } = {},
): Promise<Confirmation> {
  const max = options.max ?? MAX_CONFIRMATIONS;
  const sampled = suspects.length > max;
  const asked = sampled
    ? spread(suspects, options.sample ?? SAMPLE_SIZE)
    : suspects;
  const result: Confirmation = {
    gone: [],
    present: [],
    unknown: suspects.filter((id) => !asked.includes(id)),
    sampled,
    asked: asked.length,
  };
  for (const id of asked) {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      await lookup(id);
      result.present.push(id);
    } catch (error) {
      if (error instanceof FlickrNotFoundError) result.gone.push(id);
      else if (stopsRun(error)) throw error;
      else result.unknown.push(id);
    }
  }
  if (sampled) {
    // A sample only tells whether deletions are plausible: declare none.
    result.unknown.push(...result.gone);
    result.gone = [];
  }
  return result;
}

/** `count` items spread evenly over `items`, first and last included. */
function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const out: T[] = [];
  for (let i = 0; i < count; i++) {
    out.push(items[Math.round(i * (items.length - 1) / (count - 1))]!);
  }
  return [...new Set(out)];
}

function stopsRun(error: unknown): boolean {
  if (!(error instanceof AppError)) return !(error instanceof Error);
  return error.exitCode === ExitCode.Auth ||
    error.exitCode === ExitCode.LocalFatal ||
    error.exitCode === ExitCode.Interrupted ||
    error.exitCode === ExitCode.Terminated;
}

/**
 * The fewest items an album can hold by `photosets.getList`: its photo count
 * and its video count are each a lower bound, never their sum, because
 * older answers' `photos` may already count the videos
 * (samjudson/flickr-net#22).
 */
export function declaredMinimum(
  counts: { countPhotos: number; countVideos: number },
): number {
  return Math.max(0, counts.countPhotos, counts.countVideos);
}

/** One line about a listing that cannot be trusted, for the summary. */
export function verdictProblem(
  what: string,
  verdict: ListingVerdict | undefined,
): string | undefined {
  if (!verdict) return `${what}: the listing did not finish`;
  if (verdict.complete) return undefined;
  return `${what}: ${verdict.reason}`;
}
