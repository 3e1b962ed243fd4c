// The v1 client protocol: message types, the postcard codec, close codes and constants.
export * from "./constants.js";
export * from "./close.js";
export * from "./types.js";
export { encodeClientMsg, decodeClientMsg, encodeServerMsg, decodeServerMsg } from "./codec.js";
export { Reader } from "./reader.js";
export { Writer } from "./writer.js";
