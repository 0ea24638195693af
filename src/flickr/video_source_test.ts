import { assertEquals } from "../../tests/assert.ts";
import type { PhotoSize } from "./api_types.ts";
import {
  bestStreams,
  originalFromSizes,
  originalFromStreams,
  routeOrder,
} from "./video_source.ts";

const play = (kind: string) =>
  `https://www.flickr.com/photos/u/1/play/${kind}/abc/`;

function size(label: string, kind: string, width?: number): PhotoSize {
  return {
    label,
    source: play(kind),
    media: "video",
    ...(width ? { width, height: Math.round(width * 9 / 16) } : {}),
  };
}

Deno.test("routeOrder() tries the cheapest route first, a remembered original route before all", () => {
  assertEquals(routeOrder(), [
    "orig-unsigned",
    "orig-signed",
    "stream-orig",
    "best-stream",
  ]);
  assertEquals(routeOrder("stream-orig"), [
    "stream-orig",
    "orig-unsigned",
    "orig-signed",
    "best-stream",
  ]);
  assertEquals(routeOrder("best-stream")[0], "orig-unsigned");
  assertEquals(routeOrder("nonsense")[0], "orig-unsigned");
});

Deno.test("every 2016 and 2024 video label is ranked; unknown labels come after known ones", () => {
  const sizes2016 = [
    {
      ...size("Video Player", "x"),
      source: "https://www.flickr.com/apps/video/stewart.swf?v=1",
    },
    size("Site MP4", "site", 640),
    size("Mobile MP4", "mobile", 480),
    size("HD MP4", "hd", 1282),
    size("Video Original", "orig", 1280),
  ];
  assertEquals(bestStreams([], sizes2016).map((s) => s.label), [
    "HD MP4",
    "Site MP4",
    "Mobile MP4",
  ]);
  assertEquals(originalFromSizes(sizes2016)?.url, play("orig"));
  // 2024: stream names as labels, empty widths, one label nobody has seen.
  const sizes2024 = [
    "iphone_wifi",
    "4k-new",
    "100",
    "300",
    "288p",
    "appletv",
    "700",
    "360p",
  ]
    .map((label) => size(label, label));
  assertEquals(bestStreams([], sizes2024).map((s) => s.label), [
    "360p",
    "288p",
    "700",
    "300",
    "100",
    "appletv",
    "iphone_wifi",
    "4k-new",
  ]);
  assertEquals(originalFromSizes(sizes2024), undefined);
});

Deno.test("getStreamInfo streams: orig is the original, the rest rank like gallery-dl", () => {
  const streams = [
    {
      type: "360p",
      url: "https://live.staticflickr.com/video/1/a/360p.mp4?s=x",
    },
    {
      type: "orig",
      url: "https://live.staticflickr.com/video/1/a/orig.mov?s=x",
    },
    {
      type: "1080p",
      url: "https://live.staticflickr.com/video/1/a/1080p.mp4?s=x",
    },
  ];
  assertEquals(originalFromStreams(streams)?.extension, "mov");
  assertEquals(bestStreams(streams, []).map((s) => s.label), ["1080p", "360p"]);
});
