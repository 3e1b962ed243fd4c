// Frontier's client: the turn-based 4X with fog of war (Rust crate `orrery-frontier`).
//
//   const view = FrontierView.fromKeyframe(frame.payload);   // then view.applyDelta(...)
//   session.command(encodeCommand({ turn: view.pub.turn, action: { Submit: orders } }));

export * from "./types.js";
export { FrontierView } from "./view.js";
export { encodeCommand } from "./codec.js";
