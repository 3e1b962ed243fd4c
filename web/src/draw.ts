// Draws a Scene on a 2D canvas: the arena fitted to the canvas, black holes, pickups,
// bullets, ships with names and health bars, the own ship highlighted with its thrust and
// gun cooldowns as bars.

import { css, type Scene, type SceneShip } from "./scene.js";

const STARS = Array.from({ length: 140 }, (_, i) => {
  // A fixed pseudo-random sky (no Math.random: the same every frame).
  const h = Math.sin(i * 12.9898) * 43758.5453;
  const k = Math.sin(i * 78.233) * 12345.6789;
  return { x: h - Math.floor(h), y: k - Math.floor(k), r: (i % 3) * 0.4 + 0.4 };
});

/** Where the arena lands on the canvas: scale and offset, letterboxed. */
export function fit(canvasW: number, canvasH: number, arenaW: number, arenaH: number, margin = 12): { scale: number; ox: number; oy: number } {
  const scale = Math.max(0.01, Math.min((canvasW - 2 * margin) / arenaW, (canvasH - 2 * margin) / arenaH));
  return { scale, ox: (canvasW - arenaW * scale) / 2, oy: (canvasH - arenaH * scale) / 2 };
}

export function draw(ctx: CanvasRenderingContext2D, scene: Scene, nowMs: number): void {
  const { width: cw, height: ch } = ctx.canvas;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#05060d";
  ctx.fillRect(0, 0, cw, ch);
  const { scale, ox, oy } = fit(cw, ch, scene.width, scene.height);
  ctx.setTransform(scale, 0, 0, scale, ox, oy);
  drawField(ctx, scene);
  for (const hole of scene.blackHoles) drawBlackHole(ctx, hole.x, hole.y, hole.coreRadius, nowMs);
  for (const p of scene.pickups) drawPickup(ctx, p.x, p.y, scene.pickupRadius, p.kind, nowMs);
  const br = Math.max(scene.bulletRadius * 1.3, 3.5);
  for (const b of scene.bullets) {
    ctx.fillStyle = b.mine ? "rgba(255, 240, 150, 0.25)" : "rgba(255, 150, 120, 0.25)";
    ctx.beginPath();
    ctx.arc(b.x, b.y, br * 2.4, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = b.mine ? "#fff6b0" : "#ffc2b0";
    ctx.beginPath();
    ctx.arc(b.x, b.y, br, 0, Math.PI * 2);
    ctx.fill();
  }
  for (const s of scene.ships) if (!s.mine) drawShip(ctx, s, scene.shipRadius, scale);
  for (const s of scene.ships) if (s.mine) drawShip(ctx, s, scene.shipRadius, scale);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}

function drawField(ctx: CanvasRenderingContext2D, scene: Scene): void {
  ctx.fillStyle = "#0a0d1c";
  ctx.fillRect(0, 0, scene.width, scene.height);
  ctx.fillStyle = "#c8d0ff";
  for (const s of STARS) {
    ctx.globalAlpha = 0.25 + s.r * 0.3;
    ctx.fillRect(s.x * scene.width, s.y * scene.height, s.r * 1.6, s.r * 1.6);
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = "#2b3566";
  ctx.lineWidth = 3;
  ctx.strokeRect(0, 0, scene.width, scene.height);
}

function drawBlackHole(ctx: CanvasRenderingContext2D, x: number, y: number, core: number, nowMs: number): void {
  const halo = core * 5;
  const g = ctx.createRadialGradient(x, y, core * 0.6, x, y, halo);
  g.addColorStop(0, "rgba(150, 90, 255, 0.55)");
  g.addColorStop(0.35, "rgba(90, 40, 180, 0.22)");
  g.addColorStop(1, "rgba(20, 10, 60, 0)");
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(x, y, halo, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = "rgba(210, 170, 255, 0.7)";
  ctx.lineWidth = 2;
  const spin = (nowMs / 900) % (Math.PI * 2);
  for (let i = 0; i < 3; i++) {
    ctx.beginPath();
    ctx.arc(x, y, core * (1.4 + i * 0.45), spin + i * 2.1, spin + i * 2.1 + Math.PI * 0.9);
    ctx.stroke();
  }
  ctx.fillStyle = "#000";
  ctx.beginPath();
  ctx.arc(x, y, core, 0, Math.PI * 2);
  ctx.fill();
}

function drawPickup(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, kind: "health" | "score", nowMs: number): void {
  const pulse = 1 + 0.12 * Math.sin(nowMs / 250 + x);
  const size = Math.max(r, 10) * pulse;
  ctx.save();
  ctx.translate(x, y);
  if (kind === "health") {
    ctx.fillStyle = "#3ddc84";
    ctx.fillRect(-size, -size / 3, size * 2, (size * 2) / 3);
    ctx.fillRect(-size / 3, -size, (size * 2) / 3, size * 2);
  } else {
    ctx.rotate(Math.PI / 4);
    ctx.fillStyle = "#ffd23f";
    ctx.fillRect(-size * 0.75, -size * 0.75, size * 1.5, size * 1.5);
  }
  ctx.restore();
}

function drawShip(ctx: CanvasRenderingContext2D, s: SceneShip, radius: number, scale: number): void {
  const r = Math.max(radius * 1.35, 14);
  ctx.save();
  ctx.globalAlpha = s.alive ? (s.connected ? 1 : 0.45) : 0.18;
  if (s.mine) {
    ctx.strokeStyle = "rgba(255,255,255,0.85)";
    ctx.lineWidth = 2 / scale + 1;
    ctx.setLineDash([6, 5]);
    ctx.beginPath();
    ctx.arc(s.x, s.y, r * 1.9, 0, Math.PI * 2);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.translate(s.x, s.y);
  ctx.rotate(s.angle);
  if (s.thrusting && s.alive) {
    ctx.fillStyle = "#ff9d3b";
    ctx.beginPath();
    ctx.moveTo(-r * 0.7, -r * 0.35);
    ctx.lineTo(-r * 1.6, 0);
    ctx.lineTo(-r * 0.7, r * 0.35);
    ctx.fill();
  }
  ctx.fillStyle = css(s.colour);
  ctx.strokeStyle = s.mine ? "#ffffff" : "rgba(0,0,0,0.6)";
  ctx.lineWidth = s.mine ? 3 : 2;
  ctx.beginPath();
  ctx.moveTo(r * 1.25, 0);
  ctx.lineTo(-r * 0.85, -r * 0.8);
  ctx.lineTo(-r * 0.45, 0);
  ctx.lineTo(-r * 0.85, r * 0.8);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
  ctx.restore();
  if (!s.alive) return;
  const fontPx = Math.max(12 / scale, 14);
  ctx.font = `${s.mine ? "bold " : ""}${fontPx}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.fillStyle = s.mine ? "#ffffff" : "#b9c2e8";
  ctx.fillText(s.connected ? s.name : `${s.name} (away)`, s.x, s.y - r * 1.9 - 4);
  const w = r * 2.6;
  let y = s.y + r * 1.7;
  bar(ctx, s.x - w / 2, y, w, 5, s.health, s.health > 0.35 ? "#3ddc84" : "#ff5d5d");
  if (s.mine) {
    y += 8;
    bar(ctx, s.x - w / 2, y, w, 4, 1 - s.thrustCooldown, "#ff9d3b");
    y += 7;
    bar(ctx, s.x - w / 2, y, w, 4, 1 - s.fireCooldown, "#6cc6ff");
  }
}

/** A bar filled to `fraction` (0..1). */
function bar(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, fraction: number, colour: string): void {
  const f = Math.min(1, Math.max(0, fraction));
  ctx.fillStyle = "rgba(255,255,255,0.14)";
  ctx.fillRect(x, y, w, h);
  ctx.fillStyle = colour;
  ctx.fillRect(x, y, w * f, h);
}
