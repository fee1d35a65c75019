// The escape corpus, part 1: syscall ABI tricks, the same effect through
// another syscall, network destinations. See test/escapes/README.md.
import t from 'tap';
import { byClass } from './fixtures/corpus.js';
import { corpusFile } from './fixtures/suite.js';

await corpusFile(t, import.meta.url, 'strict', byClass('abi', 'same-effect', 'network'));
