// What the page tells a player whose join failed, from the OrreryError's typed fields
// (`code`, and `status` for a refused HTTP request): never from its message, which is for humans.

import { OrreryError } from "orrery-sdk";

/**
 * An invite lookup's failure as the join by that code would fail: an unknown code (HTTP 404)
 * is "RoomNotFound", as the socket says it. Anything else is kept as it is.
 */
export function inviteLookupError(e: unknown): unknown {
  if (e instanceof OrreryError && e.code === "Http" && e.status === 404) return new OrreryError("RoomNotFound", e.message, { cause: e });
  return e;
}

/** The start screen's line for a join that failed. */
export function describe(e: OrreryError): string {
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
