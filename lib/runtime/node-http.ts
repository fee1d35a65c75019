// node:http, loaded with require(). An ES import of a built-in module copies every export into
// the module's namespace, and node:http's exports include lazy getters (WebSocket, CloseEvent,
// MessageEvent) that load Node's bundled undici: ~30 ms of every start that serves HTTP, for
// classes syscage never uses. require() leaves them unevaluated. Type-only imports of
// 'node:http' cost nothing and stay where they are.
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
export default http;
