/**
 * The run log's sink: each record is written to the file as it is logged
 * (so the lines are in the file even if the process is killed), and the
 * file is fsynced once when the log is closed, not after every line. The
 * `@logtape/file` sink fsyncs every short line, one fsync per photo in a
 * backup.
 *
 * @module
 */

import { defaultTextFormatter, type LogRecord } from "@logtape/logtape";

/** A sink writing to `path`, created on the first record. */
export function lineFileSink(
  path: string,
): ((record: LogRecord) => void) & AsyncDisposable {
  const encoder = new TextEncoder();
  let file: Deno.FsFile | undefined;
  const sink = (record: LogRecord) => {
    file ??= Deno.openSync(path, { create: true, append: true });
    const bytes = encoder.encode(defaultTextFormatter(record));
    let written = 0;
    while (written < bytes.length) {
      written += file.writeSync(bytes.subarray(written));
    }
  };
  return Object.assign(sink, {
    async [Symbol.asyncDispose]() {
      if (!file) return;
      const open = file;
      file = undefined;
      try {
        await open.sync();
      } finally {
        open.close();
      }
    },
  });
}
