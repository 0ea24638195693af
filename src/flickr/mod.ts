/**
 * The Flickr REST client, its types and errors.
 *
 * @module
 */

export {
  type CallOptions,
  createFlickrClient,
  type CreateFlickrClientOptions,
  type FlickrClient,
  type FlickrCredentials,
  type ListOptions,
} from "./client.ts";
export {
  FLICKR_ENDPOINTS,
  type FlickrEndpoints,
  flickrEndpoints,
} from "./endpoints.ts";
export {
  AUTH_MESSAGES,
  FlickrApiError,
  FlickrNotFoundError,
  FlickrPermissionError,
  FlickrProtocolError,
  readFlickrResponse,
  type ResponseContext,
} from "./errors.ts";
export {
  type Page,
  paginate,
  type PaginateOptions,
  readPage,
} from "./paginate.ts";
export * from "./api_types.ts";
