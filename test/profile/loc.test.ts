// "FILE:LINE:COL", written by locText and read back by locFromText (lib/profile/diagnostic.ts): the
// seatbelt's policy carries a rule's place as text, and its reports bring it back.
import t from 'tap';
import { locFromText, locText } from '../../lib/profile/diagnostic.js';

t.test('a location survives the round trip, whatever its file is called', async (t) => {
  for (const loc of [
    { file: '/var/task/syscage.yaml', line: 12, col: 3 },
    { file: '/opt/syscage/profiles/nodejs.yaml', line: 1, col: 1 },
    { file: '/tmp/a:b/odd:1:2.yaml', line: 40, col: 17 }, // colons and digits in the name: the last two fields are the place
    { file: 'relative.yaml', line: 9999, col: 120 },
  ]) {
    t.equal(locText(loc), `${loc.file}:${loc.line}:${loc.col}`);
    t.same(locFromText(locText(loc)), loc, locText(loc));
  }
});

t.test('what is not a location reads as none', async (t) => {
  for (const text of [undefined, '', 'syscage.yaml', 'syscage.yaml:12', ':1:2', 'f.yaml:x:2', 'f.yaml:1:2 ']) {
    t.equal(locFromText(text), undefined, JSON.stringify(text));
  }
});
