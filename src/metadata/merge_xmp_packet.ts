/**
 * Merging our rdf:Description into an XMP packet ({@link mergeXmpPacket}).
 *
 * Merge rule for a packet written by someone else (camera, phone, Lightroom):
 * every other property is kept byte for byte (motion-photo and depth-map
 * descriptors live here), each property we are about to write is removed from
 * the other descriptions (XMP allows one value per property; ExifTool flags
 * duplicates), and our description is added at the end of `rdf:RDF`. A packet
 * that does not parse as plain XML, or has an unusual RDF shape, is not
 * touched at all: the caller keeps it and reports a warning.
 *
 * Our description declares the flickr-backup namespace; that declaration is
 * how a later run finds and replaces it.
 *
 * Pure: strings in, strings out.
 *
 * @module
 */

import {
  buildDescription,
  FLICKR_BACKUP_NS,
  hasProperties,
  NS,
  ownedProperties,
  type XmpFields,
} from "./build_description.ts";
import {
  parseXml,
  resolve,
  resolveAttr,
  walk,
  type XmlElement,
  XmpParseError,
} from "./parse_xml.ts";

const PACKET_HEAD =
  '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
  `<x:xmpmeta xmlns:x="${NS.x}" x:xmptk="flickr-backup">\n` +
  ` <rdf:RDF xmlns:rdf="${NS.rdf}">\n </rdf:RDF>\n</x:xmpmeta>\n`;
const PACKET_TAIL = '<?xpacket end="w"?>';

/** An empty packet, the starting point when a file has no XMP. */
export const EMPTY_PACKET = PACKET_HEAD + PACKET_TAIL;

interface RdfShape {
  rdf: XmlElement;
  descriptions: XmlElement[];
}

export function rdfShape(text: string): RdfShape {
  const roots = parseXml(text);
  const rdfs = [...walk(roots)].filter((e) => {
    const [uri, local] = resolve(e, e.name);
    return uri === NS.rdf && local === "RDF";
  });
  if (rdfs.length !== 1) {
    throw new XmpParseError(
      `expected one rdf:RDF element, found ${rdfs.length}`,
    );
  }
  const rdf = rdfs[0]!;
  if (rdf.end === rdf.startTagEnd) throw new XmpParseError("empty rdf:RDF");
  for (const child of rdf.children) {
    const [uri, local] = resolve(child, child.name);
    if (uri !== NS.rdf || local !== "Description") {
      throw new XmpParseError(`unsupported RDF node <${child.name}>`);
    }
  }
  return { rdf, descriptions: rdf.children };
}

export function isOurs(description: XmlElement): boolean {
  return description.attrs.some((a) =>
    (a.name === "xmlns" || a.name.startsWith("xmlns:")) &&
    a.value === FLICKR_BACKUP_NS
  );
}

/** Start of the run of whitespace that ends at `pos`. */
export function whitespaceStart(text: string, pos: number): number {
  let at = pos;
  while (at > 0 && /\s/.test(text[at - 1]!)) at--;
  return at;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

/**
 * Merges our description for `fields` into `packet` (see the module doc for
 * the rule). Throws {@link XmpParseError} when the packet cannot be merged
 * safely. The result is the same for the same inputs, and merging twice gives
 * the same packet as merging once.
 */
export function mergeXmpPacket(packet: string, fields: XmpFields): string {
  const shape = rdfShape(packet);
  // A camera's exif:DateTimeOriginal must tell the same date as the rest:
  // when the packet has one (ours included, on a rerun), we write it too.
  const isDto = (uri: string, local: string) =>
    uri === NS.exif && local === "DateTimeOriginal";
  const hasDto = fields.date !== undefined &&
    shape.descriptions.some((d) =>
      d.attrs.some((a) => isDto(...resolveAttr(d, a.name))) ||
      d.children.some((c) => isDto(...resolve(c, c.name)))
    );
  const withDto: XmpFields = hasDto
    ? { ...fields, dateTimeOriginal: fields.date! }
    : fields;
  const owned = ownedProperties(withDto);
  const isOwned = (uri: string, local: string) =>
    owned.some(([u, l]) => u === uri && l === local);

  // Phase 1: remove our old description and the properties we now own.
  const edits: Edit[] = [];
  let about: string | undefined;
  for (const description of shape.descriptions) {
    if (isOurs(description)) {
      edits.push({
        start: whitespaceStart(packet, description.start),
        end: description.end,
        text: "",
      });
      continue;
    }
    about ??= description.attrs.find((a) => {
      const [uri, local] = resolveAttr(description, a.name);
      // Old writers put an unprefixed about=, which readers take as
      // rdf:about.
      return (uri === NS.rdf && local === "about") || a.name === "about";
    })?.value;
    for (const attr of description.attrs) {
      const [uri, local] = resolveAttr(description, attr.name);
      if (isOwned(uri, local)) {
        edits.push({ start: attr.leadStart, end: attr.end, text: "" });
      }
    }
    for (const property of description.children) {
      const [uri, local] = resolve(property, property.name);
      if (isOwned(uri, local)) {
        edits.push({
          start: whitespaceStart(packet, property.start),
          end: property.end,
          text: "",
        });
      }
    }
  }
  const stripped = applyEdits(packet, edits);
  if (!hasProperties(withDto)) return stripped;

  // Phase 2: add ours as the last child of rdf:RDF.
  const { rdf } = rdfShape(stripped);
  const insertAt = whitespaceStart(stripped, rdf.endTagStart);
  const declareRdf = rdf.ns.get("rdf") !== NS.rdf;
  const ours = buildDescription(withDto, about ?? "", declareRdf);
  return stripped.slice(0, insertAt) + "\n  " + ours +
    stripped.slice(insertAt);
}

/** Builds a fresh packet holding only our description. */
export function buildXmpPacket(fields: XmpFields): string {
  return freshXmpPacket(fields).packet;
}

/**
 * A fresh packet holding only our description, and that description: the
 * very string {@link mergeXmpPacket} makes from {@link EMPTY_PACKET}, built
 * without parsing anything (a backup's typical photo has no XMP of its own).
 */
export function freshXmpPacket(
  fields: XmpFields,
): { packet: string; ours: string | undefined } {
  if (!hasProperties(fields)) return { packet: EMPTY_PACKET, ours: undefined };
  const insertAt = whitespaceStart(EMPTY_PACKET, EMPTY_RDF_END);
  const ours = buildDescription(fields, "", false);
  return {
    packet: EMPTY_PACKET.slice(0, insertAt) + "\n  " + ours +
      EMPTY_PACKET.slice(insertAt),
    ours,
  };
}

/** Where `</rdf:RDF>` starts in {@link EMPTY_PACKET}. */
const EMPTY_RDF_END = EMPTY_PACKET.indexOf("</rdf:RDF>");
