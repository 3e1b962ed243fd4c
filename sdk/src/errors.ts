// The SDK's two error types. Both are classes so callers can use `instanceof`,
// and both carry a machine-readable field (`kind`, `code`) to branch on:
// never match on `message`, it is for humans.

/** Why a decoder refused its input. */
export type DecodeErrorKind =
  | "Truncated" // the input ended inside a value
  | "TrailingBytes" // a complete value was followed by more bytes
  | "BadTag" // an enum variant index that does not exist
  | "BadVarint" // a varint longer than its type allows, or with bits beyond its type
  | "OutOfRange" // a valid integer that does not fit the target (u64 above 2^53-1, bool > 1, ...)
  | "BadUtf8" // a string that is not valid UTF-8
  | "TooLong" // a length prefix beyond what the input (or a limit) allows
  | "Invalid"; // anything else that is structurally wrong

/** The only thing a decoder ever throws on bad bytes. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  readonly kind: DecodeErrorKind;
  /** Byte offset in the input where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(kind: DecodeErrorKind, message: string, offset?: number) {
    super(offset === undefined ? `${kind}: ${message}` : `${kind} at byte ${offset}: ${message}`);
    this.kind = kind;
    this.offset = offset;
  }
}

/**
 * An error from the server (`code` is the `ErrorCode` variant name, e.g. "RoomNotFound",
 * "JoinRefused") or from the client itself ("CircuitOpen", "Closed", "Http", "Decode").
 *
 * A request the gateway refused (code "Http") carries its HTTP `status` (404 for an
 * unknown invite code, 429 over a quota, ...): branch on it, as on `code`. A request that
 * got no answer at all (a network failure) has none. The gateway's error body is
 * `{"error": "<text>"}` (docs/protocol.md §2): its text goes into `message`, for humans.
 */
export class OrreryError extends Error {
  override readonly name = "OrreryError";
  readonly code: string;
  /** The HTTP status of a refused request; undefined when no HTTP answer came. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }
}
