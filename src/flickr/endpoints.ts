/**
 * Where the tool talks to Flickr. `FLICKR_ENDPOINT=http://127.0.0.1:PORT`
 * replaces the origins of api.flickr.com and www.flickr.com (same paths), so
 * tests and the demo can point the real client at the fake Flickr server.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** Base URLs of the Flickr services the tool uses. */
export interface FlickrEndpoints {
  /** REST endpoint, e.g. `https://api.flickr.com/services/rest/`. */
  rest: string;
  /** OAuth base, e.g. `https://www.flickr.com/services/oauth/`. */
  oauth: string;
  /** Origin of flickr.com web pages (photo pages, video play URLs). */
  www: string;
}

/** The real Flickr endpoints. */
export const FLICKR_ENDPOINTS: FlickrEndpoints = {
  rest: "https://api.flickr.com/services/rest/",
  oauth: "https://www.flickr.com/services/oauth/",
  www: "https://www.flickr.com",
};

/**
 * Returns the endpoints, with both origins replaced by `override` when given.
 *
 * @param override Value of `FLICKR_ENDPOINT`, e.g. `http://127.0.0.1:8080`.
 * @throws {UsageError} When the override is not an http(s) origin.
 */
export function flickrEndpoints(override?: string): FlickrEndpoints {
  if (!override) return FLICKR_ENDPOINTS;
  let origin: string;
  try {
    const url = new URL(override);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError("not http(s)");
    }
    origin = url.origin;
  } catch {
    throw new UsageError(
      `Cannot use FLICKR_ENDPOINT "${override}": expected an origin such as "http://127.0.0.1:8080"`,
    );
  }
  return {
    rest: `${origin}/services/rest/`,
    oauth: `${origin}/services/oauth/`,
    www: origin,
  };
}
