// The Session: a game session that survives its connection.
export { Session, type SessionOptions, type SessionEvents, type SessionState } from "./session.js";
export type { Cursor } from "./cursor.js";
export type { CreateRoomOptions, CreatedRoom, GuestToken, Invite } from "./http.js";
export { guestToken, createRoom, lookupInvite, wsUrl } from "./http.js";
export type { Timers } from "./timers.js";
