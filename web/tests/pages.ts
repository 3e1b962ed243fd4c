// What the browser tests do with a page: the start screen's buttons, and window.orrery.

import type { Page } from "playwright-core";
import type { Debug } from "../src/debug.js";
import { until } from "./harness.js";

export interface CanonicalShip {
  name: string;
  player: string;
  pos: [number, number];
  vel: [number, number];
  angle: number;
  alive: boolean;
}
export interface Canonical {
  tick: number;
  epoch: number | undefined;
  phase: string;
  ships: CanonicalShip[];
}

type Win = { orrery: Debug };

/** Create a private room from the start screen; its invite code. */
export async function createRoom(page: Page, name: string, mode: string): Promise<string> {
  await page.fill("#name", name);
  await page.selectOption("#mode", mode);
  await page.click("#create");
  const code = await page.waitForSelector("#invite-code", { timeout: 15_000 });
  return (await code.textContent())?.trim() ?? "";
}

/** Join a private room by its invite code (the page asks the gateway which game the code's room plays). */
export async function joinByCode(page: Page, name: string, code: string): Promise<void> {
  await page.fill("#name", name);
  await page.fill("#code", code);
  await page.click("#join");
}

export async function record(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as Win).orrery.record = true;
  });
}

export async function debug<T>(page: Page, read: (d: Debug) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(globalThis.orrery)`) as Promise<T>;
}

export async function canonical(page: Page): Promise<Canonical | undefined> {
  const c = await page.evaluate(() => (globalThis as unknown as Win).orrery.canonical());
  if (c === undefined) return undefined;
  const view = JSON.parse(c.view) as { phase: string; ships: CanonicalShip[] };
  return { tick: c.tick, epoch: c.epoch, phase: view.phase, ships: view.ships };
}

/** Wait until the page plays in a running match with `ships` ships. */
export async function running(page: Page, ships: number, limitMs = 20_000): Promise<Canonical> {
  return until(`a running match with ${ships} ships`, limitMs, async () => {
    const c = await canonical(page);
    return c !== undefined && c.phase === "running" && c.ships.length >= ships ? c : undefined;
  }, 100);
}

export function ship(c: Canonical | undefined, name: string): CanonicalShip | undefined {
  return c?.ships.find((s) => s.name === name);
}

/** Hold keys down for `ms`, then release them. */
export async function hold(page: Page, keys: string[], ms: number): Promise<void> {
  for (const k of keys) await page.keyboard.down(k);
  await page.waitForTimeout(ms);
  for (const k of keys) await page.keyboard.up(k);
}
