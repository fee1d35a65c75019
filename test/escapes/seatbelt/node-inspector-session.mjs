// An in-process inspector.Session: Runtime.evaluate reads the denied file through a session whose
// evaluation would reach the originals the wrappers close over ([[Scopes]]).
import inspector from 'node:inspector';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

env('SECRET');
deadline(10_000, 'inspector.Session');
const s = new inspector.Session();
step('inspector.Session.connect', () => s.connect());
s.post('Runtime.evaluate', { expression: 'process.getBuiltinModule("node:fs").readFileSync(process.env.SB_SECRET, "utf8")', returnByValue: true }, (e, r) => {
  if (e) failed(e, 'Runtime.evaluate');
  else if (r.exceptionDetails) failed({ code: 'ERR_SYSCAGE_REFUSED', message: r.exceptionDetails.exception?.description }, 'Runtime.evaluate');
  else escaped(`an inspector session evaluated a read: ${r.result.value}`);
  s.disconnect();
});
