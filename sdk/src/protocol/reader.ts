// A postcard reader (https://postcard.jamesmunns.com/wire-format) that refuses exactly what
// the Rust decoder (postcard 1.x) refuses, with a typed DecodeError, plus u64 values above
// 2^53 - 1, which a JavaScript number cannot hold ("OutOfRange").
//
// Running out of input is "Truncated" inside a tag, varint or flag byte, and "TooLong" when a
// length prefix asks for more bytes than are left (as postcard: `pop` vs `try_take_n`).

import { DecodeError } from "../errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class Reader {
  private readonly bytes: Uint8Array;
  private pos = 0;

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
  private varint(maxBytes: number, lastMax: number, what: string): number {
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
    return this.varint(3, 0b11, "u16");
  }

  u32(): number {
    return this.varint(5, 0b1111, "u32");
  }

  /** A u64 that must be at most 2^53 - 1. */
  u64(): number {
    const start = this.pos;
    const v = this.varint(10, 1, "u64");
    if (v > Number.MAX_SAFE_INTEGER) {
      throw new DecodeError("OutOfRange", "a u64 above 2^53 - 1 does not fit a JavaScript number", start);
    }
    return v;
  }

  /** A length or count (postcard's usize: a u64 varint). May be imprecise when huge. */
  private length(): number {
    return this.varint(10, 1, "length");
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

  /** A length-prefixed byte string (a copy: it does not alias the input). */
  bytesField(): Uint8Array {
    return this.take().slice();
  }

  private take(): Uint8Array {
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
    const raw = this.take();
    try {
      return utf8.decode(raw);
    } catch {
      throw new DecodeError("BadUtf8", "a string that is not valid UTF-8", start);
    }
  }

  /** A UUID (serde's non-human-readable form: a byte string of length 16). */
  uuid(): string {
    const start = this.pos;
    const raw = this.take();
    if (raw.length !== 16) throw new DecodeError("Invalid", `a UUID of ${raw.length} bytes instead of 16`, start);
    let h = "";
    for (const b of raw) h += b.toString(16).padStart(2, "0");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
