// The page: the start screen, one Session for the page's life (gateways: this origin, the
// serving gateway's /config.json, ?gateways=), a game per match, the next match.

import { OrreryError, Session, type ServerMsg } from "orrery-sdk";
import { PageArena } from "./arena.js";
import { createDebug, note } from "./debug.js";
import { elements, type Elements } from "./dom.js";
import { GameLoop } from "./game.js";
import { configuredGateways, gatewayList } from "./gateways.js";
import { type Choice, chooseGame, showGame } from "./start.js";

/** The mode Quick play queues for (cargo xtask up keeps bots waiting in it). */
export const QUICK_PLAY_MODE = "arena";

const el = elements();
const debug = createDebug();
let session: Session | undefined;

async function connect(name: string): Promise<Session> {
  if (session !== undefined && session.state !== "failed" && session.state !== "closed") return session;
  if (debug.gateways.length === 0) debug.gateways = gatewayList(location.origin, location.search, await configuredGateways());
  session = await Session.connect({ gateways: debug.gateways, name: name === "" ? undefined : name });
  debug.session = session;
  return session;
}

/** Join as chosen; the arena is listening before the join so the first keyframe is kept. */
async function play(choice: Choice): Promise<Choice | undefined> {
  const s = await connect(choice.name);
  const arena = new PageArena(s, debug);
  let invite: string | undefined;
  try {
    if (choice.kind === "quick") {
      await s.quickPlay(QUICK_PLAY_MODE);
    } else if (choice.kind === "create") {
      const created = await s.createRoom({ mode: choice.mode, private: true });
      invite = created.inviteCode;
      await s.join(created.room);
    } else {
      await s.joinByCode(choice.code);
    }
  } catch (e) {
    arena.stop();
    throw e;
  }
  debug.room = s.room;
  debug.inviteCode = invite;
  showGame(el);
  return runMatch(s, arena, choice, invite);
}

/** Until the player asks for the next match: resolves with the choice to play next. */
function runMatch(s: Session, arena: PageArena, choice: Choice, invite: string | undefined): Promise<Choice | undefined> {
  const loop = new GameLoop(el, arena);
  loop.invite(invite);
  const status = () => (debug.status = loop.connectionStatus.kind);
  let reconnectingAt: number | undefined;
  loop.onFrameDrawn = (now) => {
    debug.framesDrawn += 1;
    if (reconnectingAt !== undefined && s.state === "connected") {
      note(debug, "drawn");
      debug.resumes.push(now - reconnectingAt);
      reconnectingAt = undefined;
    }
  };
  loop.onStall = (gap) => note(debug, `no animation frame for ${gap.toFixed(0)} ms`);
  let epoch = s.cursor?.epoch;
  let closed = false;
  const offs = [
    s.on("joined", () => (loop.connection({ type: "joined" }), status())),
    s.on("gap", () => note(debug, "gap")),
    s.on("reconnecting", (info) => {
      note(debug, `reconnecting ${info.reason}`);
      reconnectingAt ??= performance.now();
      loop.connection({ type: "reconnecting", attempt: info.attempt, at: performance.now() });
      status();
    }),
    s.on("resumed", (info) => {
      debug.resumedAfter.push(info.afterMs);
      note(debug, `resumed ${info.gateway} resent ${info.resent}`);
      loop.connection({ type: "resumed" });
      status();
    }),
    s.on("failed", (e) => (loop.connection({ type: "failed", code: e.code }), status())),
    s.on("closed", () => (loop.connection({ type: "failed", code: "Closed" }), status())),
    s.on("frame", (f) => {
      // A new owner restored the room from a snapshot: say again what we are doing.
      if (reconnectingAt !== undefined) note(debug, `frame ${f.epoch}/${f.tick} ${f.kind.type}`);
      if (epoch !== undefined && f.epoch > epoch) loop.resendIntent();
      epoch = f.epoch;
    }),
    s.on("message", (m: ServerMsg) => {
      if (reconnectingAt !== undefined) note(debug, `message ${m.type}`);
      if (m.type !== "RoomClosed" && m.type !== "Kicked") return;
      closed = true;
      loop.roomClosed(m.type === "Kicked" ? "You were removed from this room." : "The room closed.");
      if (wanted) proceed();
    }),
  ];
  let wanted = false;
  let proceed: () => void = () => {};
  loop.connection({ type: "joined" });
  status();
  return new Promise((resolve) => {
    let done = false;
    proceed = () => {
      if (done) return;
      done = true;
      el.next.removeEventListener("click", next);
      el.next.disabled = false;
      el.next.textContent = "Next match";
      for (const off of offs) off();
      loop.stop();
      arena.stop();
      resolve(choice.kind === "code" ? undefined : choice);
    };
    // The next match starts once this room closed (until then the matchmaker would send
    // us back to it); a room that never says so is given 15 s.
    const next = () => {
      if (closed) return proceed();
      wanted = true;
      el.next.disabled = true;
      el.next.textContent = "Next match: the room is closing…";
      setTimeout(proceed, 15_000);
    };
    el.next.addEventListener("click", next);
  });
}

async function main(): Promise<void> {
  let error = "";
  let choice: Choice | undefined;
  for (;;) {
    choice ??= await chooseGame(el, error);
    error = "";
    try {
      choice = await play(choice);
    } catch (e) {
      choice = undefined;
      error = e instanceof OrreryError ? describe(e) : `Something went wrong: ${String(e)}`;
    }
  }
}

function describe(e: OrreryError): string {
  switch (e.code) {
    case "RoomNotFound":
      return "No room with that code (or its match is over).";
    case "JoinRefused":
      return "That room does not take new players now.";
    case "CircuitOpen":
      return "The game servers cannot be reached. Check your connection and try again.";
    default:
      return `Could not join (${e.code}).`;
  }
}

void main();
