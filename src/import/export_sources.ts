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
  override async readUint8Array(
    offset: number,
    length: number,
  ): Promise<Uint8Array> {
    return await readAt(this.#file, offset, new Uint8Array(length));
  }
}

/** Fills `out` from `offset` of `file`; shorter at the end of the file. */
async function readAt(
  file: Deno.FsFile,
  offset: number,
  out: Uint8Array,
): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  let read = 0;
  while (read < out.length) {
    const n = await file.read(out.subarray(read));
    if (n === null) break;
    read += n;
  }
  return out.subarray(0, read);
}

/** The open zip file of each entry handed out by {@link ExportSources.read}. */
const zipFileOf = new WeakMap<FileEntry, Deno.FsFile>();

/** Open zips and folders of one import. */
export class ExportSources implements AsyncDisposable {
  readonly sources: ExportSource[] = [];
  #zips: { reader: ZipReader<unknown>; file: Deno.FsFile }[] = [];
  #readers = new Map<ExportSource, ZipReader<unknown>>();
  #files = new Map<ExportSource, Deno.FsFile>();

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
  const file = zipFileOf.get(data);
  const plain = !data.encrypted && data.diskNumberStart === 0 &&
    (data.compressionMethod === 0 || data.compressionMethod === 8) &&
    data.compressedSize <= SMALL_ENTRY && data.uncompressedSize <= SMALL_ENTRY;
  if (!file || !plain) {
    return await data.getData(new TextWriter(), { checkSignature: true });
  }
  return decoder.decode(await readSmallEntry(file, data));
}

/** Up to this size a plain entry is read whole, without zip.js's streams. */
const SMALL_ENTRY = 8 * 1024 * 1024;
const decoder = new TextDecoder();
const localHeader = new Uint8Array(30);

/**
 * A small stored or deflated entry in two reads (local header, then data),
 * inflated in one call and CRC-checked. zip.js's streams make ~30 KB of
 * garbage per entry, which V8 lets pile up in old space over a big import.
 */
async function readSmallEntry(
  file: Deno.FsFile,
  entry: FileEntry,
): Promise<Uint8Array> {
  const head = await readAt(file, entry.offset, localHeader);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < 30 || view.getUint32(0, true) !== 0x04034b50) {
    throw new Error("Local file header not found");
  }
  const start = entry.offset + 30 + view.getUint16(26, true) +
    view.getUint16(28, true);
  const raw = await readAt(file, start, new Uint8Array(entry.compressedSize));
  if (raw.length < entry.compressedSize) {
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

/**
 * Streams an entry into a new file `dest` (created, never overwritten),
 * hashing while writing, and syncs it. On any error the file is removed.
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
    const writer = out.writable.getWriter();
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        if (signal?.aborted) throw signal.reason;
        hash.update(chunk);
        bytes += chunk.byteLength;
        await writer.write(chunk);
      },
    });
    if (typeof data === "string") {
      using input = await Deno.open(data, { read: true });
      await input.readable.pipeTo(sink);
    } else {
      // No `signal` option: zip.js would keep a listener on the run's signal
      // per entry; the sink checks it instead.
      await data.getData(sink, { checkSignature: true });
    }
    await out.sync();
    await writer.close();
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
