/**
 * Writing Flickr metadata into backed-up files: EXIF, XMP and IPTC inside
 * JPEGs, XMP inside PNGs, and XMP sidecars for everything else, without
 * ExifTool and without touching the image data.
 *
 * ```ts
 * const result = await embedMetadata(path, meta);
 * // result.status, result.warnings, result.dateSource, result.sha256
 * ```
 *
 * @module
 */

export {
  DEFAULT_MAX_HEADER_BYTES,
  embedMetadata,
  type EmbedOptions,
  type EmbedResult,
  type FileFormat,
  setFileTimes,
  type SidecarOptions,
  type SidecarResult,
  TEMP_SUFFIX,
  writeXmpSidecar,
} from "./embed.ts";
export {
  type DateGranularity,
  type DateResolution,
  dateResolutionToLocalDate,
  type DateSource,
  type PhotoMetadata,
  resolveDateTaken,
} from "./fields.ts";
