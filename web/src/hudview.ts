// Puts the HUD on the page: scoreboard, clock and banner, cooldown meters, invite code,
// the Next match button and the connection overlay. Writes the DOM only when a text changed.

import type { Elements } from "./dom.js";
import { bannerText, clock, ranked } from "./hud.js";
import { css, type Scene } from "./scene.js";
import { overlayText, type Status } from "./status.js";

export class HudView {
  private last = new Map<HTMLElement, string>();
  /** Why the room is gone, once it is. */
  closed: string | undefined;

  constructor(private readonly el: Elements) {}

  private set(node: HTMLElement, html: string, asHtml = false): void {
    if (this.last.get(node) === html) return;
    this.last.set(node, html);
    if (asHtml) node.innerHTML = html;
    else node.textContent = html;
  }

  scene(scene: Scene | undefined): void {
    if (scene === undefined) {
      this.set(this.el.banner, this.closed ?? "Joining…");
      this.el.next.hidden = this.closed === undefined;
      return;
    }
    const lines = ranked(scene.ships);
    const rows = lines.map((s) => {
      const colour = scene.ships.find((x) => x.name === s.name)?.colour ?? 0xffffff;
      const cls = [s.mine ? "mine" : "", s.alive ? "" : "dead"].join(" ").trim();
      return `<tr class="${cls}"><td><span class="dot" style="background:${css(colour)}"></span>${escapeHtml(s.name)}${s.connected ? "" : " ⋯"}</td><td class="num">${s.score}</td><td class="num">${s.kills}✕</td></tr>`;
    });
    this.set(this.el.scoreboard, `<table>${rows.join("")}</table>`, true);
    const over = scene.phase === "over" || scene.phase === "closable";
    const winner = over ? lines.find((l) => l.alive)?.name ?? lines[0]?.name : undefined;
    this.set(this.el.banner, this.closed ?? bannerText(scene.phase, scene.secondsLeft, scene.ships.length, winner));
    this.set(this.el.clock, scene.phase === "running" ? clock(scene.secondsLeft) : "");
    this.el.next.hidden = !over && this.closed === undefined;
    const mine = scene.ships.find((s) => s.mine);
    this.el.thrustBar.style.width = `${Math.round((1 - (mine?.thrustCooldown ?? 0)) * 100)}%`;
    this.el.fireBar.style.width = `${Math.round((1 - (mine?.fireCooldown ?? 0)) * 100)}%`;
  }

  invite(code: string | undefined): void {
    this.el.invite.hidden = code === undefined;
    if (code !== undefined) this.set(this.el.invite, `Invite code <b id="invite-code">${escapeHtml(code)}</b>`, true);
  }

  status(status: Status): void {
    const text = overlayText(status);
    this.el.overlay.hidden = text === "" || status.kind === "playing";
    this.el.overlay.classList.toggle("failed", status.kind === "failed");
    this.el.overlay.dataset["status"] = status.kind;
    this.el.reload.hidden = status.kind !== "failed";
    this.set(this.el.overlayText, text);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
