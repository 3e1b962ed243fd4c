// A small typed event emitter. A listener that throws does not break its emitter: the error
// goes to `report` (by default the host's reportError, or a rethrow in a microtask).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  constructor(private readonly report: (error: unknown) => void = defaultReport) {}

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (e) {
        this.report(e);
      }
    }
  }
}

function defaultReport(error: unknown): void {
  const host = globalThis as { reportError?: (e: unknown) => void };
  if (typeof host.reportError === "function") host.reportError(error);
  else
    queueMicrotask(() => {
      throw error;
    });
}
