/**
 * One download attempt: request, stream the body into the part file with its
 * checks, then rename it into place.
 *
 * @module
 */

import * as path from "node:path";
import { type EndCheck, endScannerFor } from "./_body_check.ts";
import { fsyncDir, writeAll } from "../platform/fs.ts";
import {
  extensionFromContentDisposition,
  extensionFromUrl,
  redactUrl,
} from "./_http_headers.ts";
import {
  chooseExtension,
  hasJpegEnd,
  JPEG_TAIL_BYTES,
  sniff,
  SNIFF_BYTES,
} from "./_magic.ts";
import {
  AttemptError,
  IdleTimeoutError,
  toAttemptError,
} from "./_attempt_error.ts";
import {
  type DownloadRequest,
  type DownloadResult,
  type PartFile,
  type Settings,
} from "./_download_types.ts";
import { IdleTimer } from "./_idle_timer.ts";
import {
  isResumable,
  local,
  type PartPaths,
  type PartState,
  readHead,
  readTail,
  removeFile,
  removePart,
  resetPart,
  withRoomNeeded,
  writeMeta,
} from "./_part_file.ts";
import { openFollowingRedirects } from "./_redirects.ts";
import { boundExpansion, checkHead, checkResponse } from "./_response_check.ts";

/** The reused read buffer of a body streamed to its part file. */
const STREAM_CHUNK = 256 * 1024;

export async function attemptOnce(
  s: Settings,
  req: DownloadRequest,
  dest: string,
  paths: PartPaths,
  safeUrl: string,
  state: PartState,
  attempt: number,
): Promise<DownloadResult> {
  if (!isResumable(state)) await resetPart(state, paths);
  const controller = new AbortController();
  const userSignal = req.signal;
  const onUserAbort = () => controller.abort(userSignal?.reason);
  userSignal?.addEventListener("abort", onUserAbort, { once: true });
  // Aborted while the part was loaded: the listener above never fires.
  if (userSignal?.aborted) controller.abort(userSignal.reason);
  let reader:
    | ReadableStreamDefaultReader<Uint8Array>
    | ReadableStreamBYOBReader
    | undefined;
  const stop = (reason: IdleTimeoutError) => {
    controller.abort(reason);
    reader?.cancel(reason).catch(() => {});
  };
  const idle = new IdleTimer(
    s.clock,
    s.idleTimeoutMs,
    s.minProgress,
    () => stop(new IdleTimeoutError(s.idleTimeoutMs)),
    (bytes, ms) =>
      stop(
        new IdleTimeoutError(
          ms,
          `only ${bytes} bytes arrived in ${
            Math.round(ms / 1000)
          } s (the minimum is ${s.minProgress.bytes})`,
        ),
      ),
  );
  let response: Response | undefined;
  let file: PartFile | undefined;
  try {
    const resuming = isResumable(state);
    const headers = new Headers({ "accept-encoding": "identity" });
    if (resuming && state.etag !== undefined) {
      headers.set("range", `bytes=${state.offset}-`);
      headers.set("if-range", state.etag);
    }
    idle.start();
    const opened = await openFollowingRedirects(
      s,
      req,
      headers,
      controller.signal,
      () => idle.kick(),
    );
    response = opened.response;
    const finalUrl = opened.url;
    idle.kick();
    idle.startBody();
    const plan = checkResponse(response, state, resuming, s.clock.now());

    // A small fresh body stays in memory (checked the same way); the caller
    // writes it once under its final name.
    const inMemory = !resuming && plan.startAt === 0 &&
      plan.decoders.length === 0 && plan.contentLength !== undefined &&
      plan.contentLength <= (req.memoryMaxBytes ?? -1);
    const memory: Uint8Array[] = [];

    // Prepare the part file for this response. The part is cut to the bytes
    // this response continues *before* new resume data is written, so resume
    // data never describes bytes of another version of the file.
    if (plan.startAt === 0 && state.offset > 0) await resetPart(state, paths);
    let openFile: PartFile | undefined;
    if (!inMemory) {
      file = await local(
        paths.part,
        () => s.openFile(paths.part, { write: true, create: true }),
      );
      const opened = openFile = file;
      await local(paths.part, async () => {
        await opened.truncate(state.offset);
        await opened.seek(state.offset, Deno.SeekMode.Start);
      });
    }
    if (inMemory) {
      // Nothing on disk to resume: a failed attempt starts again at 0.
      if (state.metaOnDisk) await removeFile(paths.meta);
      state.metaOnDisk = false;
      state.etag = undefined;
      state.total = plan.total;
    } else if (plan.resumableEtag !== undefined) {
      // Resumable within this run; resume data on disk (for the next run)
      // only for files worth it.
      const persist = plan.total === undefined ||
        plan.total >= s.resumeMinBytes;
      if (
        persist && (!state.metaOnDisk || state.etag !== plan.resumableEtag ||
          state.total !== plan.total || state.offset === 0)
      ) {
        state.metaOnDisk = true;
        await writeMeta(paths, {
          version: 1,
          url: safeUrl,
          etag: plan.resumableEtag,
          size: plan.total ?? null,
        });
      } else if (!persist && state.metaOnDisk) {
        await removeFile(paths.meta);
        state.metaOnDisk = false;
      }
      state.etag = plan.resumableEtag;
      state.total = plan.total;
    } else {
      if (state.metaOnDisk) await removeFile(paths.meta);
      state.metaOnDisk = false;
      state.etag = undefined;
      state.total = plan.total;
    }
    const startOffset = state.offset;

    // Stream the body.
    const rawBody: ReadableStream<Uint8Array> | null = response.body;
    if (rawBody === null) {
      throw new AttemptError("transient", "the server sent an empty body", {
        status: response.status,
        discard: true,
      });
    }
    let body = rawBody;
    let encodedBytes = 0;
    if (plan.decoders.length > 0) {
      body = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            encodedBytes += chunk.length;
            c.enqueue(chunk);
          },
        }),
      );
      for (const format of plan.decoders) {
        body = body.pipeThrough(
          new DecompressionStream(format) as unknown as TransformStream<
            Uint8Array,
            Uint8Array
          >,
        );
      }
      body = body.pipeThrough(boundExpansion(() => encodedBytes));
    }
    // When the stream allows it, a body kept in memory is read straight
    // into one buffer of its declared size (no chunk buffers to allocate,
    // join and copy again), and a body streamed to the part file through
    // one reused buffer (a fresh 64 KB buffer per chunk would be garbage
    // that waits for the next collection: a 1 GB video makes 16,000).
    const byob = byobReader(body);
    let buffer = byob
      ? new ArrayBuffer(inMemory ? plan.contentLength ?? 0 : STREAM_CHUNK)
      : undefined;
    const defaultReader = byob ? undefined : body.getReader();
    reader = byob ?? defaultReader;
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let headChecked = startOffset > 0;
    // Checked while streaming; a resumed body is checked from the file.
    let ending: ReturnType<typeof endScannerFor>;
    const tooMuch = () =>
      new AttemptError(
        "transient",
        `the server sent more than the ${plan.contentLength} bytes it declared`,
        { status: response?.status ?? 0, discard: true },
      );
    const write = async (chunk: Uint8Array) => {
      ending?.push(chunk);
      if (openFile === undefined) {
        if (state.offset + chunk.length > (plan.contentLength ?? 0)) {
          throw tooMuch();
        }
        // Read into `buffer` already, or kept to be joined at the end.
        if (!byob) memory.push(chunk);
      } else {
        const target = openFile;
        await local(paths.part, () => writeAll(target, chunk)).catch((err) => {
          throw withRoomNeeded(err, (plan.total ?? 0) - state.offset);
        });
      }
      state.hash.update(chunk);
      state.offset += chunk.length;
      req.onProgress?.(chunk.length);
    };
    let streamedHead: Uint8Array | undefined;
    const flushHead = async () => {
      const joined = byob && inMemory
        ? new Uint8Array(buffer!, 0, headBytes)
        : concat(head, headBytes);
      head.length = 0;
      checkHead(joined, req.expect, response?.status ?? 0);
      ending = endScannerFor(sniff(joined).kind);
      if (startOffset === 0) streamedHead = joined.slice(0, SNIFF_BYTES);
      headChecked = true;
      if (joined.length > 0) await write(joined);
    };
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        if (byob && !inMemory) {
          // The last chunk is written (or copied into `head`): reuse.
          chunk = await byob.read(new Uint8Array(buffer!));
          if (chunk.value) buffer = chunk.value.buffer as ArrayBuffer;
        } else if (byob) {
          // Full: one more byte may only be the end (or too much).
          const at = headChecked ? state.offset : headBytes;
          const room = buffer!.byteLength - at;
          chunk = await byob.read(
            room > 0 ? new Uint8Array(buffer!, at, room) : new Uint8Array(1),
          );
          // The read moved the buffer (its old handle is detached).
          if (room > 0 && chunk.value) {
            buffer = chunk.value.buffer as ArrayBuffer;
          }
          if (room === 0 && !chunk.done && chunk.value.length > 0) {
            throw tooMuch();
          }
        } else chunk = await defaultReader!.read();
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        throw err;
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      idle.kick(chunk.done ? 0 : chunk.value.length);
      if (chunk.done) break;
      const bytes = chunk.value;
      if (bytes.length === 0) continue;
      if (!headChecked) {
        if (!byob) head.push(bytes);
        // The reused buffer is overwritten by the next read: copy.
        else if (!inMemory) head.push(bytes.slice());
        headBytes += bytes.length;
        if (headBytes >= SNIFF_BYTES) await flushHead();
      } else {
        await write(bytes);
      }
    }
    reader = undefined;
    if (!headChecked) await flushHead();
    idle.stop();

    // Check what arrived.
    const received = state.offset - startOffset;
    if (plan.decoders.length > 0) {
      if (
        plan.contentLength !== undefined && encodedBytes < plan.contentLength
      ) {
        throw new AttemptError(
          "transient",
          `the connection closed after ${encodedBytes} of ${plan.contentLength} bytes`,
          { status: response.status, discard: true },
        );
      }
    } else if (
      plan.contentLength !== undefined && received !== plan.contentLength
    ) {
      throw new AttemptError(
        "transient",
        `the connection closed after ${received} of ${plan.contentLength} bytes`,
        { status: response.status },
      );
    }
    if (plan.total !== undefined && state.offset !== plan.total) {
      throw new AttemptError(
        "transient",
        `received ${state.offset} of ${plan.total} bytes`,
        { status: response.status },
      );
    }
    if (state.offset === 0) {
      throw new AttemptError("transient", "the server sent an empty body", {
        status: response.status,
        discard: true,
      });
    }
    const sizeVerified = plan.total !== undefined ||
      (plan.decoders.length > 0 && plan.contentLength !== undefined);
    // A body that started at byte 0 was checked as it came in; a resumed
    // one is checked from the file.
    const fileHead = streamedHead ?? await readHead(paths.part, SNIFF_BYTES);
    checkHead(fileHead, req.expect, response.status);
    const sniffed = sniff(fileHead);
    // A JPEG must reach EOI and a PNG IEND, whatever length was declared
    // (a short Content-Length cuts a file "completely").
    let ended = startOffset === 0
      ? ending?.result()
      : await scanEnd(paths.part, sniffed.kind);
    const inMemoryBody = !inMemory
      ? undefined
      : byob
      ? new Uint8Array(buffer!, 0, state.offset)
      : concat(memory, state.offset);
    if (ended === "unparsed" && sniffed.kind === "jpeg") {
      const tail = inMemoryBody
        ? inMemoryBody.subarray(
          Math.max(0, inMemoryBody.length - JPEG_TAIL_BYTES),
        )
        : await readTail(paths.part, state.offset, JPEG_TAIL_BYTES);
      ended = hasJpegEnd(tail) ? "complete" : "truncated";
    }
    if (ended === "truncated") {
      throw new AttemptError(
        "transient",
        `the ${sniffed.kind.toUpperCase()} is truncated (no end marker)${
          sizeVerified ? "" : " and the server sent no length"
        }`,
        { status: response.status, discard: true },
      );
    }

    if (openFile === undefined) {
      // In memory: only a part an earlier attempt left is removed.
      if (attempt > 1) await removePart(paths);
    } else {
      // Promote: fsync, close, rename (after close, for Windows), fsync dir.
      const done = openFile;
      await local(paths.part, () => done.sync());
      done.close();
      file = undefined;
      await local(dest, () => Deno.rename(paths.part, dest));
      if (req.syncDir !== false) {
        await local(dest, () => fsyncDir(path.dirname(dest)));
      }
      if (state.metaOnDisk) await removeFile(paths.meta);
    }

    const declaredExt = extensionFromContentDisposition(
      response.headers.get("content-disposition"),
    ) ?? extensionFromUrl(finalUrl);
    const suggestedExtension = chooseExtension(declaredExt, sniffed.kind);
    const contentType = response.headers.get("content-type") ?? undefined;
    const etag = response.headers.get("etag") ?? state.etag;
    return {
      bytes: state.offset,
      sha256: state.hash.digest("hex"),
      finalUrl: redactUrl(finalUrl),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(etag !== undefined ? { etag } : {}),
      kind: sniffed.kind,
      ...(suggestedExtension !== undefined ? { suggestedExtension } : {}),
      resumed: state.carried || startOffset > 0,
      attempts: attempt,
      ...(inMemoryBody ? { body: inMemoryBody } : {}),
    };
  } catch (err) {
    throw toAttemptError(err, response?.status);
  } finally {
    idle.stop();
    userSignal?.removeEventListener("abort", onUserAbort);
    if (reader !== undefined) await reader.cancel().catch(() => {});
    else if (response?.body && !response.bodyUsed) {
      await response.body.cancel().catch(() => {});
    }
    try {
      file?.close();
    } catch {
      // Already closed.
    }
  }
}

/** A BYOB reader of `body`, or undefined if it is no byte stream. */
function byobReader(
  body: ReadableStream<Uint8Array>,
): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return undefined;
  }
}

/** Reads a finished part through the end check of its format. */
async function scanEnd(
  filePath: string,
  kind: string,
): Promise<EndCheck | undefined> {
  const scanner = endScannerFor(kind);
  if (!scanner) return undefined;
  await local(filePath, async () => {
    const file = await Deno.open(filePath, { read: true });
    // The readable closes the file when it ends or fails.
    for await (const chunk of file.readable) scanner.push(chunk);
  });
  return scanner.result();
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
