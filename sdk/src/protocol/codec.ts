// Encoding and decoding of the v1 client protocol, both directions. The browser needs
// encodeClientMsg and decodeServerMsg; the other two exist for tests, fakes and tools, and so
// that every golden fixture round-trips.
//
// Decoders throw nothing but DecodeError, whatever the input.

import { DecodeError } from "../errors.js";
import { Reader } from "./reader.js";
import type { ClientMsg, CommandOutcome, ErrorCode, Frame, FrameKind, ServerMsg } from "./types.js";
import { CLIENT_MSG_TYPES, ERROR_CODES, SERVER_MSG_TYPES } from "./types.js";
import { Writer } from "./writer.js";

type Bytes = Uint8Array | ArrayBuffer;

/** Run a decoder; anything but a DecodeError escaping it is a bug, reported as "Invalid". */
function decodeWith<T>(bytes: Bytes, read: (r: Reader) => T): T {
  const r = new Reader(bytes);
  try {
    const value = read(r);
    r.end();
    return value;
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError("Invalid", `unexpected failure: ${String(e)}`, r.offset);
  }
}

function badTag(what: string, tag: { index: number; offset: number }): DecodeError {
  return new DecodeError("BadTag", `unknown ${what} variant ${tag.index}`, tag.offset);
}

// ---- ClientMsg -----------------------------------------------------------------------------

export function encodeClientMsg(msg: ClientMsg): Uint8Array {
  const w = new Writer();
  w.tag(CLIENT_MSG_TYPES.indexOf(msg.type));
  switch (msg.type) {
    case "Join":
      w.u64(msg.room).option(msg.resume, (r) => w.u64(r.epoch).u64(r.tick));
      break;
    case "Input":
      w.u32(msg.seq).bytesField(msg.payload);
      break;
    case "Command":
      w.u32(msg.id).bytesField(msg.payload);
      break;
    case "Ping":
      w.u64(msg.clientTimeUs);
      break;
    case "Queue":
      w.string(msg.mode).string(msg.region).seq(msg.party, (p) => w.uuid(p));
      break;
    case "JoinByCode":
      w.string(msg.code);
      break;
    case "Watch":
      w.u64(msg.room);
      break;
    case "Resync":
    case "Leave":
    case "LeaveQueue":
      break;
  }
  return w.finish();
}

export function decodeClientMsg(bytes: Bytes): ClientMsg {
  return decodeWith(bytes, (r): ClientMsg => {
    const tag = r.tag();
    switch (CLIENT_MSG_TYPES[tag.index]) {
      case "Join":
        return { type: "Join", room: r.u64(), resume: r.option(() => ({ epoch: r.u64(), tick: r.u64() })) };
      case "Input":
        return { type: "Input", seq: r.u32(), payload: r.bytesField() };
      case "Command":
        return { type: "Command", id: r.u32(), payload: r.bytesField() };
      case "Resync":
        return { type: "Resync" };
      case "Leave":
        return { type: "Leave" };
      case "Ping":
        return { type: "Ping", clientTimeUs: r.u64() };
      case "Queue":
        return { type: "Queue", mode: r.string(), region: r.string(), party: r.seq(() => r.uuid()) };
      case "LeaveQueue":
        return { type: "LeaveQueue" };
      case "JoinByCode":
        return { type: "JoinByCode", code: r.string() };
      case "Watch":
        return { type: "Watch", room: r.u64() };
      default:
        throw badTag("ClientMsg", tag);
    }
  });
}

// ---- ServerMsg -----------------------------------------------------------------------------

function writeFrame(w: Writer, f: Frame): void {
  w.u64(f.room).u64(f.epoch).u64(f.tick);
  if (f.kind.type === "Keyframe") w.tag(0);
  else w.tag(1).u64(f.kind.base);
  w.option(f.ack, (a) => w.u32(a)).bytesField(f.payload);
}

function readFrame(r: Reader): Frame {
  const room = r.u64();
  const epoch = r.u64();
  const tick = r.u64();
  const tag = r.tag();
  let kind: FrameKind;
  if (tag.index === 0) kind = { type: "Keyframe" };
  else if (tag.index === 1) kind = { type: "Delta", base: r.u64() };
  else throw badTag("FrameKind", tag);
  return { room, epoch, tick, kind, ack: r.option(() => r.u32()), payload: r.bytesField() };
}

function readOutcome(r: Reader): CommandOutcome {
  const tag = r.tag();
  if (tag.index === 0) return { type: "Accepted" };
  if (tag.index === 1) return { type: "Rejected", reason: r.string() };
  throw badTag("CommandOutcome", tag);
}

function readErrorCode(r: Reader): ErrorCode {
  const tag = r.tag();
  const code = ERROR_CODES[tag.index];
  if (code === undefined) throw badTag("ErrorCode", tag);
  return code;
}

export function encodeServerMsg(msg: ServerMsg): Uint8Array {
  const w = new Writer();
  w.tag(SERVER_MSG_TYPES.indexOf(msg.type));
  switch (msg.type) {
    case "Welcome":
      w.u16(msg.protocol).uuid(msg.player);
      w.u32(msg.limits.maxMessageBytes).u16(msg.limits.messagesPerSecond).u16(msg.limits.messageBurst);
      break;
    case "Joined":
      w.u64(msg.room).u16(msg.tickHz).option(msg.lastInput, (s) => w.u32(s));
      break;
    case "Frame":
      writeFrame(w, msg.frame);
      break;
    case "CommandAck":
      w.u32(msg.id);
      if (msg.outcome.type === "Accepted") w.tag(0);
      else w.tag(1).string(msg.outcome.reason);
      break;
    case "Pong":
      w.u64(msg.clientTimeUs).u64(msg.serverTimeMs).option(msg.tick, (t) => w.u64(t));
      break;
    case "Error": {
      const code = ERROR_CODES.indexOf(msg.code);
      if (code < 0) throw new RangeError(`unknown error code ${msg.code}`);
      w.tag(code).string(msg.message);
      break;
    }
    case "GoAway":
      w.string(msg.reason).u32(msg.reconnectAfterMs);
      break;
    case "Queued":
      w.string(msg.ticket);
      break;
    case "Matched":
    case "RoomClosed":
    case "Kicked":
      w.u64(msg.room);
      break;
    case "Watching":
      w.u64(msg.room).u16(msg.tickHz);
      break;
    case "QueueLeft":
      break;
  }
  return w.finish();
}

export function decodeServerMsg(bytes: Bytes): ServerMsg {
  return decodeWith(bytes, (r): ServerMsg => {
    const tag = r.tag();
    switch (SERVER_MSG_TYPES[tag.index]) {
      case "Welcome":
        return {
          type: "Welcome",
          protocol: r.u16(),
          player: r.uuid(),
          limits: { maxMessageBytes: r.u32(), messagesPerSecond: r.u16(), messageBurst: r.u16() },
        };
      case "Joined":
        return { type: "Joined", room: r.u64(), tickHz: r.u16(), lastInput: r.option(() => r.u32()) };
      case "Frame":
        return { type: "Frame", frame: readFrame(r) };
      case "CommandAck":
        return { type: "CommandAck", id: r.u32(), outcome: readOutcome(r) };
      case "Pong":
        return { type: "Pong", clientTimeUs: r.u64(), serverTimeMs: r.u64(), tick: r.option(() => r.u64()) };
      case "Error":
        return { type: "Error", code: readErrorCode(r), message: r.string() };
      case "GoAway":
        return { type: "GoAway", reason: r.string(), reconnectAfterMs: r.u32() };
      case "Queued":
        return { type: "Queued", ticket: r.string() };
      case "Matched":
        return { type: "Matched", room: r.u64() };
      case "QueueLeft":
        return { type: "QueueLeft" };
      case "RoomClosed":
        return { type: "RoomClosed", room: r.u64() };
      case "Kicked":
        return { type: "Kicked", room: r.u64() };
      case "Watching":
        return { type: "Watching", room: r.u64(), tickHz: r.u16() };
      default:
        throw badTag("ServerMsg", tag);
    }
  });
}
