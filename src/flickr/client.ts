/**
 * The Flickr REST client: one {@link FlickrClient.call} that adds
 * `format=json&nojsoncallback=1`, signs with OAuth 1.0a (parameters in the
 * `Authorization` header, so URLs carry no token or signature), paces, retries
 * and checks `stat`; and one function per Flickr method the tool uses
 * (gallery-dl `FlickrAPI` style).
 *
 * Every request is a GET with `redirect: "manual"`: a signed request is
 * never forwarded to another host by fetch.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";
import type { HttpClient } from "../http/http_client.ts";
import { hostNotAllowed, isNotCapable } from "../http/errors.ts";
import { Pacer, type PacerOptions } from "../http/pacer.ts";
import {
  type RetryEvent,
  retrying,
  type RetryPolicy,
  transientForStatus,
} from "../http/retry.ts";
import {
  encodeParams,
  type OAuthToken,
  type Params,
  signRequest,
} from "../oauth/signature.ts";
import { redactUrl } from "../redact.ts";
import type { FlickrEndpoints } from "./endpoints.ts";
import {
  type FlickrPhoto,
  LISTING_EXTRAS,
  type LoginUser,
  type PersonInfo,
  type Photoset,
  type PhotoSize,
  type RawPhoto,
  type RawPhotoset,
  type RawResponse,
  type RawSize,
  type VideoStream,
} from "./api_types.ts";
import { FlickrProtocolError, readFlickrResponse } from "./errors.ts";
import { capBody, withDeadline } from "../http/deadline.ts";
import {
  type ListingVerdict,
  paginate,
  type PaginateOptions,
  readPage,
} from "./paginate.ts";
import {
  member,
  parsePerson,
  parsePhoto,
  parsePhotoset,
  parseSize,
  parseStream,
  toId,
  toList,
  toText,
} from "./_parse.ts";

/** The app key and, once signed in, the user's access token. */
export interface FlickrCredentials {
  /** The API key (`--api-key`). */
  consumerKey: string;
  /** The API secret; only used as HMAC key, never sent. */
  consumerSecret: string;
  /** Access token; without it calls are signed for the app alone. */
  token?: string;
  /** Secret of the access token; never sent. */
  tokenSecret?: string;
}

/** Options of {@link createFlickrClient}. */
export interface CreateFlickrClientOptions {
  /** Sends requests (the real `fetch` in `main.ts`). */
  http: HttpClient;
  /** OAuth timestamps, pacing and retry waits. */
  clock: Clock;
  /** Where the REST API and web pages are (`FLICKR_ENDPOINT`). */
  endpoints: FlickrEndpoints;
  /** Key, secret and the user's token. */
  credentials: FlickrCredentials;
  /**
   * The pacer shared by every caller of this key, or settings for a new one.
   * Default: a new {@link Pacer} with a budget of 3600 calls an hour.
   */
  pacer?: Pacer | PacerOptions;
  /** Overrides of the retry policy (`DEFAULT_RETRY_POLICY`). */
  retry?: Partial<RetryPolicy>;
  /** Told before every retry wait. */
  onRetry?: (event: RetryEvent) => void;
  /** Jitter source, uniform in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Aborts every call of this client. */
  signal?: AbortSignal;
  /** Nonce source; default 32 random alphanumerics per request. */
  nonce?: () => string;
  /**
   * Deadline of one try of an API call, answer read in full (default 60 s);
   * a try past it is retried like any transient failure.
   */
  requestTimeoutMs?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts this call (waits included) with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of the listing methods. */
export interface ListOptions extends CallOptions {
  /** `extras`, comma-separated or as a list. Default {@link LISTING_EXTRAS}. */
  extras?: string | readonly string[];
  /** Page size, at most 500. Default 500. */
  perPage?: number;
  /** Told at the end whether the listing is complete (see paginate.ts). */
  onVerdict?: (verdict: ListingVerdict) => void;
}

/** One licence of `flickr.photos.licenses.getInfo`. */
export interface LicenseInfo {
  id: string;
  name: string;
  /** "" when Flickr gives none (All Rights Reserved). */
  url: string;
}

/** The Flickr methods the tool uses. */
export interface FlickrClient {
  /**
   * Calls any REST method and returns the JSON of a `stat:"ok"` answer.
   * Throws the errors of `readFlickrResponse` (after retries for transient
   * ones), `HostNotAllowedError`, or the signal's reason.
   */
  call(
    method: string,
    params?: Params,
    options?: CallOptions,
  ): Promise<RawResponse>;
  /** HTTP requests sent so far, by Flickr method (retries included). */
  stats(): Record<string, number>;
  /** `flickr.test.login`: who the token belongs to. */
  testLogin(options?: CallOptions): Promise<LoginUser>;
  /** `flickr.people.getInfo`. */
  getPersonInfo(nsid: string, options?: CallOptions): Promise<PersonInfo>;
  /** `flickr.photosets.getList` for the signed-in user, in their order. */
  listPhotosets(options?: Omit<ListOptions, "extras">): AsyncIterable<Photoset>;
  /** `flickr.photosets.getPhotos`, in album order. */
  listPhotosetPhotos(
    photosetId: string,
    options?: ListOptions,
  ): AsyncIterable<FlickrPhoto>;
  /** `flickr.photos.getNotInSet`: the user's photos in no album. */
  listNotInSet(options?: ListOptions): AsyncIterable<FlickrPhoto>;
  /** `flickr.people.getPhotos` with `user_id=me`: the whole photostream. */
  listPhotos(options?: ListOptions): AsyncIterable<FlickrPhoto>;
  /** `flickr.photos.recentlyUpdated` since `minDateUnix` (seconds). */
  listRecentlyUpdated(
    minDateUnix: number,
    options?: ListOptions,
  ): AsyncIterable<FlickrPhoto>;
  /**
   * `flickr.photos.getInfo`, raw. Throws `FlickrNotFoundError` (code 1) for
   * a photo that is gone or not visible.
   */
  getPhotoInfo(photoId: string, options?: CallOptions): Promise<RawResponse>;
  /**
   * `flickr.photosets.getInfo`, raw. Throws `FlickrNotFoundError` (code 1)
   * for an album that is gone.
   */
  getPhotosetInfo(
    photosetId: string,
    options?: CallOptions,
  ): Promise<RawResponse>;
  /**
   * `flickr.tags.getListUserRaw` for the signed-in user: every cleaned tag
   * with the raw spellings the owner typed.
   */
  getRawTags(options?: CallOptions): Promise<Map<string, string[]>>;
  /** `flickr.photos.licenses.getInfo`: every licence id, name and URL. */
  getLicenses(options?: CallOptions): Promise<LicenseInfo[]>;
  /** `flickr.photos.getSizes`, ascending as Flickr lists them. */
  getSizes(photoId: string, options?: CallOptions): Promise<PhotoSize[]>;
  /** `flickr.video.getStreamInfo` (undocumented; gallery-dl uses it). */
  getVideoStreams(
    photoId: string,
    secret: string,
    options?: CallOptions,
  ): Promise<VideoStream[]>;
  /**
   * An OAuth-signed GET of a Flickr web URL (same origin as
   * `endpoints.www`), e.g. a "Video Original" play URL. Redirects are not
   * followed: the caller reads `Location` and fetches the CDN unsigned. A
   * redirect from https to http is refused with a `FlickrProtocolError`.
   * 429 and 5xx are retried; other answers (200, 3xx, 404 …) are returned.
   * Not paced and not counted in {@link stats}: it is not an API call.
   */
  signedGet(url: string, signal?: AbortSignal): Promise<Response>;
}

/** Largest page Flickr serves. */
const MAX_PER_PAGE = 500;

/** Builds a client. */
export function createFlickrClient(
  options: CreateFlickrClientOptions,
): FlickrClient {
  const { http, clock, endpoints, credentials } = options;
  const consumer = {
    key: credentials.consumerKey,
    secret: credentials.consumerSecret,
  };
  const token: OAuthToken | undefined = credentials.token
    ? { key: credentials.token, secret: credentials.tokenSecret ?? "" }
    : undefined;
  const secrets = [
    credentials.consumerSecret,
    credentials.token ?? "",
    credentials.tokenSecret ?? "",
  ].filter((value) => value !== "");
  const pacer = options.pacer instanceof Pacer
    ? options.pacer
    : new Pacer({ clock, ...options.pacer });
  const counts: Record<string, number> = {};

  function signalFor(callOptions?: CallOptions): AbortSignal | undefined {
    const signals = [options.signal, callOptions?.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    if (signals.length <= 1) return signals[0];
    return AbortSignal.any(signals);
  }

  function sign(url: string, params: Params) {
    return signRequest({
      method: "GET",
      url,
      params,
      consumer,
      ...(token ? { token } : {}),
      timestamp: Math.floor(clock.now() / 1000),
      ...(options.nonce ? { nonce: options.nonce() } : {}),
    });
  }

  async function send(request: Request, signal?: AbortSignal) {
    try {
      return await http(request);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (isNotCapable(error)) throw hostNotAllowed(error, request.url);
      throw error;
    }
  }

  const timeoutMs = options.requestTimeoutMs ?? 60_000;

  function call(
    method: string,
    params: Params = {},
    callOptions?: CallOptions,
  ): Promise<RawResponse> {
    const signal = signalFor(callOptions);
    const query: Params = {
      ...params,
      method,
      format: "json",
      nojsoncallback: "1",
    };
    const url = `${endpoints.rest}?${encodeParams(query)}`;
    return retrying(async () => {
      await pacer.acquire(signal);
      counts[method] = (counts[method] ?? 0) + 1;
      const signed = sign(endpoints.rest, query);
      return await withDeadline(clock, timeoutMs, signal, async (limited) => {
        const response = await send(
          new Request(url, {
            method: "GET",
            headers: {
              Authorization: signed.authorizationHeader,
              Accept: "application/json",
            },
            redirect: "manual",
            signal: limited,
          }),
          signal,
        );
        return await readFlickrResponse(capBody(response, method), {
          method,
          nowMs: clock.now(),
          consumerKey: credentials.consumerKey,
          secrets,
        });
      });
    }, {
      clock,
      pacer,
      label: method,
      ...(options.retry ? { policy: options.retry } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  function listPhotos(
    method: string,
    params: Params,
    containerKey: "photos" | "photoset",
    listOptions: ListOptions = {},
  ): AsyncIterable<FlickrPhoto> {
    const extras = typeof listOptions.extras === "string"
      ? listOptions.extras
      : listOptions.extras?.join(",") ?? LISTING_EXTRAS;
    const perPage = clampPerPage(listOptions.perPage);
    return paginate(async (pageNumber) => {
      const json = await call(
        method,
        { ...params, extras, per_page: perPage, page: pageNumber },
        listOptions,
      );
      const container = json[containerKey];
      // Photoset entries carry no owner: the set does.
      const setOwner = containerKey === "photoset"
        ? toId(member(container, "owner"))
        : "";
      const page = readPage<RawPhoto>(container, "photo");
      return {
        ...page,
        items: page.items.map((raw) => {
          const photo = parsePhoto(raw);
          return !photo.owner && setOwner
            ? { ...photo, owner: setOwner }
            : photo;
        }),
      };
    }, pagingOptions(perPage, listOptions));
  }

  function assertWebUrl(url: string): string {
    let target: URL;
    try {
      target = new URL(url, endpoints.www);
    } catch {
      throw new FlickrProtocolError(
        `Cannot fetch "${redactUrl(url)}": not a URL`,
      );
    }
    const www = new URL(endpoints.www);
    // Old data carries http:// flickr.com URLs: upgrade, never downgrade.
    if (
      target.host === www.host && target.protocol === "http:" &&
      www.protocol === "https:"
    ) {
      target.protocol = "https:";
    }
    if (target.origin !== www.origin) {
      throw new FlickrProtocolError(
        `Refusing to send a signed request to ${
          redactUrl(target)
        }: only ${www.origin} gets the sign-in`,
      );
    }
    return target.href;
  }

  return {
    call,

    stats() {
      return { ...counts };
    },

    async testLogin(callOptions) {
      const json = await call("flickr.test.login", {}, callOptions);
      const user = json.user;
      const nsid = toId(member(user, "id")) || toId(member(user, "nsid"));
      if (!nsid) {
        throw new FlickrProtocolError(
          "Flickr answered flickr.test.login without a user id",
        );
      }
      return { nsid, username: toText(member(user, "username")) };
    },

    async getPersonInfo(nsid, callOptions) {
      const json = await call(
        "flickr.people.getInfo",
        { user_id: nsid },
        callOptions,
      );
      return parsePerson(json.person, nsid);
    },

    listPhotosets(listOptions = {}) {
      const perPage = clampPerPage(listOptions.perPage);
      return paginate(async (page) => {
        const json = await call(
          "flickr.photosets.getList",
          { per_page: perPage, page },
          listOptions,
        );
        const got = readPage<RawPhotoset>(json.photosets, "photoset");
        return { ...got, items: got.items.map(parsePhotoset) };
      }, pagingOptions(perPage, listOptions));
    },

    listPhotosetPhotos(photosetId, listOptions) {
      return listPhotos(
        "flickr.photosets.getPhotos",
        { photoset_id: photosetId },
        "photoset",
        listOptions,
      );
    },

    listNotInSet(listOptions) {
      return listPhotos("flickr.photos.getNotInSet", {}, "photos", listOptions);
    },

    listPhotos(listOptions) {
      return listPhotos(
        "flickr.people.getPhotos",
        { user_id: "me" },
        "photos",
        listOptions,
      );
    },

    listRecentlyUpdated(minDateUnix, listOptions) {
      return listPhotos(
        "flickr.photos.recentlyUpdated",
        { min_date: Math.max(0, Math.floor(minDateUnix)) },
        "photos",
        listOptions,
      );
    },

    getPhotoInfo(photoId, callOptions) {
      return call("flickr.photos.getInfo", { photo_id: photoId }, callOptions);
    },

    getPhotosetInfo(photosetId, callOptions) {
      return call(
        "flickr.photosets.getInfo",
        { photoset_id: photosetId },
        callOptions,
      );
    },

    async getRawTags(callOptions) {
      const json = await call("flickr.tags.getListUserRaw", {}, callOptions);
      return parseRawTags(json);
    },

    async getLicenses(callOptions) {
      const json = await call(
        "flickr.photos.licenses.getInfo",
        {},
        callOptions,
      );
      return toList<unknown>(member(json.licenses, "license"))
        .map((raw) => ({
          id: toId(member(raw, "id")),
          name: toText(member(raw, "name")),
          url: toText(member(raw, "url")),
        }))
        .filter((license) => license.id !== "" && license.name !== "");
    },

    async getSizes(photoId, callOptions) {
      const json = await call(
        "flickr.photos.getSizes",
        { photo_id: photoId },
        callOptions,
      );
      return toList<RawSize>(member(json.sizes, "size")).map(parseSize);
    },

    async getVideoStreams(photoId, secret, callOptions) {
      const json = await call(
        "flickr.video.getStreamInfo",
        { photo_id: photoId, secret },
        callOptions,
      );
      return toList<unknown>(member(json.streams, "stream"))
        .map(parseStream)
        .filter((stream) => stream.url !== "");
    },

    signedGet(url, signal) {
      const target = assertWebUrl(url);
      const combined = signalFor(signal ? { signal } : undefined);
      return retrying(async () => {
        const signed = sign(target, {});
        // The deadline covers the headers; the body has the downloader's
        // idle timeout (the deadline's timer stops once headers are in).
        const response = await withDeadline(
          clock,
          timeoutMs,
          combined,
          (limited) =>
            send(
              new Request(target, {
                method: "GET",
                headers: { Authorization: signed.authorizationHeader },
                redirect: "manual",
                signal: limited,
              }),
              combined,
            ),
        );
        if (response.status >= 300 && response.status < 400) {
          const location = response.headers.get("location");
          if (location !== null) {
            const next = new URL(location, target);
            if (
              new URL(target).protocol === "https:" && next.protocol === "http:"
            ) {
              await response.body?.cancel();
              throw new FlickrProtocolError(
                `Refusing to follow a redirect from https to http (${
                  redactUrl(next)
                })`,
              );
            }
          }
        }
        const transient = transientForStatus(response, clock.now());
        if (transient) {
          await response.body?.cancel();
          throw transient;
        }
        return response;
      }, {
        clock,
        pacer,
        label: `GET ${redactUrl(target)}`,
        ...(options.retry ? { policy: options.retry } : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
        ...(combined ? { signal: combined } : {}),
      });
    },
  };
}

function pagingOptions<T>(
  perPage: number,
  listOptions: ListOptions,
): PaginateOptions<T> {
  return {
    perPage,
    ...(listOptions.signal ? { signal: listOptions.signal } : {}),
    ...(listOptions.onVerdict ? { onVerdict: listOptions.onVerdict } : {}),
  };
}

/**
 * Reads `flickr.tags.getListUserRaw`: `who.tags.tag[]` with `clean` and
 * `raw` (a list of `{_content}` or strings). Returns clean → raw spellings.
 */
export function parseRawTags(json: RawResponse): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const tags = toList<unknown>(member(member(json.who, "tags"), "tag"));
  for (const tag of tags) {
    const clean = toText(member(tag, "clean"));
    if (clean === "") continue;
    const raws = toList<unknown>(member(tag, "raw")).map(toText)
      .filter((raw) => raw !== "");
    if (typeof member(tag, "raw") === "string") {
      raws.push(toText(member(tag, "raw")));
    }
    map.set(clean, raws);
  }
  return map;
}

function clampPerPage(perPage: number | undefined): number {
  if (perPage === undefined || !Number.isFinite(perPage)) return MAX_PER_PAGE;
  return Math.min(MAX_PER_PAGE, Math.max(1, Math.floor(perPage)));
}
