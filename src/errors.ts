/**
 * Error families shared by every module. Each carries the exit code the CLI
 * uses when the error ends a run; `ExitCode` below is the table (the README's
 * "Exit codes" section explains it to users).
 * Anything thrown that is not an {@link AppError} is a bug.
 *
 * @module
 */

/** Exit codes, one table for the whole tool (README "Exit codes"). */
export const ExitCode = {
  /** The run finished and everything is backed up. */
  Ok: 0,
  /** An unexpected error: a bug. */
  Bug: 1,
  /** Bad flags, arguments or configuration. */
  Usage: 2,
  /** The run finished but some items failed; rerun to retry them. */
  Partial: 3,
  /** Flickr refused the key or token: run `flickr-backup login`. */
  Auth: 4,
  /** Flickr or the network is unavailable: try again later. */
  Unavailable: 5,
  /** Another run holds the lock on this backup folder. */
  Locked: 6,
  /** A local problem stops the run: disk full, read-only, corrupt state. */
  LocalFatal: 7,
  /** Stopped by SIGINT (Ctrl-C). */
  Interrupted: 130,
  /** Stopped by SIGTERM. */
  Terminated: 143,
} as const;

/** One of the documented exit codes. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Base class of every error the tool expects and explains to the user. */
export class AppError extends Error {
  /** Exit code the CLI uses when this error ends the run. */
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.name = "AppError";
    this.exitCode = exitCode;
  }
}

/** Bad flags, arguments or configuration. */
export class UsageError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
    this.name = "UsageError";
  }
}

/** Flickr refused the credentials; never retried. */
export class AuthError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Auth, options);
    this.name = "AuthError";
  }
}

/** Flickr or the network is unavailable after retries. */
export class UnavailableError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Unavailable, options);
    this.name = "UnavailableError";
  }
}

/** Another process holds the backup folder's lock. */
export class LockedError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Locked, options);
    this.name = "LockedError";
  }
}

/** A local condition (disk full, read-only, corrupt state) stops the run. */
export class LocalFatalError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.LocalFatal, options);
    this.name = "LocalFatalError";
  }
}

/** The run was stopped by a signal at a safe point. */
export class InterruptedError extends AppError {
  constructor(signal: "SIGINT" | "SIGTERM") {
    super(
      `Stopped by ${signal}`,
      signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated,
    );
    this.name = "InterruptedError";
  }
}
