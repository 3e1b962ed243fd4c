// Byte-level primitives of the arena's deltas (arena/src/wire/codec.rs): LEB128 varints
// (u64, as bigint), zigzag for signed values, and a bounds-checked reader whose every
// failure is a `DecodeError`. The reader is the SDK's postcard reader (its `u8`, `take`,
// `offset` and `end`, Rust's `finish`) with the codec's own varints, which unlike postcard's
// drop the bits beyond 64 of a tenth byte.
//
// Rust error -> DecodeError kind: Truncated -> "Truncated", VarintOverflow -> "BadVarint",
// TrailingBytes -> "TrailingBytes", Invalid(what) -> "Invalid", OutOfBounds -> "OutOfRange".

import { DecodeError } from "../errors.js";
import { Reader as PostcardReader } from "../protocol/reader.js";

const MASK64 = (1n << 64n) - 1n;

export class Reader extends PostcardReader {
  /** A u64 varint of at most 10 bytes; bits beyond 64 in the tenth byte are dropped, as in Rust. */
  varint(): bigint {
    const start = this.offset;
    // Fast path: up to 7 bytes (49 bits) fit a double exactly.
    let small = 0;
    for (let i = 0; i < 7; i++) {
      const byte = this.u8();
      small += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return BigInt(small);
    }
    let value = BigInt(small);
    for (let shift = 49n; shift <= 63n; shift += 7n) {
      const byte = this.u8();
      value = (value | (BigInt(byte & 0x7f) << shift)) & MASK64;
      if ((byte & 0x80) === 0) return value;
    }
    throw new DecodeError("BadVarint", "a varint is too long", start);
  }

  /** A zigzag i64. */
  zigzag(): bigint {
    const v = this.varint();
    return (v & 1n) === 0n ? v >> 1n : -(v >> 1n) - 1n;
  }

  /** A varint that must be at most `max`. */
  count(max: number, what: string): number {
    const at = this.offset;
    const v = this.varint();
    if (v > BigInt(max)) throw new DecodeError("Invalid", `invalid ${what}`, at);
    return Number(v);
  }
}

/** `value + residual` when it lies in `lo..=hi` (the field's type), else "OutOfRange". */
export function addResidual(value: number, residual: bigint, lo: number, hi: number): number {
  const v = BigInt(value) + residual;
  if (v < BigInt(lo) || v > BigInt(hi)) throw new DecodeError("OutOfRange", "state out of bounds: residual");
  return Number(v);
}

export const I32 = [-(2 ** 31), 2 ** 31 - 1] as const;
export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;
