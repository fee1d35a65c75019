// The runtime tier: a process monitor that watches a command through /proc (monitor.ts) and the run
// that starts a command under it (run.ts).
export { watchCommand, findingReport, stdioTargets, IDLE_POLL_MS, POLL_MS, type WatchOptions, type WatchOutcome } from './run.js';
export { Monitor, type MonitorOptions, type ProcReader, type PolicyFile, type PolicySocket, type Offender } from './monitor.js';
export type { Act, Finding } from './policy.js';
export { procfs } from './procfs.js';
