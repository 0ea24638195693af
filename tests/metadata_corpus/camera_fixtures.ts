/**
 * Faithful reproductions of the byte layouts real cameras write and that
 * once defeated the metadata writer (issue 15): a corrupt type-0 IFD0 entry
 * (Sony DSC-HX5V), a 64 KiB Exif segment ending in zero padding (Nikon
 * D3100/D90), a second ExifIFD reached from IFD1 (Olympus µ800), a GPSInfo
 * pointer with count 0 (PMB uploads), maker-note preview offsets pointing
 * past EOI (Minolta, Olympus, Canon, Pentax, Sony, Samsung), and UTF-16 XMP.
 *
 * A small TIFF builder lays out IFDs exactly in the order given (not sorted),
 * with values after each table, so a fixture can hold what cameras hold.
 *
 * @module
 */

import { concatBytes, latin1Bytes, utf8 } from "../../src/metadata/_bytes.ts";
import { encodeJpeg, exifSegment } from "../helpers/media_builders.ts";
import { buildSegment } from "../../src/metadata/jpeg_segments.ts";

/** One IFD entry of a fixture. */
export interface FixtureEntry {
  tag: number;
  type: number;
  count: number;
  /** Value bytes (in the block's byte order); placed inline when <= 4. */
  value?: Uint8Array;
  /** A sub-IFD this entry points at (LONG pointer). */
  ifd?: FixtureIfd;
  /** The 4-byte value field verbatim, computed once the layout is known. */
  field?: (layout: Layout) => Uint8Array;
  /** Out-of-line value computed from its own offset (maker notes). */
  blob?: { size: number; bytes: (at: number, layout: Layout) => Uint8Array };
}

/** An IFD of a fixture: entries in file order. */
export interface FixtureIfd {
  entries: FixtureEntry[];
  next?: FixtureIfd;
}

/** Where each IFD of a laid-out fixture starts. */
export interface Layout {
  offsetOf(ifd: FixtureIfd): number;
}

/** Byte writers for one byte order. */
export class Order {
  constructor(readonly little: boolean) {}
  u16(v: number): Uint8Array {
    const out = new Uint8Array(2);
    new DataView(out.buffer).setUint16(0, v, this.little);
    return out;
  }
  u32(v: number): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, v, this.little);
    return out;
  }
  ascii(text: string): FixtureEntryValue {
    const value = concatBytes([latin1Bytes(text), new Uint8Array(1)]);
    return { type: 2, count: value.length, value };
  }
  short(v: number): FixtureEntryValue {
    return { type: 3, count: 1, value: this.u16(v) };
  }
  long(v: number): FixtureEntryValue {
    return { type: 4, count: 1, value: this.u32(v) };
  }
  rational(n: number, d: number): FixtureEntryValue {
    return {
      type: 5,
      count: 1,
      value: concatBytes([this.u32(n), this.u32(d)]),
    };
  }
}

type FixtureEntryValue = Pick<FixtureEntry, "type" | "count" | "value">;

/** Lays out a TIFF block: header, then each IFD with its values. */
export function buildTiff(
  order: Order,
  ifd0: FixtureIfd,
  options: { padTo?: number } = {},
): Uint8Array {
  // Pass 1: offsets.
  const offsets = new Map<FixtureIfd, number>();
  const valueAt = new Map<FixtureEntry, number>();
  let pos = 8;
  const place = (ifd: FixtureIfd) => {
    pos += pos & 1;
    offsets.set(ifd, pos);
    pos += 2 + ifd.entries.length * 12 + 4;
    for (const entry of ifd.entries) {
      const size = entry.blob?.size ?? entry.value?.length ?? 0;
      if (entry.ifd || entry.field || size <= 4) continue;
      pos += pos & 1;
      valueAt.set(entry, pos);
      pos += size;
    }
    for (const entry of ifd.entries) if (entry.ifd) place(entry.ifd);
    if (ifd.next) place(ifd.next);
  };
  place(ifd0);
  const total = Math.max(pos, options.padTo ?? 0);
  const out = new Uint8Array(total);
  const layout: Layout = { offsetOf: (ifd) => offsets.get(ifd)! };
  out.set(latin1Bytes(order.little ? "II" : "MM"), 0);
  out.set(order.u16(42), 2);
  out.set(order.u32(8), 4);
  // Pass 2: bytes.
  const write = (ifd: FixtureIfd) => {
    const at = offsets.get(ifd)!;
    out.set(order.u16(ifd.entries.length), at);
    ifd.entries.forEach((entry, i) => {
      const e = at + 2 + i * 12;
      out.set(order.u16(entry.tag), e);
      out.set(order.u16(entry.type), e + 2);
      out.set(order.u32(entry.count), e + 4);
      if (entry.ifd) {
        out.set(order.u32(offsets.get(entry.ifd)!), e + 8);
      } else if (entry.field) {
        out.set(entry.field(layout), e + 8);
      } else if (valueAt.has(entry)) {
        const v = valueAt.get(entry)!;
        out.set(order.u32(v), e + 8);
        out.set(
          entry.blob ? entry.blob.bytes(v, layout) : entry.value!,
          v,
        );
      } else if (entry.value) {
        out.set(entry.value, e + 8);
      }
    });
    const nextAt = at + 2 + ifd.entries.length * 12;
    out.set(order.u32(ifd.next ? offsets.get(ifd.next)! : 0), nextAt);
    for (const entry of ifd.entries) if (entry.ifd) write(entry.ifd);
    if (ifd.next) write(ifd.next);
  };
  write(ifd0);
  return out;
}

/** A camera-like ExifIFD. */
export function exifIfd(
  order: Order,
  date: string,
  extra: FixtureEntry[] = [],
): FixtureIfd {
  return {
    entries: [
      { tag: 0x829a, ...order.rational(1, 125) },
      { tag: 0x829d, ...order.rational(56, 10) },
      { tag: 0x8827, ...order.short(200) },
      { tag: 0x9000, type: 7, count: 4, value: latin1Bytes("0230") },
      { tag: 0x9003, ...order.ascii(date) },
      { tag: 0x9004, ...order.ascii(date) },
      { tag: 0x9101, type: 7, count: 4, value: Uint8Array.of(1, 2, 3, 0) },
      ...extra,
      { tag: 0xa000, type: 7, count: 4, value: latin1Bytes("0100") },
      { tag: 0xa001, ...order.short(1) },
      { tag: 0xa002, ...order.short(64) },
      { tag: 0xa003, ...order.short(48) },
    ].sort((a, b) => a.tag - b.tag),
  };
}

/** IFD0 basics for `make`/`model`, sorted, plus `extra` entries at the end. */
export function ifd0Entries(
  order: Order,
  make: string,
  model: string,
): FixtureEntry[] {
  return [
    { tag: 0x010f, ...order.ascii(make) },
    { tag: 0x0110, ...order.ascii(model) },
    { tag: 0x0112, ...order.short(1) },
    { tag: 0x011a, ...order.rational(72, 1) },
    { tag: 0x011b, ...order.rational(72, 1) },
    { tag: 0x0128, ...order.short(2) },
    { tag: 0x0132, ...order.ascii("2010:05:06 07:08:09") },
    { tag: 0x0213, ...order.short(2) },
  ];
}

/** A JPEG with `segments` after SOI and `trailer` after EOI. */
export function jpegWith(
  segments: Uint8Array[],
  trailer: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const image = encodeJpeg({ width: 64, height: 48, noise: 4, segments });
  return concatBytes([image, trailer]);
}

/** A small valid JPEG to use as a preview image. */
export function previewJpeg(): Uint8Array {
  return encodeJpeg({ width: 16, height: 16, noise: 2, seed: 7 });
}

/**
 * Sony DSC-HX5V: IFD0 holds a corrupt entry (tag 0x0001, type 0, count 0) in
 * 4th place. A reader ignores an IFD whose *first* entry has a bad type.
 */
export function sonyCorruptEntryJpeg(): Uint8Array {
  const o = new Order(true);
  const base = ifd0Entries(o, "SONY", "DSC-HX5V");
  const ifd0: FixtureIfd = {
    entries: [
      ...base.slice(0, 3),
      { tag: 0x0001, type: 0, count: 0, value: new Uint8Array(4) },
      ...base.slice(3),
      {
        tag: 0x8769,
        type: 4,
        count: 1,
        ifd: exifIfd(o, "2010:05:06 07:08:09"),
      },
    ],
  };
  return jpegWith([exifSegment(buildTiff(o, ifd0))]);
}

/**
 * Nikon D3100/D90: a 64 KiB Exif segment whose last ~20 KB are zeros (the
 * camera reserves room), with a MakerNote and a thumbnail.
 */
export function nikonPaddedJpeg(): Uint8Array {
  const o = new Order(false);
  const maker = concatBytes([
    latin1Bytes("Nikon\0\x02\x10\0\0"),
    buildTiff(o, {
      entries: [
        { tag: 0x0001, type: 7, count: 4, value: latin1Bytes("0210") },
        {
          tag: 0x0002,
          type: 3,
          count: 2,
          value: concatBytes([o.u16(0), o.u16(200)]),
        },
      ],
    }),
    new Uint8Array(40000).fill(0x5a),
  ]);
  const ifd0: FixtureIfd = {
    entries: [
      ...ifd0Entries(o, "NIKON CORPORATION", "NIKON D90"),
      {
        tag: 0x8769,
        type: 4,
        count: 1,
        ifd: exifIfd(o, "2011:02:03 04:05:06", [
          { tag: 0x927c, type: 7, count: maker.length, value: maker },
        ]),
      },
    ],
  };
  return jpegWith([exifSegment(buildTiff(o, ifd0, { padTo: 65533 - 6 }))]);
}

/**
 * Olympus µ800: IFD1 carries its own ExifIFD pointer to a second ExifIFD that
 * repeats DateTimeOriginal.
 */
export function olympusSecondExifJpeg(): Uint8Array {
  const o = new Order(true);
  const date = "2006:01:02 03:04:05";
  const ifd1: FixtureIfd = {
    entries: [
      { tag: 0x0103, ...o.short(6) },
      { tag: 0x8769, type: 4, count: 1, ifd: exifIfd(o, date) },
    ],
  };
  const ifd0: FixtureIfd = {
    entries: [
      ...ifd0Entries(o, "OLYMPUS IMAGING CORP.", "u800,S800"),
      { tag: 0x8769, type: 4, count: 1, ifd: exifIfd(o, date) },
    ],
    next: ifd1,
  };
  return jpegWith([exifSegment(buildTiff(o, ifd0))]);
}

/**
 * A GPSInfo pointer with count 0 whose value field holds the ExifIFD offset
 * (Sony PMB uploads): there is no GPS IFD.
 */
export function countZeroGpsJpeg(): Uint8Array {
  const o = new Order(true);
  const exif = exifIfd(o, "2012:06:23 08:24:05");
  const ifd0: FixtureIfd = {
    entries: [
      ...ifd0Entries(o, "Polyphony Digital Inc.", "Gran Turismo 5"),
      { tag: 0x8769, type: 4, count: 1, ifd: exif },
      {
        tag: 0x8825,
        type: 4,
        count: 0,
        field: (layout) => o.u32(layout.offsetOf(exif)),
      },
    ],
  };
  return jpegWith([exifSegment(buildTiff(o, ifd0))]);
}

/** Maker-note styles whose preview offsets point past EOI. */
export type TailPreviewMake =
  | "minolta"
  | "olympus"
  | "canon"
  | "pentax"
  | "samsung";

/**
 * A camera whose maker note points at a preview JPEG stored after EOI
 * (Minolta DiMAGE, Olympus µ1020, Pentax, Samsung S730 "STMN") or, for
 * Canon, at OriginalDecisionData after EOI (an offset from the start of the
 * file).
 * Returns the file and the preview bytes.
 */
export function tailPreviewJpeg(
  make: TailPreviewMake,
): { file: Uint8Array; preview: Uint8Array } {
  const le = new Order(true);
  const preview = make === "canon"
    ? concatBytes([
      // Version 3 original decision data: marker, version, two SHA-1
      // records and a last length-prefixed record.
      Uint8Array.of(0xff, 0xff, 0xff, 0xff),
      le.u32(3),
      le.u32(20),
      new Uint8Array(20).fill(0xa1),
      le.u32(20),
      new Uint8Array(20).fill(0xb2),
      le.u32(12),
      new Uint8Array(8).fill(0xc3),
    ])
    : previewJpeg();
  const o = new Order(make === "minolta" || make === "pentax" ? false : true);
  const names: Record<TailPreviewMake, [string, string]> = {
    minolta: ["Minolta Co., Ltd.", "DiMAGE 7Hi"],
    olympus: ["OLYMPUS IMAGING CORP.", "u1020,S1020"],
    canon: ["Canon", "Canon EOS 30D"],
    pentax: ["PENTAX Corporation", "PENTAX Optio 750Z"],
    samsung: ["SAMSUNG", "S730 / S733"],
  };
  // Built twice: the preview offset depends on the final file length.
  const build = (previewAt: number) => {
    const pointer = (tag: number, lengthTag: number): FixtureEntry[] =>
      [
        { tag: lengthTag, ...o.long(preview.length) },
        { tag, ...o.long(previewAt) },
      ].sort((a, b) => a.tag - b.tag);
    let makerIfd: FixtureIfd;
    let header: Uint8Array;
    if (make === "canon") {
      makerIfd = {
        entries: [
          { tag: 0x0006, ...o.ascii("Canon EOS 30D") },
          { tag: 0x0083, ...o.long(previewAt) },
        ],
      };
      header = new Uint8Array(0);
    } else if (make === "olympus") {
      makerIfd = {
        entries: [
          { tag: 0x0200, type: 4, count: 3, value: new Uint8Array(12) },
          { tag: 0x1035, ...o.long(1) },
          ...pointer(0x1036, 0x1037),
        ],
      };
      header = latin1Bytes("OLYMP\0\x01\0");
    } else if (make === "pentax") {
      makerIfd = {
        entries: [
          { tag: 0x0001, ...o.short(0) },
          ...pointer(0x0004, 0x0003),
        ].sort((a, b) => a.tag - b.tag),
      };
      header = latin1Bytes("AOC\0MM");
    } else if (make === "samsung") {
      // Not an IFD: "STMN" binary maker notes, int32u words, the preview's
      // start and length in words 2 and 3.
      makerIfd = { entries: [] };
      header = concatBytes([
        latin1Bytes("STMN100\0"),
        o.u32(previewAt),
        o.u32(preview.length),
        new Uint8Array(28),
      ]);
    } else {
      makerIfd = {
        entries: [
          { tag: 0x0000, type: 7, count: 4, value: latin1Bytes("MLT0") },
          ...pointer(0x0088, 0x0089),
        ],
      };
      header = new Uint8Array(0);
    }
    // The maker note IFD with offsets counted from the TIFF header: laid out
    // by hand at its own position inside the ExifIFD's value area.
    const makerBytes = (at: number) => {
      if (make === "samsung") return header;
      const start = at + header.length;
      const table = new Uint8Array(2 + makerIfd.entries.length * 12 + 4);
      const values: Uint8Array[] = [];
      let valueAt = start + table.length;
      table.set(o.u16(makerIfd.entries.length), 0);
      makerIfd.entries.forEach((entry, i) => {
        const e = 2 + i * 12;
        table.set(o.u16(entry.tag), e);
        table.set(o.u16(entry.type), e + 2);
        table.set(o.u32(entry.count), e + 4);
        const value = entry.value!;
        if (value.length <= 4) table.set(value, e + 8);
        else {
          table.set(o.u32(valueAt), e + 8);
          values.push(value);
          valueAt += value.length;
        }
      });
      return concatBytes([header, table, ...values]);
    };
    const makerSize = makerBytes(0).length;
    const ifd0: FixtureIfd = {
      entries: [
        ...ifd0Entries(o, ...names[make]),
        {
          tag: 0x8769,
          type: 4,
          count: 1,
          ifd: exifIfd(o, "2007:08:09 10:11:12", [{
            tag: 0x927c,
            type: 7,
            count: makerSize,
            blob: { size: makerSize, bytes: (at) => makerBytes(at) },
          }]),
        },
      ],
    };
    return jpegWith([exifSegment(buildTiff(o, ifd0))]);
  };
  const first = build(0);
  // Canon counts from the start of the file; the others from the TIFF
  // header (12 bytes in: SOI, APP1 marker and length, "Exif\0\0").
  const at = make === "canon" ? first.length : first.length - 12;
  return { file: concatBytes([build(at), preview]), preview };
}

/** An XMP APP1 segment whose packet is UTF-16 (big-endian, with BOM). */
export function utf16XmpSegment(packet: string): Uint8Array {
  const units = new Uint8Array(2 + packet.length * 2);
  units[0] = 0xfe;
  units[1] = 0xff;
  for (let i = 0; i < packet.length; i++) {
    units[2 + i * 2] = packet.charCodeAt(i) >>> 8;
    units[3 + i * 2] = packet.charCodeAt(i) & 0xff;
  }
  return buildSegment(
    0xe1,
    concatBytes([latin1Bytes("http://ns.adobe.com/xap/1.0/\0"), units]),
  );
}

/** A camera-style XMP packet with `about=` unprefixed and a date. */
export function cameraXmpPacket(): string {
  return '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n' +
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n' +
    ' <rdf:Description about="uuid:faf5bdd5-ba3d-11da-ad31-d33d75182f1b"\n' +
    '  xmlns:exif="http://ns.adobe.com/exif/1.0/"\n' +
    '  xmlns:tiff="http://ns.adobe.com/tiff/1.0/">\n' +
    "  <exif:DateTimeOriginal>2008-03-15T09:52:01</exif:DateTimeOriginal>\n" +
    "  <tiff:Make>FUJIFILM</tiff:Make>\n" +
    " </rdf:Description>\n" +
    "</rdf:RDF>\n" +
    "</x:xmpmeta>\n" +
    '<?xpacket end="w"?>';
}

export { utf8 };

/**
 * Reads, independently of the code under test, where a fixture's maker note
 * says its tail data is: the absolute file offset of the preview (or of
 * Canon's OriginalDecisionData).
 */
export function tailTarget(file: Uint8Array, make: TailPreviewMake): number {
  let at = 2;
  while (file[at] === 0xff && file[at + 1] !== 0xe1) {
    at += 2 + ((file[at + 2]! << 8) | file[at + 3]!);
  }
  const tiffStart = at + 10;
  const view = new DataView(file.buffer, file.byteOffset + tiffStart);
  const little = file[tiffStart] === 0x49;
  const u16 = (p: number) => view.getUint16(p, little);
  const u32 = (p: number) => view.getUint32(p, little);
  const find = (ifd: number, tag: number) => {
    for (let i = 0; i < u16(ifd); i++) {
      if (u16(ifd + 2 + i * 12) === tag) return ifd + 2 + i * 12;
    }
    throw new Error(`tag 0x${tag.toString(16)} not found`);
  };
  const exif = u32(find(u32(4), 0x8769) + 8);
  const note = u32(find(exif, 0x927c) + 8);
  if (make === "samsung") return tiffStart + u32(note + 8);
  const skip = { minolta: 0, canon: 0, olympus: 8, pentax: 6 }[make];
  const tag = { minolta: 0x88, canon: 0x83, olympus: 0x1036, pentax: 4 }[make];
  const value = u32(find(note + skip, tag) + 8);
  return make === "canon" ? value : tiffStart + value;
}

/**
 * Kodak DCS ProBack: an InteropIFD pointer that aims at IFD0 itself (a
 * reader sees the loop and ignores it; aimed at a stale copy of IFD0, it
 * would read IFD0's tags as interoperability tags).
 */
export function kodakInteropLoopJpeg(where: "IFD0" | "ExifIFD"): Uint8Array {
  const o = new Order(false);
  const ifd0: FixtureIfd = { entries: [] };
  const loop: FixtureEntry = {
    tag: 0xa005,
    type: 4,
    count: 1,
    field: (layout) => o.u32(layout.offsetOf(ifd0)),
  };
  const exif = exifIfd(
    o,
    "2004:03:02 01:02:03",
    where === "ExifIFD" ? [loop] : [],
  );
  ifd0.entries.push(
    ...ifd0Entries(o, "Eastman Kodak Company", "DCS ProBack"),
    { tag: 0x8769, type: 4, count: 1, ifd: exif },
    ...(where === "IFD0" ? [loop] : []),
  );
  return jpegWith([exifSegment(buildTiff(o, ifd0))]);
}

/** IIM records (record 2) for a test: [dataset, text] pairs. */
export function iimRecords(records: Array<[number, string]>): Uint8Array {
  return concatBytes(records.map(([dataset, text]) => {
    const data = utf8(text);
    return concatBytes([
      Uint8Array.of(0x1c, 2, dataset, data.length >>> 8, data.length & 0xff),
      data,
    ]);
  }));
}

/**
 * IPTC kept as a second copy in EXIF (IFD0 IPTC-NAA, LONG-typed, as
 * Photoshop and some cameras write it), with no Photoshop segment.
 */
export function exifIptcJpeg(): Uint8Array {
  const o = new Order(false);
  const iim = iimRecords([
    [5, "Old title"],
    [120, "Old caption"],
    [101, "Japan"],
  ]);
  const padded = new Uint8Array(Math.ceil(iim.length / 4) * 4);
  padded.set(iim);
  const ifd0: FixtureIfd = {
    entries: [
      ...ifd0Entries(o, "Canon", "Canon EOS 5D"),
      { tag: 0x83bb, type: 4, count: padded.length / 4, value: padded },
      {
        tag: 0x8769,
        type: 4,
        count: 1,
        ifd: exifIfd(o, "2008:01:02 03:04:05"),
      },
    ],
  };
  return jpegWith([exifSegment(buildTiff(o, ifd0))]);
}

/**
 * Windows-edited EXIF: Microsoft `Padding` blocks (0xea1c, 2060 bytes
 * starting 1C EA 00 00 00 08, then zeros) in IFD0 and in the ExifIFD, whose
 * block is the last thing in a segment that is otherwise full.
 */
export function windowsPaddedJpeg(): Uint8Array {
  const o = new Order(true);
  const padding = (): FixtureEntry => {
    const value = new Uint8Array(2060);
    value.set([0x1c, 0xea, 0, 0, 0, 8]);
    return { tag: 0xea1c, type: 7, count: value.length, value };
  };
  const build = (makerSize: number) => {
    const maker = new Uint8Array(makerSize).fill(0x4d);
    return buildTiff(o, {
      entries: [
        ...ifd0Entries(o, "Canon", "Canon PowerShot G9"),
        {
          tag: 0x8769,
          type: 4,
          count: 1,
          ifd: exifIfd(o, "2009:10:11 12:13:14", [
            { tag: 0x927c, type: 7, count: maker.length, value: maker },
            padding(),
          ]),
        },
        padding(),
      ],
    });
  };
  // The maker note fills the segment up to 300 bytes short of full.
  const size = build(0).length;
  return jpegWith([exifSegment(build(65533 - 6 - 300 - size))]);
}

/**
 * The Sony DSC-HX5V file as an earlier flickr-backup left it: IFD0 sorted by
 * tag, so the corrupt entry is first and readers skip IFD0.
 */
export function sonyCorruptFirstJpeg(): Uint8Array {
  const o = new Order(true);
  const ifd0: FixtureIfd = {
    entries: [
      { tag: 0x0001, type: 0, count: 0, value: new Uint8Array(4) },
      ...ifd0Entries(o, "SONY", "DSC-HX5V"),
      {
        tag: 0x8769,
        type: 4,
        count: 1,
        ifd: exifIfd(o, "2010:05:06 07:08:09"),
      },
    ],
  };
  return jpegWith([exifSegment(buildTiff(o, ifd0))]);
}
