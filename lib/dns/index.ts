// Host names in network.connect: syscage's resolver, the bindings of names to addresses, and the
// wire format they read (docs/engine.md, "Host names: a resolver in the path").
export { Bindings, BindingLog, FLOOR_S, type BoundAddress } from './bindings.js';
export { hostRules, startNameGuard, type NameGuard, type GuardOptions } from './guard.js';
export { startForwarder, type Forwarder, type ForwarderOptions } from './forwarder.js';
export { namesSaid } from './said.js';
