import { test } from "node:test";
import assert from "node:assert/strict";
import { nextStatus, overlayText, type Status } from "./status.js";

test("a resume shows a calm overlay and clears it; the breaker's message stays", () => {
  let s: Status = { kind: "idle" };
  s = nextStatus(s, { type: "connecting" });
  assert.equal(overlayText(s), "Connecting…");
  s = nextStatus(s, { type: "joined" });
  assert.equal(overlayText(s), "");
  s = nextStatus(s, { type: "reconnecting", attempt: 1, at: 100 });
  assert.equal(overlayText(s), "Reconnecting…");
  s = nextStatus(s, { type: "reconnecting", attempt: 3, at: 900 });
  assert.deepEqual(s, { kind: "reconnecting", attempt: 3, since: 100 });
  s = nextStatus(s, { type: "resumed" });
  assert.equal(s.kind, "playing");
  s = nextStatus(s, { type: "failed", code: "CircuitOpen" });
  assert.match(overlayText(s), /cannot be reached/);
  s = nextStatus(s, { type: "resumed" });
  assert.equal(s.kind, "failed", "nothing revives a failed session");
});
