import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { AuthError } from "../errors.ts";
import { FlickrNotFoundError } from "../flickr/errors.ts";
import { confirmDeletions, declaredMinimum } from "./listing.ts";

const gone = () => Promise.reject(new FlickrNotFoundError("m", "not found"));

Deno.test("confirmDeletions(): gone only on 'not found', present when Flickr answers, unknown on other errors", async () => {
  const asked: string[] = [];
  const result = await confirmDeletions(["1", "2", "3"], (id) => {
    asked.push(id);
    if (id === "1") return gone();
    if (id === "2") return Promise.resolve({ photo: {} });
    return Promise.reject(new Error("Service currently unavailable"));
  });
  assertEquals(asked, ["1", "2", "3"]);
  assertEquals(result.gone, ["1"]);
  assertEquals(result.present, ["2"]);
  assertEquals(result.unknown, ["3"]);
  assertEquals(result.sampled, false);
});

Deno.test("confirmDeletions(): above 200 suspects asks a sample of 20 and declares no deletion", async () => {
  const suspects = Array.from({ length: 250 }, (_, i) => String(i));
  let calls = 0;
  const result = await confirmDeletions(suspects, () => {
    calls++;
    return gone();
  });
  assertEquals(calls, 20);
  assertEquals(result.asked, 20);
  assertEquals(result.sampled, true);
  assertEquals(result.gone, []);
  assertEquals(result.unknown.length, 250);
});

Deno.test("confirmDeletions(): an error that stops the run is not swallowed", async () => {
  await assertRejects(
    () =>
      confirmDeletions(["1"], () => Promise.reject(new AuthError("revoked"))),
    AuthError,
  );
});

Deno.test("declaredMinimum() never adds photos and videos (photos may already count them)", () => {
  assertEquals(declaredMinimum({ countPhotos: 4, countVideos: 1 }), 4);
  assertEquals(declaredMinimum({ countPhotos: 0, countVideos: 3 }), 3);
  assertEquals(declaredMinimum({ countPhotos: 0, countVideos: 0 }), 0);
});
