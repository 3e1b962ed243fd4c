import { test } from "node:test";
import assert from "node:assert/strict";
import { configuredGateways, gatewayList } from "./gateways.js";

test("own origin first, then configured peers, then the query, without duplicates", () => {
  const list = gatewayList(
    "http://127.0.0.1:8080",
    "?gateways=http://127.0.0.1:8081/,http://127.0.0.1:8080,ftp://x,not a url",
    ["http://127.0.0.1:8082", "http://127.0.0.1:8081"],
  );
  assert.deepEqual(list, ["http://127.0.0.1:8080", "http://127.0.0.1:8082", "http://127.0.0.1:8081"]);
});

test("no query and no config: only the own origin", () => {
  assert.deepEqual(gatewayList("http://localhost:8080", "", []), ["http://localhost:8080"]);
});

test("config.json: a list of strings, anything else is none", async () => {
  const answer = (body: unknown, ok = true) =>
    (async () => ({ ok, json: async () => body }) as Response) as unknown as typeof fetch;
  assert.deepEqual(await configuredGateways(answer({ gateways: ["http://a:1", 7] })), ["http://a:1"]);
  assert.deepEqual(await configuredGateways(answer({ gateways: "x" })), []);
  assert.deepEqual(await configuredGateways(answer({}, false)), []);
  const failing = (async () => {
    throw new Error("offline");
  }) as unknown as typeof fetch;
  assert.deepEqual(await configuredGateways(failing), []);
});
