// The in-runtime seatbelts of Node.js and Python handlers: the profile compiled for them, the
// handler command put under them, and the bootstrap's end of their report channel.
export * from './types.js';
export { seatbeltPolicy, type PolicyOptions } from './policy.js';
export { chooseSeatbelt, handlerRuntime, nodeVersion, seatbelted, preloadFile, LAUNCHER, type SeatbeltChoice, type Seatbelted, type SeatbeltRuntime } from './command.js';
export { readChannel } from './channel.js';
export { parseReport } from './report.js';
