/**
 * The shapes of metadata embedding: options and outcomes of
 * `embedMetadata` and `writeXmpSidecar` (see `embed.ts`).
 *
 * @module
 */

import { type DateResolution, type DateSource } from "./fields.ts";

/** Options for {@link embedMetadata}. */
export interface EmbedOptions {
  /**
   * When to write `<file>.xmp`: "auto" (default) for formats whose own
   * metadata we do not write (video, GIF, …), for PNG, and for JPEGs whose
   * XMP could not be written; "always"; or "never".
   */
  xmpSidecar?: "auto" | "always" | "never";
  /** Largest header read into memory; bigger headers are skipped. */
  maxHeaderBytes?: number;
  /**
   * Modification (and access) time for a rewritten file. By default the
   * original's times are kept; see {@link setFileTimes} to set the date taken.
   */
  mtime?: Date;
}

/** Detected file format (by magic bytes, never by extension). */
export type FileFormat = "jpeg" | "png" | "other";

/** Outcome of {@link embedMetadata}. */
export interface EmbedResult {
  /**
   * What happened to the file itself: "written" (rewritten and verified),
   * "unchanged" (it already held these values), or "skipped" (not touched:
   * a format we do not write into, which is expected and has no warning, or a
   * problem, which has a warning).
   */
  status: "written" | "unchanged" | "skipped";
  /** Detected format. */
  format: FileFormat;
  /** Problems, each a sentence; empty when all went to plan. */
  warnings: string[];
  /** Where the date written came from (for the JSON sidecar). */
  dateSource: DateSource;
  /** The resolved date in each format's notation. */
  date: DateResolution;
  /**
   * SHA-256 (hex) of the whole file as written and read back, present when
   * the file was written (so callers need not read it again).
   */
  sha256?: string;
  /** Final file size, present when the file was written. */
  bytes?: number;
  /** The XMP sidecar, when one was considered. */
  sidecar?: SidecarResult;
}

/** Outcome of {@link writeXmpSidecar}. */
export interface SidecarResult {
  /** Sidecar path. */
  path: string;
  /** "skipped" means an existing sidecar could not be merged (kept as is). */
  status: "written" | "unchanged" | "skipped";
  /** Problems, each a sentence. */
  warnings: string[];
}
/** Options for {@link writeXmpSidecar}. */
export interface SidecarOptions {
  /** The camera's DateTimeOriginal, for the date policy. */
  cameraDateTimeOriginal?: string;
}
