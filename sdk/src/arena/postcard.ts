// The subset of postcard (the serde format of keyframes and of a delta's statics) that
// the arena's world uses, with postcard 1.x's exact acceptance rules: varints of at most
// 3 (u16), 5 (u32) or 10 (u64, usize) bytes whose last byte holds no bits beyond the type
// (overlong encodings within that length are accepted), zigzag for signed integers, bools
// and option tags 0 or 1 only, enum variants as u32 varints, strings as a length and UTF-8,
// byte strings as a length and bytes.

import { DecodeError } from "../errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class PostcardReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  /** What is left after the value read so far. */
  rest(): Uint8Array {
    return this.bytes.subarray(this.offset);
  }

  private pop(): number {
    if (this.offset >= this.bytes.length) throw new DecodeError("Truncated", "the input ended inside a value", this.offset);
    return this.bytes[this.offset++] as number;
  }

  /** An unsigned varint of `bits` (16 or 32) bits, as a number. */
  private varintSmall(bits: 16 | 32): number {
    const start = this.offset;
    const maxBytes = bits === 16 ? 3 : 5;
    const lastMax = bits === 16 ? 3 : 15;
    let out = 0;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.pop();
      out += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (i === maxBytes - 1 && byte > lastMax) throw new DecodeError("BadVarint", `a u${bits} varint has bits beyond its type`, start);
        return out;
      }
    }
    throw new DecodeError("BadVarint", `a u${bits} varint is too long`, start);
  }

  u8(): number {
    return this.pop();
  }

  i8(): number {
    return (this.pop() << 24) >> 24;
  }

  u16(): number {
    return this.varintSmall(16);
  }

  u32(): number {
    return this.varintSmall(32);
  }

  u64(): bigint {
    const start = this.offset;
    let out = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.pop();
      out |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) {
        if (i === 9 && byte > 1) throw new DecodeError("BadVarint", "a u64 varint has bits beyond its type", start);
        return out;
      }
    }
    throw new DecodeError("BadVarint", "a u64 varint is too long", start);
  }

  i32(): number {
    const n = this.u32();
    return n % 2 === 0 ? n / 2 : -(n - 1) / 2 - 1;
  }

  i64(): bigint {
    const n = this.u64();
    return (n & 1n) === 0n ? n >> 1n : -(n >> 1n) - 1n;
  }

  bool(): boolean {
    const at = this.offset;
    const b = this.pop();
    if (b > 1) throw new DecodeError("OutOfRange", `a bool is ${b}`, at);
    return b === 1;
  }

  /** An option's tag: whether a value follows. */
  option(): boolean {
    const at = this.offset;
    const b = this.pop();
    if (b > 1) throw new DecodeError("BadTag", `an option tag is ${b}`, at);
    return b === 1;
  }

  /** A sequence's or string's length (usize: a u64 varint). */
  length(): number {
    const n = this.u64();
    // Every element takes at least one byte: a longer length is refused when the
    // bytes run out; a number this large is only ever a loop bound.
    return Number(n);
  }

  /** An enum variant index below `variants`. */
  variant(variants: number, what: string): number {
    const at = this.offset;
    const v = this.u32();
    if (v >= variants) throw new DecodeError("BadTag", `no ${what} variant ${v}`, at);
    return v;
  }

  bytesOf(len: number): Uint8Array {
    if (this.bytes.length - this.offset < len) throw new DecodeError("Truncated", "the input ended inside a value", this.offset);
    const out = this.bytes.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  /** serde bytes (a length, then the bytes). */
  byteString(): Uint8Array {
    return this.bytesOf(this.length());
  }

  string(): string {
    const at = this.offset;
    const bytes = this.byteString();
    try {
      return utf8.decode(bytes);
    } catch {
      throw new DecodeError("BadUtf8", "a string is not UTF-8", at);
    }
  }

  seq<T>(item: () => T): T[] {
    const len = this.length();
    const out: T[] = [];
    for (let i = 0; i < len; i++) out.push(item());
    return out;
  }
}
