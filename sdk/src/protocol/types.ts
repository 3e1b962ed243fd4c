// The v1 client protocol's messages as TypeScript values (common/src/protocol/client.rs).
// Enums are discriminated unions on `type`, named after the Rust variants; fields keep their
// Rust names, in camelCase when they have two words (`tick_hz` -> `tickHz`). u64 ids and
// counters are numbers (a decoder refuses values above 2^53 - 1), byte strings Uint8Arrays,
// a PlayerId a lowercase hyphenated UUID string, an Option `null` when None.

/** A player: the `sub` of their token, a lowercase hyphenated UUID. */
export type PlayerId = string;

/** Where a reconnecting client was: the last frame it applied. */
export interface Resume {
  epoch: number;
  tick: number;
}

/** Client to gateway. */
export type ClientMsg =
  | { type: "Join"; room: number; resume: Resume | null }
  | { type: "Input"; seq: number; payload: Uint8Array }
  | { type: "Command"; id: number; payload: Uint8Array }
  | { type: "Resync" }
  | { type: "Leave" }
  | { type: "Ping"; clientTimeUs: number }
  | { type: "Queue"; mode: string; region: string; party: PlayerId[] }
  | { type: "LeaveQueue" }
  | { type: "JoinByCode"; code: string }
  | { type: "Watch"; room: number };

/** A keyframe stands alone; a delta applies to the state at `base`. */
export type FrameKind = { type: "Keyframe" } | { type: "Delta"; base: number };

/** One tick of a room as one client sees it. */
export interface Frame {
  room: number;
  epoch: number;
  tick: number;
  kind: FrameKind;
  /** The last input sequence of yours the room has applied, as of this tick. */
  ack: number | null;
  /** The game's keyframe or delta. */
  payload: Uint8Array;
}

/** What happened to a command. */
export type CommandOutcome = { type: "Accepted" } | { type: "Rejected"; reason: string };

/** The server's error codes, in wire order (the variant index is the position). */
export const ERROR_CODES = [
  "RoomNotFound",
  "RoomUnavailable",
  "JoinRefused",
  "NotInRoom",
  "Internal",
  "QueueRefused",
  "Spectating",
  "SpectatorsFull",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The limits the gateway enforces. */
export interface Limits {
  maxMessageBytes: number;
  messagesPerSecond: number;
  messageBurst: number;
}

export interface Welcome {
  type: "Welcome";
  protocol: number;
  player: PlayerId;
  limits: Limits;
}

/** The seat is yours; resend the inputs after `lastInput`. */
export interface Joined {
  type: "Joined";
  room: number;
  tickHz: number;
  lastInput: number | null;
}

/** Watching a room without a seat: its frames (the spectator view) follow. */
export interface Watching {
  type: "Watching";
  room: number;
  tickHz: number;
}

/** Gateway to client. */
export type ServerMsg =
  | Welcome
  | Joined
  | { type: "Frame"; frame: Frame }
  | { type: "CommandAck"; id: number; outcome: CommandOutcome }
  | { type: "Pong"; clientTimeUs: number; serverTimeMs: number; tick: number | null }
  | { type: "Error"; code: ErrorCode; message: string }
  | { type: "GoAway"; reason: string; reconnectAfterMs: number }
  | { type: "Queued"; ticket: string }
  | { type: "Matched"; room: number }
  | { type: "QueueLeft" }
  | { type: "RoomClosed"; room: number }
  | { type: "Kicked"; room: number }
  | Watching;

/** The variants in wire order: a message's tag is its index here. */
export const CLIENT_MSG_TYPES = [
  "Join",
  "Input",
  "Command",
  "Resync",
  "Leave",
  "Ping",
  "Queue",
  "LeaveQueue",
  "JoinByCode",
  "Watch",
] as const satisfies readonly ClientMsg["type"][];

export const SERVER_MSG_TYPES = [
  "Welcome",
  "Joined",
  "Frame",
  "CommandAck",
  "Pong",
  "Error",
  "GoAway",
  "Queued",
  "Matched",
  "QueueLeft",
  "RoomClosed",
  "Kicked",
  "Watching",
] as const satisfies readonly ServerMsg["type"][];
