// Frontier in the page against real gateways and workers, in Chromium: Alice creates a
// frontier-blitz room on one gateway, Bob joins it by code on another (the page asks the
// gateway which game the code opens: Bob picks no mode); each sees the map
// with its fog (its own corner, not the other's units), gives an order by clicking, ends
// the turn, and both see the next turn and the log.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { Browser } from "./browser.js";
import { Cluster, OUT, until } from "./harness.js";
import { joinByCode } from "./pages.js";

let browser: Browser;
before(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await Browser.launch();
});
after(async () => {
  await browser?.close();
});

interface Seen {
  phase: string;
  turn: number;
  seat: number;
  tiles: number[];
  units: { id: number; owner: number; pos: { x: number; y: number } }[];
  log: number;
}

async function seen(page: Page): Promise<Seen | undefined> {
  return page.evaluate(() => {
    const v = (globalThis as unknown as { orrery?: { frontier?: { view?: { pub: { phase: string; turn: number }; mine: (Omit<Seen, "log"> & { log: unknown[] }) | null } } } }).orrery?.frontier?.view;
    if (!v?.mine) return undefined;
    return { phase: v.pub.phase, turn: v.pub.turn, seat: v.mine.seat, tiles: v.mine.tiles, units: v.mine.units, log: v.mine.log.length };
  });
}

test("two players play Frontier through two gateways: fog, an order by clicking, end of turn, the log", async (t) => {
  const cluster = await Cluster.start("frontier");
  t.after(() => cluster.stop());
  const a = await browser.page(`${cluster.url(0)}/`);
  const b = await browser.page(`${cluster.url(1)}/`);
  t.after(() => Promise.all([a, b].map((p) => p.close().catch(() => undefined))));
  await a.fill("#name", "alice");
  await a.selectOption("#mode", "frontier-blitz");
  await a.click("#create");
  const code = ((await (await a.waitForSelector("#fr-code:has-text('Invite code: ')", { timeout: 15_000 })).textContent()) ?? "").replace("Invite code: ", "").trim();
  await joinByCode(b, "bob", code);
  const [sa, sb] = await Promise.all(
    [a, b].map((p) => until("a running Frontier match", 20_000, async () => {
      const s = await seen(p);
      return s?.phase === "Running" ? s : undefined;
    })),
  );
  for (const s of [sa!, sb!]) {
    assert.ok(s.tiles.some((t) => t === 0), "fog: some tiles are unknown");
    assert.ok(s.units.every((u) => u.owner === s.seat), "the other side's units are out of sight at the start");
  }
  // Alice clicks her soldier, then the tile below it: a Move order.
  const soldier = sa!.units[0]!;
  const index = (p: { x: number; y: number }) => p.y * 12 + p.x;
  await a.click(`#fr-map [data-i="${index(soldier.pos)}"]`);
  await a.click(`#fr-map [data-i="${index({ x: soldier.pos.x, y: soldier.pos.y + 1 })}"]`);
  await until("Alice's order is shown", 5_000, () => a.$("#fr-map .target"));
  await a.click("#fr-end");
  await b.click("#fr-end");
  for (const p of [a, b]) {
    await until("turn 2 on both pages", 10_000, async () => (await p.textContent("#fr-turn"))?.trim() === "2");
  }
  const after = await seen(a);
  assert.deepEqual(after!.units.find((u) => u.id === soldier.id)!.pos, { x: soldier.pos.x, y: soldier.pos.y + 1 }, "the soldier moved");
  assert.match((await a.textContent("#fr-log")) ?? "", /Turn 1 resolved/);
  await a.screenshot({ path: `${OUT}/frontier.png` });
});
