// The start screen: a name, and one of Quick play, Create a private room, Join by code.

import type { Elements } from "./dom.js";

export type Choice =
  | { kind: "quick"; name: string }
  | { kind: "create"; name: string; mode: string }
  | { kind: "code"; name: string; code: string };

const NAME_KEY = "orrery.name";

/** Show the start screen until the player chooses; `error` is shown under the buttons. */
export function chooseGame(el: Elements, error = ""): Promise<Choice> {
  el.start.hidden = false;
  el.game.hidden = true;
  el.startError.textContent = error;
  el.name.value ||= localStorage.getItem(NAME_KEY) ?? "";
  const buttons = [el.quick, el.create, el.join];
  for (const b of buttons) b.disabled = false;
  return new Promise((resolve) => {
    const done = (choice: Choice) => {
      for (const b of buttons) b.disabled = true;
      el.startError.textContent = "";
      localStorage.setItem(NAME_KEY, choice.name);
      for (const [b, h] of handlers) b.removeEventListener("click", h);
      el.code.removeEventListener("keydown", onEnter);
      resolve(choice);
    };
    const name = () => el.name.value.trim().slice(0, 24);
    const onJoin = () => {
      const code = el.code.value.trim().toUpperCase();
      if (code === "") {
        el.startError.textContent = "Type the invite code first.";
        return;
      }
      done({ kind: "code", name: name(), code });
    };
    const onEnter = (e: KeyboardEvent) => {
      if (e.key === "Enter") onJoin();
    };
    const handlers: [HTMLButtonElement, () => void][] = [
      [el.quick, () => done({ kind: "quick", name: name() })],
      [el.create, () => done({ kind: "create", name: name(), mode: el.mode.value })],
      [el.join, onJoin],
    ];
    for (const [b, h] of handlers) b.addEventListener("click", h);
    el.code.addEventListener("keydown", onEnter);
  });
}

export function showGame(el: Elements): void {
  el.start.hidden = true;
  el.game.hidden = false;
}
