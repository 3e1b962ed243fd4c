import { test } from "node:test";
import assert from "node:assert/strict";
import { OrreryError } from "orrery-sdk";
import { describe, inviteLookupError } from "./refusals.js";

test("an invite code the gateway does not know (404) reads as a room not found", () => {
  const lookup = new OrreryError("Http", "http://gw/v1/invites/K7QX4MNP: 404 no open room has this invite code", { status: 404 });
  const e = inviteLookupError(lookup);
  assert.ok(e instanceof OrreryError);
  assert.equal(e.code, "RoomNotFound");
  assert.equal(describe(e), "No room with that code (or its match is over).");
});

test("other failures of the lookup stay what they are, whatever their text says", () => {
  // No answer at all: its text may hold anything, "404" included.
  const down = new OrreryError("Http", "http://gw/v1/invites/X: TypeError: fetch failed after 404 ms");
  assert.equal(inviteLookupError(down), down);
  const busy = new OrreryError("Http", "http://gw/v1/invites/X: 429 too many lookups", { status: 429 });
  assert.equal(inviteLookupError(busy), busy);
  assert.equal(describe(busy), "Could not join (Http).");
  const plain = new Error("404");
  assert.equal(inviteLookupError(plain), plain);
});
