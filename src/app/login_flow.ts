/**
 * Sign-in with OAuth 1.0a ("oob"): request token → the user approves in the
 * browser and copies the code → access token → `flickr.test.login` confirms
 * → the tokens file is saved. Nothing is written unless every step worked.
 *
 * @module
 */

import type { HttpClient } from "../http/http_client.ts";
import type { Clock } from "../platform/clock.ts";
import { flickrEndpoints } from "../flickr/endpoints.ts";
import {
  authorizeUrl,
  getAccessToken,
  getRequestToken,
} from "../oauth/authorize.ts";
import { createFlickrClient } from "../flickr/client.ts";
import { AuthError, UsageError } from "../errors.ts";
import { loadTokens, type SavedTokens, saveTokens } from "./tokens_file.ts";
import type { Reporter } from "./reporter.ts";

/** Everything the sign-in needs. */
export interface LoginDeps {
  http: HttpClient;
  clock: Clock;
  /** `FLICKR_ENDPOINT` (the fake Flickr of tests); the real one if unset. */
  endpoint?: string | undefined;
  reporter: Reporter;
  /** Shows the authorize URL and returns the code the user typed. */
  askVerifier(authorizeUrl: string): Promise<string | undefined>;
}

/** What free accounts (no API key) can do instead, for messages. */
export const FREE_ACCOUNT_HELP =
  'free account without a key? Request your data in Flickr\'s account settings ("Request my Flickr data") and run "flickr-backup import --dir <folder> <the zips>"';

/** Where to get an API key, for messages. */
export const KEY_HELP =
  `get one at https://www.flickr.com/services/apps/create/ (since 2025 Flickr gives new keys to Pro members only; ${FREE_ACCOUNT_HELP})`;

/** An API key and its secret. */
export interface ApiKeys {
  apiKey: string;
  apiSecret: string;
}

/** What a backup run signs in with. */
export interface SignInInput {
  dir: string;
  /** The key to use: flags, environment, the saved one, or a prompt. */
  resolveKeys(saved: SavedTokens | undefined): Promise<ApiKeys>;
  /** Whether the interactive sign-in may run (a terminal can answer). */
  interactive: boolean;
  /** Called with each secret as it becomes known (kept out of logs). */
  onSecret(secret: string): void;
  /** A warning the user sees even with --quiet. */
  important(message: string): void;
}

/**
 * The sign-in of a backup run: the saved tokens of the folder, or, when
 * there are none (or they were made with another key) and a terminal can
 * answer, the whole sign-in.
 *
 * @throws {AuthError} Not signed in and no terminal to sign in on.
 */
export async function signInForBackup(
  deps: LoginDeps,
  input: SignInInput,
): Promise<{ keys: ApiKeys; tokens: SavedTokens }> {
  const { dir } = input;
  const loaded = await loadTokens(dir);
  // Shown even with --quiet: other users can read the sign-in.
  if (loaded?.warning) input.important(loaded.warning);
  let tokens: SavedTokens | undefined = loaded?.tokens;
  const keys = await input.resolveKeys(tokens).catch((error) => {
    if (!tokens && error instanceof AuthError) {
      throw new AuthError(
        `Not signed in to Flickr for "${dir}": run "flickr-backup login --dir ${dir}" (with --api-key/--api-secret or FLICKR_API_KEY/FLICKR_API_SECRET; ${KEY_HELP})`,
      );
    }
    throw error;
  });
  input.onSecret(keys.apiSecret);
  if (tokens && tokens.apiKey && tokens.apiKey !== keys.apiKey) {
    tokens = undefined; // a sign-in made with another key is not valid here
  }
  if (!tokens) {
    if (!input.interactive) {
      throw new AuthError(
        `Not signed in to Flickr for "${dir}": run "flickr-backup login --dir ${dir}" first (${FREE_ACCOUNT_HELP})`,
      );
    }
    tokens = await runLogin(deps, { dir, ...keys });
  }
  input.onSecret(tokens.oauthToken);
  input.onSecret(tokens.oauthTokenSecret);
  return { keys, tokens };
}

/** Longest wait for each OAuth answer (as for API calls by default). */
export const SIGN_IN_TIMEOUT_MS = 60_000;

/** Runs the whole sign-in and saves `<dir>/.flickr_tokens.json`. */
export async function runLogin(
  deps: LoginDeps,
  options: { dir: string; apiKey: string; apiSecret: string },
): Promise<SavedTokens> {
  const endpoints = flickrEndpoints(deps.endpoint);
  const consumer = { key: options.apiKey, secret: options.apiSecret };
  const requestToken = await getRequestToken({
    http: deps.http,
    endpoints: endpoints,
    consumer,
    callback: "oob",
    deadline: { clock: deps.clock, ms: SIGN_IN_TIMEOUT_MS },
  });
  const url = authorizeUrl(endpoints, requestToken.token, "read");
  const verifier = (await deps.askVerifier(url))?.trim();
  if (!verifier) {
    throw new UsageError(
      'No verification code was given: run "flickr-backup login" again, open the link, approve read access and paste the code Flickr shows',
    );
  }
  const access = await getAccessToken({
    http: deps.http,
    endpoints: endpoints,
    consumer,
    requestToken,
    verifier,
    deadline: { clock: deps.clock, ms: SIGN_IN_TIMEOUT_MS },
  });
  const client = createFlickrClient({
    http: deps.http,
    clock: deps.clock,
    endpoints: endpoints,
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
