/**
 * The fake Flickr used by every test: a real HTTP server that behaves like
 * Flickr as FLICKR_API.md documents it (OAuth 1.0a with real HMAC-SHA1
 * checks, REST/JSON shapes, CDN files with Range, video play redirects),
 * deterministic scenario builders, media encoders and fault injection.
 *
 * @example
 * ```ts
 * import { awkwardAccount, startFakeFlickr } from "./tests/fake_flickr/mod.ts";
 * await using flickr = await startFakeFlickr({ account: awkwardAccount() });
 * flickr.faults.add({ path: "/65535/", kind: "status", status: 429, retryAfter: "1" });
 * ```
 *
 * @module
 */

export {
  classify,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  type FakeFlickr,
  type FakeFlickrOptions,
  type FileInfo,
  type RecordedRequest,
  type RequestKind,
  startFakeFlickr,
} from "./server.ts";
export {
  type FaultKind,
  type FaultRule,
  Faults,
  type FaultTarget,
  type RuleState,
  type Sleep,
} from "./faults.ts";
export {
  type Account,
  addAlbum,
  addPhoto,
  addToAlbum,
  type AlbumInit,
  awkwardAccount,
  bigAccount,
  type BigAccountOptions,
  cameraExif,
  createAccount,
  deleteAlbum,
  deletePhoto,
  demoAccount,
  editPhoto,
  type FakeAlbum,
  type FakeCollection,
  type FakePhoto,
  formatDateTaken,
  type Geo,
  movePhoto,
  mustGetAlbum,
  mustGetPhoto,
  type MutationOptions,
  type PhotoContent,
  type PhotoInit,
  removeFromAlbum,
  renameAlbum,
  replaceOriginal,
  rng,
} from "./scenario.ts";
export {
  type CameraExif,
  encodeJpeg,
  type JpegOptions,
} from "../helpers/jpeg.ts";
export {
  type ByteSource,
  encodeGif,
  encodePng,
  type GeneratedOptions,
  generatedSource,
  videoHead,
} from "./media.ts";
export {
  baseStringUri,
  type Consumer,
  hmacSha1Signature,
  parseAuthorizationHeader,
  percentEncode,
  type Perms,
  signatureBaseString,
} from "./oauth.ts";
export { normalizeTag, type NumberMode } from "./extras.ts";
export { photoSizes, SIZE_LADDER, type SizeSpec } from "./sizes.ts";
export {
  DEFAULT_QUIRKS,
  LISTING_QUIRKS,
  type PlayMode,
  type Quirks,
  type ShortPages,
} from "./quirks.ts";
export { type FakeLicense, LICENSES } from "./licenses.ts";
