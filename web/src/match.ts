// One match on the page: the game loop fed with the Session's connection events (the
// overlay, resume timings for window.orrery, the intent resent on a new epoch), until the
// player asks for the next match once the room has closed.

import type { ServerMsg, Session } from "orrery-sdk";
import type { PageArena } from "./arena.js";
import { type Debug, note } from "./debug.js";
import type { Elements } from "./dom.js";
import { GameLoop } from "./game.js";
import type { Choice } from "./start.js";

/** Until the player asks for the next match: resolves with the choice to play next. */
export function runMatch(
  el: Elements,
  debug: Debug,
  s: Session,
  arena: PageArena,
  choice: Choice,
  invite: string | undefined,
): Promise<Choice | undefined> {
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
