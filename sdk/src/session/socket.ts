// One WebSocket to a gateway: the token as the second subprotocol (browsers cannot set
// headers), binary frames as Uint8Arrays, exactly one `closed` callback, and nothing thrown.

import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../protocol/constants.js";

export interface SocketHandlers {
  message(bytes: Uint8Array): void;
  /** A text frame, or data that is not bytes. */
  malformed(reason: string): void;
  closed(code: number, reason: string): void;
}

const OPEN = 1;

export class Socket {
  readonly #ws: WebSocket | undefined;
  #done = false;

  readonly #handlers: SocketHandlers;

  constructor(Ctor: typeof WebSocket, url: string, token: string, handlers: SocketHandlers) {
    this.#handlers = handlers;
    try {
      this.#ws = new Ctor(url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]);
    } catch (e) {
      // A bad URL or a refused subprotocol string: report it like a failed connection.
      this.#ws = undefined;
      queueMicrotask(() => this.#finish(1006, String(e)));
      return;
    }
    this.#ws.binaryType = "arraybuffer";
    this.#ws.onmessage = (ev: MessageEvent) => {
      if (this.#done) return;
      const data: unknown = ev.data;
      if (data instanceof ArrayBuffer) this.#handlers.message(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) this.#handlers.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else this.#handlers.malformed(typeof data === "string" ? "a text frame" : "a frame that is not bytes");
    };
    this.#ws.onclose = (ev: CloseEvent) => this.#finish(ev.code, ev.reason);
    // Browsers follow an error with a close (1006), but some runtimes (node's undici, on a
    // refused connection) fire the error alone: it ends the socket either way.
    this.#ws.onerror = () => this.#finish(1006, "connection error");
  }

  #finish(code: number, reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#handlers.closed(code, reason);
  }

  /** Send one message; false when the socket is not open. */
  send(bytes: Uint8Array): boolean {
    if (this.#done || this.#ws === undefined || this.#ws.readyState !== OPEN) return false;
    try {
      this.#ws.send(bytes);
      return true;
    } catch {
      return false;
    }
  }

  /** Close without reporting it: the caller knows. */
  close(code = 1000, reason = ""): void {
    this.#done = true;
    try {
      this.#ws?.close(code, reason);
    } catch {
      // already closing, or a code the browser refuses: nothing more to do
    }
  }
}
