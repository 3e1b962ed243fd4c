// A postcard writer: canonical (shortest) varints, length-prefixed strings and byte strings,
// Options as a 0/1 tag, enums as their variant index. Values that do not fit their type are a
// programming error: RangeError.

const utf8 = new TextEncoder();
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export class Writer {
  private buf = new Uint8Array(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${v} is not a u8`);
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  private varint(v: number, max: number, what: string): this {
    if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new RangeError(`${v} is not a ${what}`);
    this.reserve(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    return this.varint(v, 0xffff, "u16");
  }

  u32(v: number): this {
    return this.varint(v, 0xffff_ffff, "u32");
  }

  /** A u64 given as a number: at most 2^53 - 1. */
  u64(v: number): this {
    return this.varint(v, Number.MAX_SAFE_INTEGER, "u64 of at most 2^53 - 1");
  }

  /** An enum's variant index. */
  tag(index: number): this {
    return this.u32(index);
  }

  flag(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  option<T>(v: T | null | undefined, write: (v: T) => void): this {
    if (v === null || v === undefined) return this.u8(0);
    this.u8(1);
    write(v);
    return this;
  }

  bytesField(b: Uint8Array): this {
    this.varint(b.length, Number.MAX_SAFE_INTEGER, "length");
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(s: string): this {
    return this.bytesField(utf8.encode(s));
  }

  /** A UUID in its hyphenated text form, written as 16 bytes (case-insensitive). */
  uuid(s: string): this {
    if (!UUID.test(s)) throw new RangeError(`${JSON.stringify(s)} is not a hyphenated UUID`);
    const hex = s.replace(/-/g, "");
    const raw = new Uint8Array(16);
    for (let i = 0; i < 16; i++) raw[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return this.bytesField(raw);
  }

  seq<T>(items: readonly T[], write: (v: T) => void): this {
    this.varint(items.length, Number.MAX_SAFE_INTEGER, "length");
    for (const item of items) write(item);
    return this;
  }

  /** The bytes written (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
