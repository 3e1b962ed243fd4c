// Test support (not shipped, not a test itself): the golden fixtures of sdk/fixtures/, written
// by common/tests/wire_fixtures.rs, and conversions between their JSON and codec values.

import { fromHex, loadFixture, toHex } from "../fixtures.test.util.js";

export { fromHex, toHex };

export interface MessageFixture {
  name: string;
  message: Record<string, unknown>;
  hex: string;
}
export interface NoncanonicalFixture extends MessageFixture {
  direction: "client" | "server";
  canonicalHex: string;
}
export interface MalformedFixture {
  name: string;
  direction: "client" | "server";
  hex: string;
  kind: string;
  rustRefuses: boolean;
}

export const protocol = loadFixture<{
  protocol: number;
  client: MessageFixture[];
  server: MessageFixture[];
  noncanonical: NoncanonicalFixture[];
}>("protocol.json");
export const malformed = loadFixture<{ cases: MalformedFixture[] }>("protocol-malformed.json");

/** A codec value as fixture JSON: byte strings become hex. */
export function toMeaning(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toMeaning);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toMeaning(x)]));
  }
  return v;
}

/** Fixture JSON as a codec value: every `payload` field is a byte string. */
export function fromMeaning(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromMeaning);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, k === "payload" && typeof x === "string" ? fromHex(x) : fromMeaning(x)]),
    );
  }
  return v;
}
