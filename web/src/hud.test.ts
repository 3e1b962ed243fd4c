import { test } from "node:test";
import assert from "node:assert/strict";
import { bannerText, clock, ranked } from "./hud.js";

test("banner per phase", () => {
  assert.equal(bannerText("lobby", 0, 2), "Waiting for players… 2 here");
  assert.equal(bannerText("countdown", 2.1, 3), "Starting in 3");
  assert.equal(bannerText("countdown", 0, 3), "Starting in 1");
  assert.equal(bannerText("running", 100, 3), "");
  assert.equal(bannerText("over", 5, 3, "Ada"), "Match over: Ada wins");
  assert.equal(bannerText("closable", 0, 3), "Match over");
});

test("clock and ranking", () => {
  assert.equal(clock(179.2), "3:00");
  assert.equal(clock(61), "1:01");
  assert.equal(clock(-3), "0:00");
  const line = (name: string, score: number, kills: number, alive = true) => ({ name, score, kills, alive, connected: true, mine: false });
  const order = ranked([line("b", 10, 1), line("a", 10, 1), line("c", 30, 0), line("d", 10, 2, false)]).map((l) => l.name);
  assert.deepEqual(order, ["c", "d", "a", "b"]);
});
