/**
 * Follows redirects by hand (at most 5), refusing https → http.
 *
 * @module
 */

import { AppError } from "../errors.ts";
import { isLoopbackHost, redactText } from "./_http_headers.ts";
import { AttemptError, errorMessage } from "./_attempt_error.ts";
import { type DownloadRequest, type Settings } from "./_download_types.ts";

const MAX_REDIRECTS = 5;
export async function openFollowingRedirects(
  s: Settings,
  req: DownloadRequest,
  headers: Headers,
  signal: AbortSignal,
  onHop: () => void,
): Promise<{ response: Response; url: URL }> {
  const original = new URL(req.url);
  const plainHttpAllowed = original.protocol === "http:" &&
    isLoopbackHost(original.hostname);
  let url = original;
  for (let hop = 0;; hop++) {
    const init: RequestInit = {
      method: "GET",
      headers,
      redirect: "manual",
      signal,
    };
    let response: Response;
    try {
      response = hop === 0 && req.openResponse
        ? await req.openResponse(url.href, init)
        : await s.http(new Request(url.href, init));
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof Deno.errors.NotCapable) {
        const host = url.hostname;
        throw new AttemptError(
          "permanent",
          `the host "${host}" is not one this program may contact`,
          {
            message: hop === 0
              ? `Cannot download: "${host}" is not a Flickr host this program may contact`
              : `Cannot download: the server redirected to "${host}", which is not a Flickr host this program may contact`,
          },
        );
      }
      if (err instanceof AppError) throw err;
      throw new AttemptError(
        "transient",
        `the request failed: ${redactText(errorMessage(err))}`,
      );
    }
    if (response.status === 0 || response.type === "opaqueredirect") {
      throw new AttemptError(
        "permanent",
        "the HTTP client hid a redirect; it must honour redirect: manual",
      );
    }
    if (![301, 302, 303, 307, 308].includes(response.status)) {
      return { response, url };
    }
    onHop();
    const location = response.headers.get("location");
    await response.body?.cancel().catch(() => {});
    if (location === null) {
      throw new AttemptError(
        "permanent",
        `the server answered ${response.status} without a Location`,
        { status: response.status },
      );
    }
    if (hop >= MAX_REDIRECTS) {
      throw new AttemptError(
        "permanent",
        `more than ${MAX_REDIRECTS} redirects`,
        { status: response.status },
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new AttemptError(
        "permanent",
        "the server redirected to an invalid URL",
        { status: response.status },
      );
    }
    const allowed = next.protocol === "https:" ||
      (next.protocol === "http:" && plainHttpAllowed);
    if (!allowed) {
      throw new AttemptError(
        "permanent",
        `the server redirected to ${next.protocol}//${next.host}${next.pathname}, which is refused (${
          url.protocol === "https:" && next.protocol === "http:"
            ? "https to http downgrade"
            : "not https"
        })`,
        { status: response.status },
      );
    }
    url = next;
  }
}
