// The v1 protocol's constants, as in common/src/protocol/client.rs.

/** Version of the protocol; also the `v1` in the subprotocol name. `Welcome.protocol` repeats it. */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol a client must offer. */
export const SUBPROTOCOL = "orrery.v1";
/** Browsers cannot set headers: the token travels as a second subprotocol `orrery.token.<jwt>`. */
export const TOKEN_SUBPROTOCOL_PREFIX = "orrery.token.";
/** The largest integer a JavaScript number holds exactly (2^53 - 1): u64 values above it are refused. */
export const MAX_SAFE_U64 = Number.MAX_SAFE_INTEGER;
