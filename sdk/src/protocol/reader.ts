// The SDK's one postcard reader (https://postcard.jamesmunns.com/wire-format), for the
// protocol's messages and the arena's keyframes alike (and the base of the arena's delta
// reader): it refuses exactly what the Rust decoder (postcard 1.x) refuses, with a typed
// DecodeError: varints of at most 3 (u16), 5 (u32) or 10 (u64, usize) bytes whose last byte
// holds no bits beyond the type (overlong encodings within that length are read), zigzag for
// signed integers, bools and option tags 0 or 1 only, enum variants as u32 varints, strings
// as a length and UTF-8. `u64()` also refuses values above 2^53 - 1, which a JavaScript number
// cannot hold ("OutOfRange"); `u64Big()` reads any u64.
//
// Running out of input is "Truncated" inside a tag, varint or flag byte (or `take(n)`), and
// "TooLong" when a length prefix asks for more bytes than are left (as postcard: `pop` vs
// `try_take_n`).

import { DecodeError } from "../errors.js";

/** Strict UTF-8 (a bad sequence throws), a BOM kept as a character: as Rust's `str::from_utf8`. */
export const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** 16 bytes as a lowercase hyphenated UUID. */
export function uuidString(bytes: Uint8Array): string {
  let h = "";
  for (const b of bytes) h += b.toString(16).padStart(2, "0");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class Reader {
  // Protected for the arena's delta reader (`../arena/codec.ts`), which reuses one reader.
  protected bytes: Uint8Array;
  protected pos = 0;

  constructor(bytes: Uint8Array | ArrayBuffer) {
    this.bytes = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.pos;
  }

  /** One raw byte. */
  u8(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) throw new DecodeError("Truncated", "the message ends too early", this.pos);
    this.pos += 1;
    return b;
  }

  /**
   * An unsigned LEB128 varint of at most `maxBytes` bytes whose last byte is at most
   * `lastMax` (postcard's check that the value fits its type).
   */
  private leb128(maxBytes: number, lastMax: number, what: string): number {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1 && b > lastMax) {
          throw new DecodeError("BadVarint", `a ${what} varint above the type's maximum`, start);
        }
        return value;
      }
      scale *= 128;
    }
    throw new DecodeError("BadVarint", `a ${what} varint longer than ${maxBytes} bytes`, start);
  }

  u16(): number {
    return this.leb128(3, 0b11, "u16");
  }

  u32(): number {
    return this.leb128(5, 0b1111, "u32");
  }

  /** A u64 that must be at most 2^53 - 1. */
  u64(): number {
    const start = this.pos;
    const v = this.leb128(10, 1, "u64");
    if (v > Number.MAX_SAFE_INTEGER) {
      throw new DecodeError("OutOfRange", "a u64 above 2^53 - 1 does not fit a JavaScript number", start);
    }
    return v;
  }

  /** A u64 of any size, as a bigint. */
  u64Big(): bigint {
    const start = this.pos;
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        if (i === 9 && b > 1) throw new DecodeError("BadVarint", "a u64 varint above the type's maximum", start);
        return value;
      }
    }
    throw new DecodeError("BadVarint", "a u64 varint longer than 10 bytes", start);
  }

  i8(): number {
    return (this.u8() << 24) >> 24;
  }

  /** A zigzag i32. */
  i32(): number {
    const n = this.u32();
    return n % 2 === 0 ? n / 2 : -(n - 1) / 2 - 1;
  }

  /** A zigzag i64, as a bigint. */
  i64Big(): bigint {
    const n = this.u64Big();
    return (n & 1n) === 0n ? n >> 1n : -(n >> 1n) - 1n;
  }

  /** A length or count (postcard's usize: a u64 varint). May be imprecise when huge. */
  private length(): number {
    return this.leb128(10, 1, "length");
  }

  /** A bool or an Option's tag: 0 or 1. */
  flag(what: string): boolean {
    const start = this.pos;
    const b = this.u8();
    if (b > 1) throw new DecodeError("BadTag", `${what} tag ${b} is neither 0 nor 1`, start);
    return b === 1;
  }

  option<T>(read: () => T): T | null {
    return this.flag("an Option") ? read() : null;
  }

  /** An enum's variant index (a u32 varint). */
  tag(): { index: number; offset: number } {
    const offset = this.pos;
    return { index: this.u32(), offset };
  }

  /** An enum's variant index, which must be below `variants` ("BadTag"). */
  variant(variants: number, what: string): number {
    const { index, offset } = this.tag();
    if (index >= variants) throw new DecodeError("BadTag", `no ${what} variant ${index}`, offset);
    return index;
  }

  /** The next `n` bytes, as they are (a view of the input). */
  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) {
      throw new DecodeError("Truncated", `${n} bytes wanted with ${this.bytes.length - this.pos} left`, this.pos);
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** What is left after the values read so far (a view of the input). */
  rest(): Uint8Array {
    return this.bytes.subarray(this.pos);
  }

  /** A length-prefixed byte string (a copy: it does not alias the input). */
  bytesField(): Uint8Array {
    return this.prefixed().slice();
  }

  /** A length prefix and as many bytes. */
  private prefixed(): Uint8Array {
    const start = this.pos;
    const n = this.length();
    if (n > this.bytes.length - this.pos) {
      throw new DecodeError("TooLong", `a length prefix of ${n} with ${this.bytes.length - this.pos} bytes left`, start);
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const start = this.pos;
    const raw = this.prefixed();
    try {
      return utf8.decode(raw);
    } catch {
      throw new DecodeError("BadUtf8", "a string that is not valid UTF-8", start);
    }
  }

  /** A UUID (serde's non-human-readable form: a byte string of length 16). */
  uuid(): string {
    const start = this.pos;
    const raw = this.prefixed();
    if (raw.length !== 16) throw new DecodeError("Invalid", `a UUID of ${raw.length} bytes instead of 16`, start);
    return uuidString(raw);
  }

  /** A Vec<T>: a count, then the elements. */
  seq<T>(read: () => T): T[] {
    const n = this.length();
    const out: T[] = [];
    // No preallocation: a huge count fails on the first missing element.
    for (let i = 0; i < n; i++) out.push(read());
    return out;
  }

  /** The message must end here. */
  end(): void {
    if (this.pos !== this.bytes.length) {
      throw new DecodeError("TrailingBytes", `${this.bytes.length - this.pos} bytes after the message`, this.pos);
    }
  }
}
