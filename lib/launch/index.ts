// Launching: finding the program as a shell would, and the request stage-2 reads.
export { resolveCommand, type Resolved } from './resolve.js';
