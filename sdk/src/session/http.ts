// The gateway's HTTP API from the browser: guest tokens, room creation and invite lookups
// (gateway/src/api.rs, gateway/src/invites.rs), on one gateway or on the first of several that answers. Failures are
// OrreryError with code "Http", and the HTTP `status` when the gateway answered (a refusal).

import { OrreryError } from "../errors.js";

export interface GuestToken {
  token: string;
  player: string;
  name: string;
  expiresIn: number;
}

export interface CreateRoomOptions {
  mode?: string;
  private?: boolean;
  maxPlayers?: number;
  tickHz?: number;
  region?: string;
}

export interface CreatedRoom {
  room: number;
  inviteCode?: string;
}

/** What an invite code opens: the room, and its mode (which names its game). */
export interface Invite {
  room: number;
  mode: string;
}

/** "http://host:8080/" -> "ws://host:8080/v1/ws" ("https" -> "wss"). */
export function wsUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return `${trimmed.replace(/^http/, "ws")}/v1/ws`;
}

function trim(base: string): string {
  return base.replace(/\/+$/, "");
}

async function call(fetchFn: typeof fetch, url: string, init: RequestInit): Promise<unknown> {
  let resp: Response;
  try {
    resp = await fetchFn(url, init);
  } catch (e) {
    throw new OrreryError("Http", `${url}: ${String(e)}`, { cause: e });
  }
  const text = await resp.text().catch(() => "");
  if (!resp.ok) {
    let detail = text;
    try {
      detail = String((JSON.parse(text) as { error?: unknown }).error ?? text);
    } catch {
      // not JSON: keep the text
    }
    throw new OrreryError("Http", `${url}: ${resp.status} ${detail}`, { status: resp.status });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new OrreryError("Http", `${url}: the answer is not JSON`, { cause: e });
  }
}

/** `POST /v1/auth/guest {name}`. */
export async function guestToken(fetchFn: typeof fetch, base: string, name?: string): Promise<GuestToken> {
  const body = await call(fetchFn, `${trim(base)}/v1/auth/guest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(name === undefined ? {} : { name }),
  });
  const b = body as { token?: unknown; player?: unknown; name?: unknown; expires_in?: unknown };
  if (typeof b.token !== "string" || typeof b.player !== "string") {
    throw new OrreryError("Http", "the guest token answer has no token");
  }
  return {
    token: b.token,
    player: b.player,
    name: typeof b.name === "string" ? b.name : "",
    expiresIn: typeof b.expires_in === "number" ? b.expires_in : 0,
  };
}

/** `POST /v1/rooms` with a bearer token. */
export async function createRoom(
  fetchFn: typeof fetch,
  base: string,
  token: string,
  opts: CreateRoomOptions = {},
): Promise<CreatedRoom> {
  const settings: Record<string, unknown> = {};
  if (opts.mode !== undefined) settings["mode"] = opts.mode;
  if (opts.region !== undefined) settings["region"] = opts.region;
  if (opts.maxPlayers !== undefined) settings["max_players"] = opts.maxPlayers;
  if (opts.tickHz !== undefined) settings["tick_hz"] = opts.tickHz;
  if (opts.private !== undefined) settings["private"] = opts.private;
  const body = (await call(fetchFn, `${trim(base)}/v1/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(settings),
  })) as { room?: unknown; invite_code?: unknown };
  if (typeof body.room !== "number") throw new OrreryError("Http", "the room answer has no room");
  return typeof body.invite_code === "string" ? { room: body.room, inviteCode: body.invite_code } : { room: body.room };
}

/** A guest token from the first gateway that answers, and that gateway's index. */
export async function guestTokenFromAny(fetchFn: typeof fetch, gateways: string[], name?: string): Promise<{ guest: GuestToken; index: number }> {
  let last: unknown;
  for (const [index, gateway] of gateways.entries()) {
    try {
      return { guest: await guestToken(fetchFn, gateway, name), index };
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof OrreryError ? last : new OrreryError("Http", `no gateway gave a guest token: ${String(last)}`);
}

/** `GET /v1/invites/{code}` with a bearer token: the room a code opens and its game; admits nobody. */
export async function lookupInvite(fetchFn: typeof fetch, base: string, token: string, code: string): Promise<Invite> {
  const body = (await call(fetchFn, `${trim(base)}/v1/invites/${encodeURIComponent(code.trim())}`, {
    method: "GET",
    headers: { authorization: `Bearer ${token}` },
  })) as { room?: unknown; mode?: unknown };
  if (typeof body.room !== "number" || typeof body.mode !== "string") throw new OrreryError("Http", "the invite answer has no room or mode");
  return { room: body.room, mode: body.mode };
}

/** `call` on the first of `gateways` that answers; a refusal (4xx, 5xx) is not tried elsewhere. */
export async function onAny<T>(gateways: string[], call: (gateway: string) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const gateway of gateways) {
    try {
      return await call(gateway);
    } catch (e) {
      last = e;
      // A refusal (an HTTP status) is the same everywhere; only a network failure is worth another gateway.
      if (e instanceof OrreryError && e.status !== undefined) break;
    }
  }
  throw last instanceof OrreryError ? last : new OrreryError("Http", String(last));
}

/** `createRoom` on the first of `gateways` that answers. */
export function createRoomOnAny(fetchFn: typeof fetch, gateways: string[], token: string, opts: CreateRoomOptions = {}): Promise<CreatedRoom> {
  return onAny(gateways, (gateway) => createRoom(fetchFn, gateway, token, opts));
}

/** The `name` and `sub` claims of a JWT, read without verifying it (the server does that). */
export function tokenClaims(token: string): { sub?: string; name?: string } {
  try {
    const part = token.split(".")[1] ?? "";
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as { sub?: unknown; name?: unknown };
    return {
      ...(typeof claims.sub === "string" ? { sub: claims.sub } : {}),
      ...(typeof claims.name === "string" ? { name: claims.name } : {}),
    };
  } catch {
    return {};
  }
}
