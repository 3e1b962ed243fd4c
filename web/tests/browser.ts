// Debian's Chromium driven by playwright-core: a fresh profile, no sandbox (CI runs as
// root), nothing that talks to the network by itself. Pages only ever load 127.0.0.1.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

const EXECUTABLE = process.env["ORRERY_CHROMIUM"] ?? "/usr/bin/chromium";
export const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Animation frames keep coming for pages that are not in front.
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

export class Browser {
  private constructor(
    readonly context: BrowserContext,
    private readonly profile: string,
  ) {}

  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "orrery-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: EXECUTABLE,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
    });
    // Only loopback: anything else is a bug in the page or the test.
    await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/]|wss?:\/\/127\.0\.0\.1[:/]|data:|about:)/, (route) => route.abort());
    return new Browser(context, profile);
  }

  async page(url: string): Promise<Page> {
    const page = await this.context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => console.error(`[page ${url}] ${e.message}`));
    await page.goto(url);
    return page;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profile, { recursive: true, force: true });
  }
}
