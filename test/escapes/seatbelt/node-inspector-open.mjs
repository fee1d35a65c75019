// inspector.open: the inspector, listening (a debugger client gets every original function).
import inspector from 'node:inspector';
import { escaped, step } from './_attempt.mjs';

step('inspector.open', () => inspector.open(0, '127.0.0.1'));
escaped(`inspector.open listens at ${inspector.url()}`);
inspector.close();
