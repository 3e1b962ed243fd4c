// The gateway's HTTP calls: socket URLs, createRoom's request, refusals, token claims.

import assert from "node:assert/strict";
import { test } from "node:test";
import { OrreryError } from "../errors.js";
import { createRoom, tokenClaims, wsUrl } from "./http.js";

test("the socket URL of a gateway", () => {
  assert.equal(wsUrl("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/v1/ws");
  assert.equal(wsUrl("https://play.example/"), "wss://play.example/v1/ws");
});

test("createRoom posts the settings in the gateway's names, with the bearer token", async () => {
  let seen: { url: string; init: RequestInit } | undefined;
  const fetchFn = (async (url: string, init: RequestInit) => {
    seen = { url, init };
    return new Response(JSON.stringify({ room: 42, invite_code: "ABCD2345" }), { status: 201 });
  }) as unknown as typeof fetch;
  const created = await createRoom(fetchFn, "http://gw:8080/", "tok", { mode: "arena-duel", private: true, maxPlayers: 2, tickHz: 30 });
  assert.deepEqual(created, { room: 42, inviteCode: "ABCD2345" });
  assert.equal(seen?.url, "http://gw:8080/v1/rooms");
  assert.deepEqual(JSON.parse(String(seen?.init.body)), { mode: "arena-duel", private: true, max_players: 2, tick_hz: 30 });
  assert.equal((seen?.init.headers as Record<string, string>)["authorization"], "Bearer tok");
});

test("an HTTP refusal is an OrreryError with code Http and the server's text", async () => {
  const fetchFn = (async () =>
    new Response(JSON.stringify({ error: "tick_hz must be within 5..=60" }), { status: 400 })) as unknown as typeof fetch;
  await assert.rejects(
    createRoom(fetchFn, "http://gw", "tok", { tickHz: 1 }),
    (e: unknown) => e instanceof OrreryError && e.code === "Http" && e.message.includes("tick_hz"),
  );
});

test("token claims are read without verification, and garbage gives none", () => {
  // base64url of UTF-8 JSON, as a JWT carries it.
  const json = JSON.stringify({ sub: "s", name: "Zoë 🚀" });
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(json)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  assert.deepEqual(tokenClaims(`x.${b64}.y`), { sub: "s", name: "Zoë 🚀" });
  assert.deepEqual(tokenClaims("not a token"), {});
});
