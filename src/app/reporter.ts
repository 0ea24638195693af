/**
 * How use cases tell the outside world what happens. The CLI implements it
 * (terminal + log file); tests record it. Nothing below `cli/` prints.
 *
 * @module
 */

/** Progress of the download phase. */
export interface Progress {
  done: number;
  total: number;
  failed: number;
  bytes: number;
}

/** Sink for messages and progress from a run. */
export interface Reporter {
  /** A normal message for the user (hidden by `--quiet`, always logged). */
  info(message: string): void;
  /** A problem that does not stop the run (always logged). */
  warn(message: string): void;
  /** A failure the user must see, even with `--quiet`. */
  error(message: string): void;
  /** A detail for the log file only (per-photo lines). */
  detail(message: string): void;
  /** Download progress (a bar on a TTY, occasional lines when piped). */
  progress(progress: Progress): void;
}

/** A reporter that keeps everything in memory, for tests. */
export class RecordingReporter implements Reporter {
  readonly lines: { level: string; message: string }[] = [];
  readonly progressUpdates: Progress[] = [];

  info(message: string): void {
    this.lines.push({ level: "info", message });
  }
  warn(message: string): void {
    this.lines.push({ level: "warn", message });
  }
  error(message: string): void {
    this.lines.push({ level: "error", message });
  }
  detail(message: string): void {
    this.lines.push({ level: "detail", message });
  }
  progress(progress: Progress): void {
    this.progressUpdates.push({ ...progress });
  }

  /** All messages at one level. */
  messages(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) =>
      line.message
    );
  }
}
