// What the page tells the player about the connection, from the Session's events. Calm:
// a short resume shows a small overlay; only the circuit breaker giving up is an error.

export type Status =
  | { kind: "idle" }
  | { kind: "connecting" }
  | { kind: "playing" }
  | { kind: "reconnecting"; attempt: number; since: number }
  | { kind: "failed"; message: string };

export type StatusEvent =
  | { type: "connecting" }
  | { type: "joined" }
  | { type: "reconnecting"; attempt: number; at: number }
  | { type: "resumed" }
  | { type: "failed"; code: string };

export function nextStatus(status: Status, event: StatusEvent): Status {
  switch (event.type) {
    case "connecting":
      return { kind: "connecting" };
    case "joined":
    case "resumed":
      return status.kind === "failed" ? status : { kind: "playing" };
    case "reconnecting":
      if (status.kind === "failed") return status;
      return { kind: "reconnecting", attempt: event.attempt, since: status.kind === "reconnecting" ? status.since : event.at };
    case "failed":
      return { kind: "failed", message: failureText(event.code) };
  }
}

/** The message for a session that gave up, by error code (never by message text). */
export function failureText(code: string): string {
  if (code === "CircuitOpen") {
    return "The game servers cannot be reached. We stopped retrying so we don't hammer them; check your connection and reload the page to try again.";
  }
  if (code === "Closed") return "The session was closed. Reload the page to play again.";
  return `The session ended (${code}). Reload the page to play again.`;
}

/** The overlay line while resuming ("" when none is shown). */
export function overlayText(status: Status): string {
  switch (status.kind) {
    case "connecting":
      return "Connecting…";
    case "reconnecting":
      return status.attempt <= 1 ? "Reconnecting…" : `Reconnecting… (attempt ${status.attempt})`;
    case "failed":
      return status.message;
    default:
      return "";
  }
}
