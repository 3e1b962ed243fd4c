// Texts of the heads-up display, from plain values: the phase banner and the scoreboard's
// order. Pure, so the rules are tested without a browser.

export type PhaseName = "lobby" | "countdown" | "running" | "over" | "closable";

export interface ScoreLine {
  name: string;
  score: number;
  kills: number;
  alive: boolean;
  connected: boolean;
  mine: boolean;
}

/** The big line over the arena ("" while a match runs). */
export function bannerText(phase: PhaseName, secondsLeft: number, players: number, winner?: string): string {
  switch (phase) {
    case "lobby":
      return `Waiting for players… ${players} here`;
    case "countdown":
      return `Starting in ${Math.max(1, Math.ceil(secondsLeft))}`;
    case "running":
      return "";
    case "over":
    case "closable":
      return winner === undefined ? "Match over" : `Match over: ${winner} wins`;
  }
}

/** m:ss of a time left. */
export function clock(secondsLeft: number): string {
  const s = Math.max(0, Math.ceil(secondsLeft));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Best first: score, then kills, then the living, then by name. */
export function ranked(lines: readonly ScoreLine[]): ScoreLine[] {
  return [...lines].sort(
    (a, b) => b.score - a.score || b.kills - a.kills || Number(b.alive) - Number(a.alive) || a.name.localeCompare(b.name),
  );
}
