/**
 * Reading an export where it is: zips read in place (central directory,
 * then one entry at a time, streamed and CRC-checked by `@zip.js/zip.js`;
 * Zip64, stored and deflated entries), or folders of files that were
 * already unzipped (zips found inside a folder are read as zips).
 *
 * @module
 */

import { basename, join, relative } from "node:path";
import { createHash } from "node:crypto";
import { crc32, inflateRawSync } from "node:zlib";
import { readFullSync, writeAll, writeAllSync } from "../platform/fs.ts";
import {
  collectGarbageIfGrown,
  GC_CHECK_EVERY,
} from "../platform/collect_garbage.ts";
import {
  configure,
  type FileEntry,
  Reader,
  TextWriter,
  ZipReader,
} from "@zip.js/zip.js";

// No workers (the release binary has no permission for them), native
// DecompressionStream for deflate.
configure({
  useWebWorkers: false,
  useCompressionStream: true,
  chunkSize: 64 * 1024,
});

/**
 * One file of the export, wherever it is. Small on purpose: a big export
 * has hundreds of thousands of entries, and the zip library's own entry
 * objects (several KB each) are only made while an entry is read.
 */
export class ExportEntry {
  constructor(
    readonly source: ExportSource,
    /** File name without folders (exports are flat). */
    readonly name: string,
    /** Uncompressed size. */
    readonly size: number,
    /** Last modified (ms since the epoch; 0 when unknown). */
    readonly modified: number,
    /** Position in its zip's table of contents, or the file's path. */
    readonly ref: number | string,
    /** Name inside the zip, when it is not `name` (a folder in the zip). */
    readonly inner?: string,
  ) {}

  /** Where it is, for messages: `zip › entry` or a path. */
  get where(): string {
    return typeof this.ref === "string"
      ? relative(this.source.path, this.ref) || this.ref
      : `${basename(this.source.path)} › ${this.inner ?? this.name}`;
  }
}

/** An entry's data, open for reading ({@link readEntryText}, {@link copyEntryTo}). */
export type EntryData = FileEntry | string;

/** A zip or folder given on the command line. */
export interface ExportSource {
  path: string;
  kind: "zip" | "folder";
  entries: ExportEntry[];
  /** Set when the source could not be read (the rest is still imported). */
  damaged?: string;
}

/** Reads a zip through a file handle: the zip is never loaded whole. */
class FileHandleReader extends Reader<Deno.FsFile> {
  #file: Deno.FsFile;
  constructor(file: Deno.FsFile, size: number) {
    super(file);
    this.#file = file;
    this.size = size;
  }
  override readUint8Array(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(readAt(this.#file, offset, new Uint8Array(length)));
  }
}

/**
 * Fills `out` from `offset` of `file`; shorter at the end of the file.
 * Synchronous on purpose: an import is one flow of reads and writes, and
 * a sync read on the main thread neither hops to Deno's blocking thread
 * pool nor grows that pool's malloc arenas (the import's peak RSS).
 */
function readAt(
  file: Deno.FsFile,
  offset: number,
  out: Uint8Array,
): Uint8Array {
  file.seekSync(offset, Deno.SeekMode.Start);
  return out.subarray(0, readFullSync(file, out));
}

/** The open zip file of each entry handed out by {@link ExportSources.read}. */
const zipFileOf = new WeakMap<FileEntry, Deno.FsFile>();

/** Open zips and folders of one import. */
export class ExportSources implements AsyncDisposable {
  readonly sources: ExportSource[] = [];
  #zips: { reader: ZipReader<unknown>; file: Deno.FsFile }[] = [];
  #readers = new Map<ExportSource, ZipReader<unknown>>();
  #files = new Map<ExportSource, Deno.FsFile>();
  /** Entries listed or handed out so far (see {@link collectGarbageIfGrown}). */
  #seen = 0;

  /** Counts one entry; now and then a look at the heap. */
  #pace(): void {
    if (++this.#seen % GC_CHECK_EVERY === 0) collectGarbageIfGrown();
  }

  /** Opens every path (zip or folder); unreadable zips are marked damaged. */
  static async open(paths: string[]): Promise<ExportSources> {
    const out = new ExportSources();
    for (const path of paths) await out.#add(path);
    return out;
  }

  async #add(path: string): Promise<void> {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      const folder: ExportSource = { path, kind: "folder", entries: [] };
      const zips: string[] = [];
      await walk(path, async (file, size, mtime) => {
        if (/\.zip$/i.test(file)) {
          zips.push(file);
          return;
        }
        folder.entries.push(
          new ExportEntry(folder, basename(file), size, mtime, file),
        );
        await Promise.resolve();
      });
      if (folder.entries.length) this.sources.push(folder);
      for (const zip of zips.sort()) {
        await this.#addZip(zip, (await Deno.stat(zip)).size);
      }
      return;
    }
    await this.#addZip(path, info.size);
  }

  async #addZip(path: string, size: number): Promise<void> {
    const source: ExportSource = { path, kind: "zip", entries: [] };
    this.sources.push(source);
    const file = await Deno.open(path, { read: true });
    const reader = new ZipReader(new FileHandleReader(file, size));
    this.#zips.push({ reader, file });
    this.#readers.set(source, reader);
    this.#files.set(source, file);
    try {
      let index = 0;
      for await (const entry of reader.getEntriesGenerator()) {
        const at = index++;
        this.#pace();
        if (entry.directory) continue;
        const name = basename(entry.filename);
        source.entries.push(
          new ExportEntry(
            source,
            name,
            entry.uncompressedSize,
            entry.lastModDate?.getTime() ?? 0,
            at,
            name === entry.filename ? undefined : entry.filename,
          ),
        );
      }
    } catch (error) {
      source.damaged = `cannot read the zip's table of contents (${
        (error as Error).message
      }); ${source.entries.length} entries were listed before the damage`;
    }
  }

  /**
   * Opens `entries` for reading, one at a time, in the order of each zip's
   * table of contents (read once per call): use each `data` before asking
   * for the next. An entry that cannot be reached comes with an `error`.
   */
  async *read(
    entries: Iterable<ExportEntry>,
  ): AsyncGenerator<{ entry: ExportEntry; data?: EntryData; error?: Error }> {
    const bySource = new Map<ExportSource, Map<number, ExportEntry>>();
    for (const entry of entries) {
      if (typeof entry.ref === "string") {
        this.#pace();
        yield { entry, data: entry.ref };
        continue;
      }
      const wanted = bySource.get(entry.source) ?? new Map();
      wanted.set(entry.ref, entry);
      bySource.set(entry.source, wanted);
    }
    for (const [source, wanted] of bySource) {
      const reader = this.#readers.get(source)!;
      const file = this.#files.get(source)!;
      let failure: Error | undefined;
      try {
        let index = 0;
        for await (const data of reader.getEntriesGenerator()) {
          const entry = wanted.get(index++);
          if (!entry || data.directory) continue;
          wanted.delete(entry.ref as number);
          zipFileOf.set(data, file);
          this.#pace();
          yield { entry, data };
          if (!wanted.size) break;
        }
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
      for (const entry of wanted.values()) {
        yield {
          entry,
          error: failure ??
            new Error("the entry is no longer in the zip's table of contents"),
        };
      }
    }
  }

  /** Every entry of every source. */
  *entries(): Iterable<ExportEntry> {
    for (const source of this.sources) yield* source.entries;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const { reader, file } of this.#zips) {
      await reader.close().catch(() => undefined);
      try {
        file.close();
      } catch {
        // already closed
      }
    }
    this.#zips = [];
    this.#readers.clear();
    this.#files.clear();
  }
}

async function walk(
  dir: string,
  visit: (file: string, size: number, mtime: number) => Promise<void>,
): Promise<void> {
  const names: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry);
  names.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const entry of names) {
    const path = join(dir, entry.name);
    if (entry.isSymlink) continue; // never followed out of the export
    if (entry.isDirectory) await walk(path, visit);
    else if (entry.isFile && !entry.name.startsWith(".")) {
      const info = await Deno.stat(path);
      await visit(path, info.size, info.mtime?.getTime() ?? 0);
    }
  }
}

/** The text of an entry (JSON files), CRC-checked. */
export async function readEntryText(data: EntryData): Promise<string> {
  if (typeof data === "string") return await Deno.readTextFile(data);
  const bytes = readSmall(data, SMALL_ENTRY);
  if (bytes) return decoder.decode(bytes);
  return await data.getData(new TextWriter(), { checkSignature: true });
}

/**
 * A photo's bytes in memory when its entry is at most `limit` bytes (then
 * tagged in memory and written once), else `undefined` (streamed with
 * {@link copyEntryTo}). The bytes of a stored entry are a view of a buffer
 * reused by the next read: use them before reading another entry.
 */
export async function readEntryBytes(
  data: EntryData,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (typeof data !== "string") return readSmall(data, limit);
  const info = await Deno.stat(data);
  return info.size <= limit ? await Deno.readFile(data) : undefined;
}

/** Up to this size a plain entry is read whole, without zip.js's streams. */
const SMALL_ENTRY = 8 * 1024 * 1024;
const decoder = new TextDecoder();
const localHeader = new Uint8Array(30);
/** Raw entry bytes of each read, reused (grown up to {@link SCRATCH_MAX}). */
let scratch = new Uint8Array(64 * 1024);
const SCRATCH_MAX = 8 * 1024 * 1024;

/** A stored or deflated entry of at most `limit` bytes, read whole. */
function readSmall(entry: FileEntry, limit: number): Uint8Array | undefined {
  const file = zipFileOf.get(entry);
  const plain = file && !entry.encrypted && entry.diskNumberStart === 0 &&
    (entry.compressionMethod === 0 || entry.compressionMethod === 8) &&
    entry.compressedSize <= limit && entry.uncompressedSize <= limit;
  return plain ? readSmallEntry(file, entry) : undefined;
}

/**
 * A small stored or deflated entry in two reads (local header, then data),
 * inflated in one call and CRC-checked. zip.js's streams make ~30 KB of
 * garbage per entry, which V8 lets pile up in old space over a big import.
 */
function readSmallEntry(file: Deno.FsFile, entry: FileEntry): Uint8Array {
  const start = dataStart(file, entry);
  const size = entry.compressedSize;
  if (size > scratch.length && size <= SCRATCH_MAX) {
    scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  }
  const into = size <= scratch.length ? scratch : new Uint8Array(size);
  const raw = readAt(file, start, into.subarray(0, size));
  if (raw.length < size) {
    throw new Error("the entry is cut short (end of the zip reached)");
  }
  let bytes: Uint8Array;
  try {
    bytes = entry.compressionMethod === 0 ? raw : inflateRawSync(raw);
  } catch (error) {
    throw new Error(`cannot inflate the entry (${(error as Error).message})`);
  }
  if (
    bytes.length !== entry.uncompressedSize ||
    crc32(bytes) !== entry.crc32
  ) {
    throw new Error("the entry is damaged (its CRC-32 does not match)");
  }
  return bytes;
}

/** Where an entry's data starts (after its local header). */
function dataStart(file: Deno.FsFile, entry: FileEntry): number {
  const head = readAt(file, entry.offset, localHeader);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < 30 || view.getUint32(0, true) !== 0x04034b50) {
    throw new Error("Local file header not found");
  }
  return entry.offset + 30 + view.getUint16(26, true) +
    view.getUint16(28, true);
}

/**
 * Writes `bytes` to a new file `dest` (created, never overwritten) with
 * `mtime` as its access and modification time, and syncs it; on any error
 * the file is removed. Synchronous like {@link readAt}.
 */
export function writeNewFile(
  dest: string,
  bytes: Uint8Array,
  mtime: Date | undefined,
): void {
  const out = Deno.openSync(dest, { write: true, createNew: true });
  try {
    writeAllSync(out, bytes);
    if (mtime) out.utimeSync(mtime, mtime);
    out.syncSync();
    out.close();
  } catch (error) {
    try {
      out.close();
    } catch {
      // already closed
    }
    try {
      Deno.removeSync(dest);
    } catch {
      // never created or already gone
    }
    throw error;
  }
}

/**
 * Streams an entry into a new file `dest` (created, never overwritten),
 * hashing while writing, and syncs it. On any error the file is removed.
 * A folder's file or a stored entry is copied through one reused buffer;
 * other entries through zip.js's streams.
 */
export async function copyEntryTo(
  data: EntryData,
  dest: string,
  signal?: AbortSignal,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const out = await Deno.open(dest, { write: true, createNew: true });
  try {
    if (typeof data === "string") {
      using input = await Deno.open(data, { read: true });
      bytes = await copyRange(input, 0, Infinity, out, hash, signal);
    } else if (storedPlain(data)) {
      const file = zipFileOf.get(data)!;
      bytes = await copyRange(
        file,
        dataStart(file, data),
        data.compressedSize,
        out,
        hash,
        signal,
        data.crc32,
      );
    } else {
      const writer = out.writable.getWriter();
      const sink = new WritableStream<Uint8Array>({
        async write(chunk) {
          if (signal?.aborted) throw signal.reason;
          hash.update(chunk);
          bytes += chunk.byteLength;
          await writer.write(chunk);
        },
      });
      // No `signal` option: zip.js would keep a listener on the run's
      // signal per entry; the sink checks it instead.
      await data.getData(sink, { checkSignature: true });
      await out.sync();
      await writer.close();
      return { bytes, sha256: hash.digest("hex") };
    }
    await out.sync();
    out.close();
  } catch (error) {
    try {
      out.close();
    } catch {
      // closed by the stream already
    }
    await Deno.remove(dest).catch(() => undefined);
    throw error;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** One buffer for every streamed copy (an import copies one file at a time). */
const copyBuffer = new Uint8Array(1024 * 1024);

/** A stored entry that {@link copyEntryTo} can copy straight from the zip. */
function storedPlain(entry: FileEntry): boolean {
  return zipFileOf.has(entry) && !entry.encrypted &&
    entry.diskNumberStart === 0 && entry.compressionMethod === 0 &&
    entry.compressedSize === entry.uncompressedSize;
}

/**
 * Copies `length` bytes (to the end when Infinity) from `start` of `input`
 * to `out` through {@link copyBuffer}, hashing them; when `crc` is given,
 * the bytes must be exactly `length` and match it.
 */
async function copyRange(
  input: Deno.FsFile,
  start: number,
  length: number,
  out: Deno.FsFile,
  hash: { update(data: Uint8Array): unknown },
  signal: AbortSignal | undefined,
  crc?: number,
): Promise<number> {
  await input.seek(start, Deno.SeekMode.Start);
  let copied = 0;
  let sum = 0;
  while (copied < length) {
    if (signal?.aborted) throw signal.reason;
    const want = Math.min(copyBuffer.length, length - copied);
    const n = await input.read(copyBuffer.subarray(0, want));
    if (n === null) break;
    const chunk = copyBuffer.subarray(0, n);
    hash.update(chunk);
    if (crc !== undefined) sum = crc32(chunk, sum);
    await writeAll(out, chunk);
    copied += n;
  }
  if (crc !== undefined && copied < length) {
    throw new Error("the entry is cut short (end of the zip reached)");
  }
  if (crc !== undefined && sum !== crc) {
    throw new Error("the entry is damaged (its CRC-32 does not match)");
  }
  return copied;
}

/** The first `length` bytes of an entry (format and pixel size checks). */
export async function readEntryHead(
  path: string,
  length: number,
): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const out = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const n = await file.read(out.subarray(read));
    if (n === null) break;
    read += n;
  }
  return out.subarray(0, read);
}

/** The first `length` bytes of an entry's data (the rest is not read). */
export async function readDataHead(
  data: EntryData,
  length: number,
): Promise<Uint8Array> {
  if (typeof data === "string") return await readEntryHead(data, length);
  const out = new Uint8Array(length);
  let filled = 0;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      const n = Math.min(chunk.byteLength, length - filled);
      out.set(chunk.subarray(0, n), filled);
      filled += n;
      // Enough: stop reading (the error is expected below).
      if (filled >= length) throw new Error("head read");
    },
  });
  try {
    await data.getData(sink, { checkSignature: false });
  } catch (error) {
    if (filled < length) throw error;
  }
  return out.subarray(0, filled);
}
