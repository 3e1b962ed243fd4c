// Test support (not shipped, not a test itself): the golden fixtures of sdk/fixtures/ that
// Rust tests write, and the lowercase hex their byte strings are written in.

import { readFileSync } from "node:fs";

/** The parsed JSON of `sdk/fixtures/<name>` (this file runs from sdk/dist/). */
export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as T;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
