// The supervisor's public API: run a command under a profile. (bin/syscage's entry imports
// prepare.ts alone, to start the tracer thread before anything else loads.)
export { supervise, LaunchError, type SuperviseOptions, type SuperviseResult } from './supervisor.js';
export { PreparedTracer } from './prepare.js';
export type { Observation } from './observation.js';
export { compileMatchers, type Matchers } from './decide/index.js';
export { chooseBackend, notifyUsable, type Backend, type NotifyProbe } from './notify/backend.js';
export { probeNotify } from './notify/probe.js';
