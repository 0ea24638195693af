/**
 * Sign-in with OAuth 1.0a ("oob"): request token → the user approves in the
 * browser and copies the code → access token → `flickr.test.login` confirms
 * → the tokens file is saved. Nothing is written unless every step worked.
 *
 * @module
 */

import type { HttpClient } from "../http/http_client.ts";
import type { Clock } from "../platform/clock.ts";
import type { FlickrEndpoints } from "../flickr/endpoints.ts";
import {
  authorizeUrl,
  getAccessToken,
  getRequestToken,
} from "../oauth/authorize.ts";
import { createFlickrClient } from "../flickr/client.ts";
import { UsageError } from "../errors.ts";
import { type SavedTokens, saveTokens } from "./tokens_file.ts";
import type { Reporter } from "./reporter.ts";

/** Everything the sign-in needs. */
export interface LoginDeps {
  http: HttpClient;
  clock: Clock;
  endpoints: FlickrEndpoints;
  reporter: Reporter;
  /** Shows the authorize URL and returns the code the user typed. */
  askVerifier(authorizeUrl: string): Promise<string | undefined>;
}

/** Runs the whole sign-in and saves `<dir>/.flickr_tokens.json`. */
export async function runLogin(
  deps: LoginDeps,
  options: { dir: string; apiKey: string; apiSecret: string },
): Promise<SavedTokens> {
  const consumer = { key: options.apiKey, secret: options.apiSecret };
  const requestToken = await getRequestToken({
    http: deps.http,
    endpoints: deps.endpoints,
    consumer,
    callback: "oob",
  });
  const url = authorizeUrl(deps.endpoints, requestToken.token, "read");
  const verifier = (await deps.askVerifier(url))?.trim();
  if (!verifier) {
    throw new UsageError(
      'No verification code was given: run "flickr-backup login" again, open the link, approve read access and paste the code Flickr shows',
    );
  }
  const access = await getAccessToken({
    http: deps.http,
    endpoints: deps.endpoints,
    consumer,
    requestToken,
    verifier,
  });
  const client = createFlickrClient({
    http: deps.http,
    clock: deps.clock,
    endpoints: deps.endpoints,
    credentials: {
      consumerKey: options.apiKey,
      consumerSecret: options.apiSecret,
      token: access.token,
      tokenSecret: access.tokenSecret,
    },
  });
  const who = await client.testLogin();
  const tokens: SavedTokens = {
    apiKey: options.apiKey,
    apiSecret: options.apiSecret,
    oauthToken: access.token,
    oauthTokenSecret: access.tokenSecret,
    userNsid: who.nsid || access.userNsid,
    username: who.username || access.username,
    ...(access.fullname ? { fullname: access.fullname } : {}),
  };
  await saveTokens(options.dir, tokens, new Date(deps.clock.now()));
  deps.reporter.info(
    `Signed in as ${tokens.username} (${tokens.userNsid}); sign-in saved in ${options.dir}`,
  );
  return tokens;
}
