// Commands through the Session: outcomes, and resending with the same id after a resume.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { FakeWebSocket, joined, welcome } from "./fakes.test.util.js";
import { inRoom } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

test("a command resolves on its ack, and is resent with the same id after a resume", async () => {
  const { t, s, ws } = await inRoom();
  const first = s.command(Uint8Array.of(7));
  const sent = ws.said().find((m) => m.type === "Command");
  assert.ok(sent?.type === "Command");
  ws.serve({ type: "CommandAck", id: sent.id, outcome: { type: "Accepted" } });
  assert.deepEqual(await first, { type: "Accepted" });

  const second = s.command(Uint8Array.of(8));
  const id = ws.said().filter((m) => m.type === "Command")[1]!;
  assert.ok(id.type === "Command");
  ws.serverClose(1011);
  t.advance(0);
  const ws2 = FakeWebSocket.last().accept().serve(welcome()).serve(joined(42));
  const resent = ws2.said().filter((m) => m.type === "Command");
  assert.deepEqual(resent, [{ type: "Command", id: id.id, payload: Uint8Array.of(8) }]);
  ws2.serve({ type: "CommandAck", id: id.id, outcome: { type: "Rejected", reason: "no" } });
  assert.deepEqual(await second, { type: "Rejected", reason: "no" });
});
