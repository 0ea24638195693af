/**
 * The one HTTP seam. Rate limiting, retries and redaction wrap this type;
 * `main.ts` passes the real `fetch`.
 *
 * @module
 */

/** Sends one request and resolves with its response (no retries). */
export type HttpClient = (request: Request) => Promise<Response>;

/** The real client: global fetch. */
export const fetchClient: HttpClient = (request) => fetch(request);
