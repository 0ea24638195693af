/**
 * Runs a fake Flickr until Ctrl-C, for trying the CLI by hand (`deno task
 * demo` is the scripted end-to-end demo in tests/demo.ts):
 *
 * ```sh
 * deno run -A tests/fake_flickr/serve.ts             # demo account
 * deno run -A tests/fake_flickr/serve.ts awkward     # every awkward case
 * deno run -A tests/fake_flickr/serve.ts big 2000    # 2000 photos
 * ```
 *
 * Env: FAKE_FLICKR_PORT (default: any free port), FAKE_FLICKR_LATENCY_MS.
 *
 * @module
 */

import {
  awkwardAccount,
  bigAccount,
  demoAccount,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  startFakeFlickr,
} from "./mod.ts";

const [which = "demo", count] = Deno.args;
const account = which === "awkward"
  ? awkwardAccount()
  : which === "big"
  ? bigAccount({ photos: Number(count ?? 10_000) })
  : demoAccount();
const flickr = await startFakeFlickr({
  account,
  port: Number(Deno.env.get("FAKE_FLICKR_PORT") ?? 0),
  latencyMs: Number(Deno.env.get("FAKE_FLICKR_LATENCY_MS") ?? 0),
});
const token = flickr.issueAccessToken("read");
console.log(
  `Fake Flickr (${which}: ${account.photos.size} items, ${account.albums.length} albums)
  FLICKR_ENDPOINT=${flickr.url}
  API key:            ${FAKE_API_KEY}
  API secret:         ${FAKE_API_SECRET}
  access token:       ${token.token}
  access token secret: ${token.tokenSecret}
The OAuth dance works too (the authorize page shows the verifier).
Ctrl-C to stop.`,
);

const stop = async () => {
  await flickr.close();
  console.log(`${flickr.requests.length} requests served.`);
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
