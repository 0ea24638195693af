/**
 * SQLite failures that are local conditions, not bugs: a full disk or
 * quota, an I/O error, a read-only file system. They stop the run with
 * exit 7 and a message naming the state file and the fix.
 *
 * @module
 */

import { dirname } from "node:path";
import { LocalFatalError } from "../errors.ts";

/** Room a run's state needs to go on, in the messages (a generous bound). */
const STATE_ROOM = "10 MB";

/**
 * A {@link LocalFatalError} for SQLite's "disk full", "I/O error" and
 * "read-only" failures of the state file at `path`, else undefined.
 */
export function sqliteLocalError(
  error: unknown,
  path: string,
): LocalFatalError | undefined {
  if (error instanceof LocalFatalError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { errcode?: unknown }).errcode;
  const primary = typeof code === "number" ? code & 0xff : undefined;
  const message = error.message;
  if (primary === 13 || /database or disk is full/i.test(message)) {
    return new LocalFatalError(
      `Disk full: cannot write the state file "${path}"; free at least ${STATE_ROOM} on "${
        dirname(path)
      }" and run again (what was recorded so far is kept)`,
      { cause: error },
    );
  }
  if (primary === 10 || /disk I\/O error/i.test(message)) {
    return new LocalFatalError(
      `Cannot write the state file "${path}": the disk reported an I/O error (is it full or failing?); free at least ${STATE_ROOM} on "${
        dirname(path)
      }", check the disk and run again`,
      { cause: error },
    );
  }
  if (primary === 8 || /readonly database/i.test(message)) {
    return new LocalFatalError(
      `Cannot write the state file "${path}": it or its folder is read-only; check permissions or choose another folder`,
      { cause: error },
    );
  }
  return undefined;
}
