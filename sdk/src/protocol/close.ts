// WebSocket close codes, as in common/src/protocol/close.rs: why the server ended a connection.
// Standard codes where one fits; the 4000 range is Orrery's.

export const CloseCode = {
  /** Normal end: the client left. */
  NORMAL: 1000,
  /** The gateway is draining: reconnect to another one. */
  GOING_AWAY: 1001,
  /** A message above the size limit. */
  TOO_LARGE: 1009,
  /** The server failed; reconnect and resume. */
  INTERNAL: 1011,
  /** A frame that is not a binary postcard `ClientMsg` of protocol v1. */
  MALFORMED: 4000,
  /** More messages than the rate limit allows. */
  RATE_LIMITED: 4002,
  /** The player was removed from the room and may not rejoin it. */
  KICKED: 4003,
  /** The client did not read its frames fast enough; reconnect and resume. */
  SLOW_CONSUMER: 4005,
  /** No pong (or any message) within the idle timeout. */
  IDLE_TIMEOUT: 4006,
  /** The same player connected again elsewhere; this older connection ends. */
  REPLACED: 4007,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether a close code means "do not reconnect": MALFORMED and TOO_LARGE (fix the client),
 * KICKED (removed from the room) and REPLACED (another session of this player is active).
 * Every other code (1000 without a Leave, 1001, 1006, 1011, 4002, 4005, 4006, ...) is worth a
 * reconnect and resume, with backoff (docs/protocol.md §8.2).
 */
export function isFatalClose(code: number): boolean {
  return (
    code === CloseCode.MALFORMED ||
    code === CloseCode.TOO_LARGE ||
    code === CloseCode.KICKED ||
    code === CloseCode.REPLACED
  );
}
