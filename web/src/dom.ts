// The page's elements, looked up once by id (index.html), typed.

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html has no #${id}`);
  return el;
}

export interface Elements {
  start: HTMLElement;
  name: HTMLInputElement;
  quick: HTMLButtonElement;
  mode: HTMLSelectElement;
  create: HTMLButtonElement;
  code: HTMLInputElement;
  join: HTMLButtonElement;
  startError: HTMLElement;
  game: HTMLElement;
  canvas: HTMLCanvasElement;
  scoreboard: HTMLElement;
  clock: HTMLElement;
  banner: HTMLElement;
  invite: HTMLElement;
  thrustBar: HTMLElement;
  fireBar: HTMLElement;
  next: HTMLButtonElement;
  overlay: HTMLElement;
  overlayText: HTMLElement;
  reload: HTMLButtonElement;
}

export function elements(): Elements {
  return {
    start: byId("start", HTMLElement),
    name: byId("name", HTMLInputElement),
    quick: byId("quick", HTMLButtonElement),
    mode: byId("mode", HTMLSelectElement),
    create: byId("create", HTMLButtonElement),
    code: byId("code", HTMLInputElement),
    join: byId("join", HTMLButtonElement),
    startError: byId("start-error", HTMLElement),
    game: byId("game", HTMLElement),
    canvas: byId("arena", HTMLCanvasElement),
    scoreboard: byId("scoreboard", HTMLElement),
    clock: byId("clock", HTMLElement),
    banner: byId("banner", HTMLElement),
    invite: byId("invite", HTMLElement),
    thrustBar: byId("thrust-bar", HTMLElement),
    fireBar: byId("fire-bar", HTMLElement),
    next: byId("next", HTMLButtonElement),
    overlay: byId("overlay", HTMLElement),
    overlayText: byId("overlay-text", HTMLElement),
    reload: byId("reload", HTMLButtonElement),
  };
}
