// orrery-sdk: play Orrery games from a browser. No runtime dependencies, no Node imports.
//
// Contents:
// - errors.ts        DecodeError (bad bytes, with a `kind`) and OrreryError (a `code`: the
//                    server's ErrorCode name, or CircuitOpen / Closed / Http / Decode)
// - protocol/        the v1 wire protocol: message types (ClientMsg, ServerMsg, Frame, ...),
//                    the postcard codec (encodeClientMsg, decodeServerMsg and the reverse),
//                    close codes (CloseCode), SUBPROTOCOL and TOKEN_SUBPROTOCOL_PREFIX
// - session/         Session: guest token, gateways in turn, backoff with full jitter, circuit
//                    breaker, resume from the cursor, gaps -> Resync, input and command resend,
//                    clock sync; plus the HTTP calls (guestToken, createRoom, lookupInvite)
// - arena/           the space arena's client (ArenaView, Intent, Predictor, ArenaClient)
// - frontier/        Frontier's client (FrontierView, encodeCommand), exported as `frontier`

export * from "./errors.js";
export * from "./protocol/index.js";
export * from "./session/index.js";
export * from "./arena/index.js";
export * as frontier from "./frontier/index.js";
