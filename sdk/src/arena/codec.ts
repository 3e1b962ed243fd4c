// Byte-level primitives of the arena's deltas (arena/src/wire/codec.rs): LEB128 varints
// (u64, as bigint), zigzag for signed values, and a bounds-checked reader whose every
// failure is a `DecodeError`. The reader extends the SDK's postcard reader
// (`../protocol/reader.ts`), whose `u8`, `take`, `offset` and `end` (Rust's `finish`) it
// uses as they are; its varints are the codec's own, which unlike postcard's drop the bits
// beyond 64 of a tenth byte. One reader is reused for every delta (`reset`): a delta allocates no reader.
//
// Rust error -> DecodeError kind: Truncated -> "Truncated", VarintOverflow -> "BadVarint",
// TrailingBytes -> "TrailingBytes", Invalid(what) -> "Invalid", OutOfBounds -> "OutOfRange".

import { DecodeError } from "../errors.js";
import { Reader as PostcardReader } from "../protocol/reader.js";

const MASK64 = (1n << 64n) - 1n;
const EMPTY = new Uint8Array(0);

export class Reader extends PostcardReader {
  constructor(bytes: Uint8Array = EMPTY) {
    super(bytes);
  }

  /** Starts reading `bytes` from their first byte; returns this reader. */
  reset(bytes: Uint8Array): this {
    this.bytes = bytes;
    this.pos = 0;
    this.wide = undefined;
    return this;
  }

  /**
   * The exact value of the last `varintNumber()` or `zigzagNumber()` when its varint was
   * longer than 7 bytes (the number returned may then be rounded); undefined otherwise.
   */
  wide: bigint | undefined = undefined;

  /** A u64 varint of at most 10 bytes; bits beyond 64 in the tenth byte are dropped, as in Rust. */
  varint(): bigint {
    const v = this.varintNumber();
    return this.wide ?? BigInt(v);
  }

  /**
   * `varint()` as a number, without allocating: exact when the varint has at most 7 bytes
   * (below 2^49); a longer one is exact in `wide` and rounded in the result.
   */
  varintNumber(): number {
    const start = this.offset;
    // Up to 7 bytes (49 bits) fit a double exactly.
    let small = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.u8();
      small += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        this.wide = undefined;
        return small;
      }
      scale *= 128;
    }
    let value = BigInt(small);
    for (let shift = 49n; shift <= 63n; shift += 7n) {
      const byte = this.u8();
      value = (value | (BigInt(byte & 0x7f) << shift)) & MASK64;
      if ((byte & 0x80) === 0) {
        this.wide = value;
        return Number(value);
      }
    }
    throw new DecodeError("BadVarint", "a varint is too long", start);
  }

  /** A zigzag i64. */
  zigzag(): bigint {
    const v = this.varint();
    return (v & 1n) === 0n ? v >> 1n : -(v >> 1n) - 1n;
  }

  /** `zigzag()` as a number, as `varintNumber()`: exact unless `wide` is set (then exact there). */
  zigzagNumber(): number {
    const v = this.varintNumber();
    const wide = this.wide;
    if (wide === undefined) return v % 2 === 0 ? v / 2 : -(v - 1) / 2 - 1;
    const z = (wide & 1n) === 0n ? wide >> 1n : -(wide >> 1n) - 1n;
    this.wide = z;
    return Number(z);
  }

  /** A varint that must be at most `max`. */
  count(max: number, what: string): number {
    const at = this.offset;
    // A rounded (wide) value is at least 2^49, above every `max` used.
    const v = this.varintNumber();
    if (v > max) throw new DecodeError("Invalid", `invalid ${what}`, at);
    return v;
  }
}

/**
 * `value + residual` when it lies in `lo..=hi` (the field's type: at most 32 bits), else
 * "OutOfRange". `residual` comes from `zigzagNumber()`: exact below 2^53 in magnitude, and
 * beyond that (rounded or not) the sum is far outside every field's type either way.
 */
export function addResidual(value: number, residual: number, lo: number, hi: number): number {
  const v = value + residual;
  if (v < lo || v > hi) throw new DecodeError("OutOfRange", "state out of bounds: residual");
  return v;
}

export const I32_MIN = -(2 ** 31);
export const I32_MAX = 2 ** 31 - 1;
export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;
