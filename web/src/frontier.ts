// Frontier in the page: the map with its fog, orders by clicking (a unit of yours, then a
// tile), End turn, the turn clock, whose turn it is, and the log of what happened.
// window.orrery.frontier is the page's FrontierView (the browser tests read it).

import { type Session, frontier } from "orrery-sdk";

type View = frontier.FrontierView;
const COLOURS = ["#e66", "#6ae", "#ec6", "#8d8"];

export interface FrontierElements {
  root: HTMLElement;
  status: HTMLElement;
  map: HTMLElement;
  end: HTMLButtonElement;
  log: HTMLElement;
}

export function frontierElements(): FrontierElements {
  const get = <T extends HTMLElement>(id: string): T => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`index.html has no #${id}`);
    return el as T;
  };
  return { root: get("frontier"), status: get("fr-status"), map: get("fr-map"), end: get("fr-end"), log: get("fr-log") };
}

/** A one-line description of a log entry, from `seat`'s point of view. */
export function describe(view: View, what: frontier.What): string {
  const name = (s: number) => view.pub.seats[s]?.name ?? `seat ${s}`;
  if (what === "Started") return "The match started.";
  if (what === "Closed") return "The room closed.";
  if ("Joined" in what) return `${what.Joined.name} joined.`;
  if ("Returned" in what) return `${name(what.Returned.seat)} is back.`;
  if ("Away" in what) return `${name(what.Away.seat)} went away.`;
  if ("Left" in what) return `${name(what.Left.seat)} left; a bot plays on.`;
  if ("BotPlays" in what) return `A bot plays for ${name(what.BotPlays.seat)}.`;
  if ("Orders" in what) return `Your ${what.Orders.orders.length} orders were carried out.`;
  if ("Battle" in what) {
    const b = what.Battle;
    return `${name(b.attacker)} attacked ${name(b.defender)} at (${b.pos.x}, ${b.pos.y}): ${b.defender_hp === 0 ? "destroyed" : `${b.defender_hp} health left`}.`;
  }
  if ("Captured" in what) return `${name(what.Captured.by)} took the city at (${what.Captured.pos.x}, ${what.Captured.pos.y}).`;
  if ("Produced" in what) return `A ${what.Produced.kind.toLowerCase()} was built at (${what.Produced.pos.x}, ${what.Produced.pos.y}).`;
  if ("Eliminated" in what) return `${name(what.Eliminated.seat)} is out.`;
  if ("Resolved" in what) return `Turn ${what.Resolved.turn} resolved.`;
  return `Match over: ${what.Over.winner === null ? "nobody" : name(what.Over.winner)} wins.`;
}

export class FrontierPage {
  view: View | undefined;
  selected: number | undefined;
  note = "";
  /** When the last frame arrived (the room's clock, `pub.now`, was true then). */
  frameAt = 0;
  readonly #off: (() => void)[] = [];
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(
    readonly session: Session,
    readonly el: FrontierElements,
  ) {
    this.#off.push(
      session.on("frame", (f) => {
        this.frameAt = performance.now();
        try {
          if (f.kind.type === "Keyframe") this.view = frontier.FrontierView.fromKeyframe(f.payload);
          else this.view?.applyDelta(f.payload);
        } catch {
          this.view = undefined;
          session.resync();
        }
        this.render();
      }),
    );
    el.end.onclick = () => void this.endTurn();
    el.map.onclick = (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>("[data-i]");
      if (cell) void this.clicked(Number(cell.dataset["i"]));
    };
    this.#timer = setInterval(() => this.renderStatus(), 250);
    (globalThis as unknown as { orrery?: Record<string, unknown> }).orrery ??= {};
    (globalThis as unknown as { orrery: Record<string, unknown> }).orrery["frontier"] = this;
  }

  stop(): void {
    for (const off of this.#off) off();
    clearInterval(this.#timer);
  }

  async command(action: frontier.Action): Promise<void> {
    if (!this.view) return;
    const outcome = await this.session.command(frontier.encodeCommand({ turn: this.view.pub.turn, action }));
    this.note = outcome.type === "Accepted" ? "" : `Refused: ${outcome.reason}`;
    this.renderStatus();
  }

  async endTurn(): Promise<void> {
    await this.command({ Submit: this.view?.mine?.orders ?? [] });
  }

  async clicked(i: number): Promise<void> {
    const view = this.view;
    const mine = view?.mine;
    if (!view || !mine) return;
    const pos = { x: i % view.pub.width, y: Math.floor(i / view.pub.width) };
    const own = mine.units.find((u) => u.owner === mine.seat && u.pos.x === pos.x && u.pos.y === pos.y);
    if (own && this.selected !== own.id) {
      this.selected = own.id;
      this.render();
      return;
    }
    if (this.selected !== undefined) {
      const unit = this.selected;
      this.selected = undefined;
      await this.command({ Order: { Move: { unit, to: pos } } });
    }
  }

  render(): void {
    const view = this.view;
    const mine = view?.mine;
    if (!view) return;
    const cells: string[] = [];
    for (let i = 0; i < view.pub.width * view.pub.height; i++) {
      const p = { x: i % view.pub.width, y: Math.floor(i / view.pub.width) };
      const tile = view.tile(p);
      const cls = tile ? `t-${tile.terrain.toLowerCase()}${tile.seen ? "" : " fog"}` : "t-unknown";
      const unit = mine?.units.find((u) => u.pos.x === p.x && u.pos.y === p.y);
      const city = mine?.cities.find((c) => c.pos.x === p.x && c.pos.y === p.y);
      const moving = mine?.orders.some((o) => "Move" in o && o.Move.to.x === p.x && o.Move.to.y === p.y);
      const sel = unit && unit.id === this.selected ? " selected" : "";
      const cityMark = city ? `<b class="city" style="border-color:${city.owner === null ? "#999" : COLOURS[city.owner]}"></b>` : "";
      const unitMark = unit ? `<i class="unit" data-owner="${unit.owner}" style="color:${COLOURS[unit.owner]}">${unit.kind === "Soldier" ? "♞" : "♘"}${unit.hp}</i>` : "";
      cells.push(`<div data-i="${i}" class="${cls}${sel}${moving ? " target" : ""}">${cityMark}${unitMark}</div>`);
    }
    this.el.map.style.gridTemplateColumns = `repeat(${view.pub.width}, 2.2em)`;
    // Only what changed is replaced: a frame that changes nothing leaves the elements be.
    replace(this.el.map, cells.join(""));
    replace(this.el.log, (mine?.log ?? []).map((e) => `<li>Turn ${e.turn}: ${escape(describe(view, e.what))}</li>`).join(""));
    this.renderStatus();
  }

  renderStatus(): void {
    const view = this.view;
    if (!view) return;
    const p = view.pub;
    const left = p.deadline === null ? "" : ` · ${Math.max(0, Math.ceil((p.deadline - p.now - (performance.now() - this.frameAt)) / 1000))} s left`;
    const waiting = view.awaiting().map((s) => p.seats[s]?.name ?? "?");
    const me = view.mine?.seat;
    const who = p.phase === "Running" ? ` · waiting for ${me !== undefined && waiting.includes(p.seats[me]?.name ?? "") ? "you" : waiting.join(", ") || "nobody"}` : "";
    const winner = p.winner === null ? "" : ` · ${p.seats[p.winner]?.name} wins`;
    const seats = p.seats.map((s, i) => `<span style="color:${COLOURS[i]}">${escape(s.name)}${s.bot ? " (bot)" : ""}${s.submitted ? " ✓" : ""} ${s.cities}🏙</span>`).join(" ");
    this.el.status.innerHTML = `<b id="fr-phase">${p.phase}</b> · turn <b id="fr-turn">${p.turn}</b>/${p.turn_limit}${left}${who}${winner}<br>${seats}<br><span class="error">${escape(this.note)}</span>`;
    this.el.end.disabled = p.phase !== "Running" || me === undefined || !!p.seats[me]?.submitted;
  }
}

function replace(el: HTMLElement, html: string): void {
  if (el.dataset["html"] !== html) {
    el.innerHTML = html;
    el.dataset["html"] = html;
  }
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
