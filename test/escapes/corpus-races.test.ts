// The escape corpus, part 3: TOCTOU races, exhaustion, fail closed. See
// test/escapes/README.md.
import t from 'tap';
import { byClass } from './fixtures/corpus.js';
import { corpusFile } from './fixtures/suite.js';

await corpusFile(t, import.meta.url, 'strict', byClass('toctou', 'exhaustion', 'fail-closed'));
