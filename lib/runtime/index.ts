// The Lambda layer's public API: the bootstrap, the local Runtime API emulator, serving locally.
export { bootstrap, defaultDeps, handlerCommand, type BootstrapDeps } from './bootstrap.js';
export { startEmulator, fromCallerEnv, type EmulatorOptions, type InvocationResult } from './emulator.js';
export { readEvents } from './events.js';
export { serveLocally, type ServeLocallyOptions } from './local.js';
export type { Logger } from './log.js';
export { BOOTSTRAP_ENTRY, BOOTSTRAP_NODE_FLAGS } from './layer.js';
