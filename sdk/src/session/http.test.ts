// The gateway's HTTP calls: socket URLs, createRoom's request, invite lookups, refusals, the
// next gateway only on a network failure, token claims.

import assert from "node:assert/strict";
import { test } from "node:test";
import { OrreryError } from "../errors.js";
import { createRoom, lookupInvite, onAny, tokenClaims, wsUrl } from "./http.js";

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

test("an HTTP refusal is an OrreryError with code Http, its status and the server's text", async () => {
  const fetchFn = (async () =>
    new Response(JSON.stringify({ error: "tick_hz must be within 5..=60" }), { status: 400 })) as unknown as typeof fetch;
  await assert.rejects(
    createRoom(fetchFn, "http://gw", "tok", { tickHz: 1 }),
    (e: unknown) => e instanceof OrreryError && e.code === "Http" && e.status === 400 && e.message.includes("tick_hz"),
  );
});

test("an unknown invite code is a refusal with status 404; a request with no answer has no status", async () => {
  const unknown = (async () =>
    new Response(JSON.stringify({ error: "no open room has this invite code" }), { status: 404 })) as unknown as typeof fetch;
  await assert.rejects(lookupInvite(unknown, "http://gw", "tok", "K7QX4MNP"), (e: unknown) => e instanceof OrreryError && e.status === 404);
  const down = (async () => {
    throw new TypeError("fetch failed");
  }) as unknown as typeof fetch;
  await assert.rejects(
    lookupInvite(down, "http://gw", "tok", "K7QX4MNP"),
    (e: unknown) => e instanceof OrreryError && e.code === "Http" && e.status === undefined,
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

test("lookupInvite asks for the code with the bearer token and gives the room and its mode", async () => {
  let seen: { url: string; init: RequestInit } | undefined;
  const fetchFn = (async (url: string, init: RequestInit) => {
    seen = { url, init };
    return new Response(JSON.stringify({ room: 43, mode: "frontier" }), { status: 200 });
  }) as unknown as typeof fetch;
  assert.deepEqual(await lookupInvite(fetchFn, "http://gw/", "tok", " k7qx4mnp "), { room: 43, mode: "frontier" });
  assert.equal(seen?.url, "http://gw/v1/invites/k7qx4mnp");
  assert.equal((seen?.init.headers as Record<string, string>)["authorization"], "Bearer tok");
  const odd = (async () => new Response(JSON.stringify({ room: "43" }), { status: 200 })) as unknown as typeof fetch;
  await assert.rejects(lookupInvite(odd, "http://gw", "tok", "K7QX4MNP"), (e: unknown) => e instanceof OrreryError && e.code === "Http");
});

test("onAny tries the next gateway after a network failure, never after a refusal", async () => {
  const asked: string[] = [];
  // A network failure whose text happens to hold a number like a status is still one.
  const down = async (gw: string): Promise<string> => {
    asked.push(gw);
    if (gw === "a") throw new OrreryError("Http", "a/v1/x: TypeError: connect ECONNREFUSED 127.0.0.1 404 times");
    return gw;
  };
  assert.equal(await onAny(["a", "b"], down), "b");
  asked.length = 0;
  const refusing = async (gw: string): Promise<string> => {
    asked.push(gw);
    throw new OrreryError("Http", `${gw}/v1/invites/X: no open room has this invite code`, { status: 404 });
  };
  await assert.rejects(onAny(["a", "b"], refusing), (e: unknown) => e instanceof OrreryError && e.status === 404);
  assert.deepEqual(asked, ["a"]);
});
