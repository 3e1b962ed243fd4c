// The page: the start screen, one Session for the page's life (gateways: this origin, the
// serving gateway's /config.json, ?gateways=), a game per match, the next match.

import { OrreryError, Session } from "orrery-sdk";
import { PageArena } from "./arena.js";
import { FrontierPage, frontierElements } from "./frontier.js";
import { createDebug } from "./debug.js";
import { elements } from "./dom.js";
import { configuredGateways, gatewayList } from "./gateways.js";
import { runMatch } from "./match.js";
import { describe, inviteLookupError } from "./refusals.js";
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

/**
 * Frontier (modes `frontier*`, chosen in the mode list, or the mode an invite code names): a private
 * room's map, orders and log, until the room closes.
 * The page listens before the join so the first keyframe is kept.
 */
async function playFrontier(s: Session, choice: Choice): Promise<undefined> {
  const fel = frontierElements();
  const page = new FrontierPage(s, fel);
  try {
    if (choice.kind === "create") {
      const created = await s.createRoom({ mode: choice.mode, private: true, maxPlayers: 2, tickHz: 10 });
      fel.root.querySelector("#fr-code")!.textContent = `Invite code: ${created.inviteCode ?? ""}`;
      await s.join(created.room);
    } else if (choice.kind === "code") {
      await s.joinByCode(choice.code);
    }
    el.start.hidden = true;
    fel.root.hidden = false;
    await new Promise<void>((done) => s.on("message", (m) => m.type === "RoomClosed" && done()));
  } finally {
    page.stop();
    fel.root.hidden = true;
  }
  return undefined;
}

/** The mode (so the game) a choice plays: an invite code is looked up, as it names its room's. */
async function modeOf(s: Session, choice: Choice): Promise<string> {
  if (choice.kind === "create") return choice.mode;
  if (choice.kind !== "code") return QUICK_PLAY_MODE;
  try {
    return (await s.lookupInvite(choice.code)).mode;
  } catch (e) {
    throw inviteLookupError(e);
  }
}

/** Join as chosen; the arena is listening before the join so the first keyframe is kept. */
async function play(choice: Choice): Promise<Choice | undefined> {
  const s = await connect(choice.name);
  if ((await modeOf(s, choice)).startsWith("frontier")) return playFrontier(s, choice);
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
  return runMatch(el, debug, s, arena, choice, invite);
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

void main();
