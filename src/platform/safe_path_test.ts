import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import {
  isFlickrId,
  knownExtension,
  pathInside,
  printable,
  refuseLink,
  UnsafePathError,
} from "./safe_path.ts";

Deno.test("isFlickrId and knownExtension accept only digits and listed extensions", () => {
  assertEquals(isFlickrId("53100000001000003"), true);
  for (const bad of ["", "../x", "12a", "1/2", " 1", null, 12]) {
    assertEquals(isFlickrId(bad), false, String(bad));
  }
  assertEquals(knownExtension("JPG"), "jpg");
  assertEquals(knownExtension("jpg/../../x"), undefined);
  assertEquals(knownExtension("JPG/.."), undefined);
  assertEquals(knownExtension(""), undefined);
});

Deno.test("pathInside refuses dot segments, separators and folders that are links", async () => {
  const root = await Deno.makeTempDir();
  try {
    assertEquals(await pathInside(root, "A/b.jpg"), join(root, "A", "b.jpg"));
    for (const bad of ["../x", "a/../../x", "", "a//b", "a\\..\\x", "/etc"]) {
      await assertRejects(() => pathInside(root, bad), AppError);
    }
    if (Deno.build.os !== "windows") {
      const outside = await Deno.makeTempDir();
      await Deno.symlink(outside, join(root, "Album"));
      const error = await assertRejects(
        () => pathInside(root, "Album/1.jpg"),
        UnsafePathError,
      );
      assertEquals(error.exitCode, 7);
      await Deno.remove(outside);
      // A link at the last segment is the caller's to refuse or replace.
      await Deno.symlink("/dev/null", join(root, "lock"));
      await assertRejects(() => refuseLink(join(root, "lock"), "file"));
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("printable strips terminal escape sequences' control bytes", () => {
  assertEquals(printable("a\x1b[2Jb\x07c\x9bd"), "a[2Jbcd");
});
