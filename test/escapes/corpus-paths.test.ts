// The escape corpus, part 2: path tricks, attacks on the supervisor, kernel
// interfaces. See test/escapes/README.md.
import t from 'tap';
import { byClass } from './fixtures/corpus.js';
import { corpusFile } from './fixtures/suite.js';

await corpusFile(t, import.meta.url, 'strict', byClass('path', 'supervisor', 'kernel'));
