// Which gateways the page's Session may use: the page's own origin first (it served the
// page, and it is the only one the browser lets us call over HTTP without CORS), then the
// ones the gateway lists in /config.json (--web-peers), then any in `?gateways=a,b`.

/** Base URLs, deduplicated, own origin first. Invalid or non-http(s) entries are dropped. */
export function gatewayList(origin: string, search: string, configured: readonly string[]): string[] {
  const fromQuery = new URLSearchParams(search).get("gateways")?.split(",") ?? [];
  const out: string[] = [];
  for (const raw of [origin, ...configured, ...fromQuery]) {
    const base = normalise(raw);
    if (base !== undefined && !out.includes(base)) out.push(base);
  }
  return out;
}

function normalise(raw: string): string | undefined {
  try {
    const url = new URL(raw.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** The gateways listed by the serving gateway's /config.json (none when it has no list). */
export async function configuredGateways(fetcher: typeof fetch = fetch): Promise<string[]> {
  try {
    const response = await fetcher("/config.json", { cache: "no-cache" });
    if (!response.ok) return [];
    const body: unknown = await response.json();
    const list = (body as { gateways?: unknown }).gateways;
    return Array.isArray(list) ? list.filter((g): g is string => typeof g === "string") : [];
  } catch {
    return [];
  }
}
