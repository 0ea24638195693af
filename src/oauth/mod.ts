/**
 * OAuth 1.0a for Flickr: pure HMAC-SHA1 signing and the token dance.
 *
 * @module
 */

export {
  authorizationHeader,
  encodeParams,
  generateNonce,
  type OAuthConsumer,
  type OAuthToken,
  type Params,
  type ParamValue,
  percentEncode,
  signatureBaseUrl,
  signBaseString,
  type SignedRequest,
  signRequest,
  type SignRequestOptions,
} from "./signature.ts";
export {
  type AccessToken,
  authorizeUrl,
  getAccessToken,
  type GetAccessTokenOptions,
  getRequestToken,
  type GetRequestTokenOptions,
  type Perms,
  type RequestToken,
} from "./authorize.ts";
