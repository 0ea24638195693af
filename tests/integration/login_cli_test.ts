/**
 * End-to-end `flickr-backup login` against the fake Flickr: the real OAuth
 * dance over real HTTP, with the code typed on stdin as a script would.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  demoAccount,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { scriptedLogin } from "../helpers/login.ts";
import { withTempDir } from "../helpers/backup_fixture.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("login reads the code from stdin, saves the tokens file 0600 and confirms with test.login", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const result = await scriptedLogin(dir, {
      FLICKR_ENDPOINT: flickr.url,
      FLICKR_API_KEY: FAKE_API_KEY,
      FLICKR_API_SECRET: FAKE_API_SECRET,
    });
    assertEquals(result.code, 0, result.stderr);
    assert(/^\d{3}-\d{3}-\d{3}$/.test(result.verifier), result.verifier);
    assertStringIncludes(result.stdout, "perms=read");
    const path = join(dir, ".flickr_tokens.json");
    const saved = JSON.parse(await Deno.readTextFile(path));
    assertEquals(saved.api_key, FAKE_API_KEY);
    assertEquals(saved.user_nsid, flickr.account.nsid);
    assert(saved.oauth_token.length > 10);
    assert(saved.oauth_token_secret.length > 10);
    if (Deno.build.os !== "windows") {
      assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    }
    assertEquals(flickr.callCounts()["flickr.test.login"], 1);
    // The secret values never appear in what the user sees.
    assert(!result.stdout.includes(saved.oauth_token_secret));
    assert(!result.stdout.includes(FAKE_API_SECRET));
    assert(!result.stderr.includes(FAKE_API_SECRET));
  });
});

Deno.test("login with a wrong code exits 4 and writes nothing", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const result = await runCliProcess(["login", "--dir", dir], {
      env: {
        FLICKR_ENDPOINT: flickr.url,
        FLICKR_API_KEY: FAKE_API_KEY,
        FLICKR_API_SECRET: FAKE_API_SECRET,
      },
      stdin: "000-000-000\n",
    });
    assertEquals(result.code, 4, result.stderr);
    assertStringIncludes(result.stderr, "flickr-backup login");
    assertEquals(await exists(join(dir, ".flickr_tokens.json")), false);
  });
});

Deno.test("login with a wrong API secret exits 4 and never prints the secret", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const result = await runCliProcess(["login", "--dir", dir], {
      env: {
        FLICKR_ENDPOINT: flickr.url,
        FLICKR_API_KEY: FAKE_API_KEY,
        FLICKR_API_SECRET: "0123456789abcdef",
      },
      stdin: "111-222-333\n",
    });
    assertEquals(result.code, 4, result.stderr);
    assert(!result.stderr.includes("0123456789abcdef"));
    assertEquals(await exists(join(dir, ".flickr_tokens.json")), false);
  });
});

Deno.test("login with Flickr unreachable exits 5 and writes nothing", async () => {
  await withTempDir(async (dir) => {
    // A port nothing listens on: the privileged discard port. (A port freed
    // by closing a listener may be taken again by another process, or be
    // the client's own ephemeral port: a TCP self-connect.)
    const result = await runCliProcess(
      ["login", "--dir", dir, "--api-key", FAKE_API_KEY],
      {
        env: {
          FLICKR_ENDPOINT: "http://127.0.0.1:9",
          FLICKR_API_SECRET: FAKE_API_SECRET,
        },
        stdin: "111-222-333\n",
      },
    );
    assertEquals(result.code, 5, result.stderr);
    assertEquals(await exists(join(dir, ".flickr_tokens.json")), false);
  });
});

Deno.test("login without a key and without a terminal names the flags and exits 4", async () => {
  await withTempDir(async (dir) => {
    const result = await runCliProcess(["login", "--dir", dir], {
      env: { FLICKR_ENDPOINT: "http://127.0.0.1:9" },
    });
    assertEquals(result.code, 4, result.stderr);
    assertStringIncludes(result.stderr, "--api-key");
    assertStringIncludes(result.stderr, "FLICKR_API_KEY");
  });
});

Deno.test("--help and --version answer without network and exit 0", async () => {
  const help = await runCliProcess(["backup", "--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "--album-links");
  assertStringIncludes(help.stdout, "Exit codes");
  const version = await runCliProcess(["--version"]);
  assertEquals(version.code, 0);
  assert(/flickr-backup \d+\.\d+\.\d+ \(deno 2\.9\.6\)/.test(version.stdout));
  const bad = await runCliProcess(["backup", "--concurrency", "0"]);
  assertEquals(bad.code, 2);
});
