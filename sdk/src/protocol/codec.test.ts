// The v1 codec against the Rust-written golden fixtures (protocol.json, protocol-malformed.json):
// every variant both ways, non-canonical varints, every refusal's DecodeError kind, random bytes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DecodeError } from "../errors.js";
import { decodeClientMsg, decodeServerMsg, encodeClientMsg, encodeServerMsg } from "./codec.js";
import { fromHex, fromMeaning, malformed, protocol, toHex, toMeaning } from "./fixtures.test.util.js";
import type { ClientMsg, ServerMsg } from "./types.js";
import { CLIENT_MSG_TYPES, SERVER_MSG_TYPES } from "./types.js";

test("the fixtures cover every variant", () => {
  assert.equal(protocol.protocol, 1);
  const client = new Set(protocol.client.map((c) => c.message["type"]));
  const server = new Set(protocol.server.map((c) => c.message["type"]));
  assert.deepEqual([...client].sort(), [...CLIENT_MSG_TYPES].sort());
  assert.deepEqual([...server].sort(), [...SERVER_MSG_TYPES].sort());
});

test("every client fixture decodes to its meaning and re-encodes to its bytes", () => {
  for (const c of protocol.client) {
    const decoded = decodeClientMsg(fromHex(c.hex));
    assert.deepEqual(toMeaning(decoded), c.message, c.name);
    assert.equal(toHex(encodeClientMsg(fromMeaning(c.message) as ClientMsg)), c.hex, c.name);
  }
});

test("every server fixture decodes to its meaning and re-encodes to its bytes", () => {
  for (const c of protocol.server) {
    const decoded = decodeServerMsg(fromHex(c.hex).buffer as ArrayBuffer);
    assert.deepEqual(toMeaning(decoded), c.message, c.name);
    assert.equal(toHex(encodeServerMsg(fromMeaning(c.message) as ServerMsg)), c.hex, c.name);
  }
});

test("non-canonical encodings Rust accepts are read, and written canonically", () => {
  assert.ok(protocol.noncanonical.length > 0);
  for (const c of protocol.noncanonical) {
    const bytes = fromHex(c.hex);
    const decoded = c.direction === "client" ? decodeClientMsg(bytes) : decodeServerMsg(bytes);
    assert.deepEqual(toMeaning(decoded), c.message, c.name);
    const again = c.direction === "client" ? encodeClientMsg(decoded as ClientMsg) : encodeServerMsg(decoded as ServerMsg);
    assert.equal(toHex(again), c.canonicalHex, c.name);
  }
});

test("every malformed fixture is refused with its DecodeError kind, and nothing else", () => {
  assert.ok(malformed.cases.length > 100);
  for (const c of malformed.cases) {
    const decode = c.direction === "client" ? decodeClientMsg : decodeServerMsg;
    let thrown: unknown;
    try {
      decode(fromHex(c.hex));
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof DecodeError, `${c.name}: expected a DecodeError, got ${String(thrown)}`);
    assert.equal(thrown.kind, c.kind, `${c.name}: ${thrown.message}`);
  }
});

test("a decoded payload does not alias the input buffer", () => {
  const bytes = fromHex("022a03dc0b000003010203");
  const msg = decodeServerMsg(bytes);
  bytes[bytes.length - 1] = 0xff;
  assert.ok(msg.type === "Frame");
  assert.deepEqual([...msg.frame.payload], [1, 2, 3]);
});

test("random bytes only ever throw DecodeError", () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
  for (let i = 0; i < 5000; i++) {
    const bytes = Uint8Array.from({ length: rand() % 24 }, rand);
    for (const decode of [decodeClientMsg, decodeServerMsg]) {
      try {
        decode(bytes);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `${toHex(bytes)}: ${String(e)}`);
      }
    }
  }
});

test("the encoder refuses values that do not fit their type", () => {
  assert.throws(() => encodeClientMsg({ type: "Input", seq: 2 ** 32, payload: new Uint8Array() }), RangeError);
  assert.throws(() => encodeClientMsg({ type: "Ping", clientTimeUs: -1 }), RangeError);
  assert.throws(() => encodeClientMsg({ type: "Join", room: 2 ** 53, resume: null }), RangeError);
  assert.throws(() => encodeClientMsg({ type: "Queue", mode: "a", region: "b", party: ["not-a-uuid"] }), RangeError);
});
