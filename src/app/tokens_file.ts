/**
 * The saved sign-in: `<backup dir>/.flickr_tokens.json`, mode 0600, written
 * atomically. It holds the API key and secret and the OAuth access token and
 * token secret, so it is never printed or logged.
 *
 * @module
 */

import { IS_WINDOWS, isNotFound, localFiles } from "../platform/local_files.ts";
import { join } from "node:path";
import { AuthError, LocalFatalError } from "../errors.ts";
import { atomicWriteFile } from "../platform/fs.ts";
import { refuseLink } from "../platform/safe_path.ts";

/** Name of the tokens file inside the backup folder. */
export const TOKENS_FILE = ".flickr_tokens.json";

/** What a sign-in saves. */
export interface SavedTokens {
  apiKey: string;
  apiSecret: string;
  oauthToken: string;
  oauthTokenSecret: string;
  userNsid: string;
  username: string;
  fullname?: string;
}

/** Path of the tokens file of a backup folder. */
export function tokensPath(dir: string): string {
  return join(dir, TOKENS_FILE);
}

/** Writes the tokens file atomically with mode 0600. */
export async function saveTokens(
  dir: string,
  tokens: SavedTokens,
  savedAt: Date,
): Promise<void> {
  await localFiles.mkdir(dir, { recursive: true });
  const body = {
    api_key: tokens.apiKey,
    api_secret: tokens.apiSecret,
    oauth_token: tokens.oauthToken,
    oauth_token_secret: tokens.oauthTokenSecret,
    user_nsid: tokens.userNsid,
    username: tokens.username,
    fullname: tokens.fullname ?? "",
    saved_at: savedAt.toISOString(),
  };
  await atomicWriteFile(
    tokensPath(dir),
    JSON.stringify(body, null, 2) + "\n",
    { mode: 0o600 },
  );
}

/**
 * Reads the tokens file, or undefined when there is none.
 *
 * @throws {AuthError} When the file is unreadable JSON or lacks fields.
 */
export async function loadTokens(
  dir: string,
): Promise<{ tokens: SavedTokens; warning?: string } | undefined> {
  const path = tokensPath(dir);
  // A FIFO would hang the read; a link would read (and later replace)
  // someone else's file.
  await refuseLink(path, "file");
  let text: string;
  try {
    text = await localFiles.readTextFile(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new LocalFatalError(
      `Cannot read "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AuthError(
      `The saved sign-in "${path}" is not valid JSON: run "flickr-backup login" to sign in again`,
    );
  }
  const field = (name: string) =>
    typeof data[name] === "string" ? data[name] as string : "";
  const tokens: SavedTokens = {
    apiKey: field("api_key"),
    apiSecret: field("api_secret"),
    oauthToken: field("oauth_token"),
    oauthTokenSecret: field("oauth_token_secret"),
    userNsid: field("user_nsid"),
    username: field("username"),
    ...(field("fullname") ? { fullname: field("fullname") } : {}),
  };
  if (!tokens.oauthToken || !tokens.oauthTokenSecret) {
    throw new AuthError(
      `The saved sign-in "${path}" has no access token: run "flickr-backup login" to sign in again`,
    );
  }
  let warning: string | undefined;
  if (!IS_WINDOWS) {
    const mode = (await localFiles.stat(path)).mode ?? 0;
    if (mode & 0o077) {
      warning = `"${path}" can be read by other users (mode ${
        (mode & 0o777).toString(8)
      }); run: chmod 600 "${path}"`;
    }
  }
  return warning ? { tokens, warning } : { tokens };
}
