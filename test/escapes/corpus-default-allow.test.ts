// The escape corpus under a `default: allow` profile (the shape of the
// README's demo profile: sections for files, exec and network, every other
// syscall allowed): what the built-in protections of docs/profile.md cover
// and what they leave to the profile. Counted apart from the strict corpus
// (test/escapes/README.md).
import t from 'tap';
import { CORPUS, DEFAULT_ALLOW_IDS } from './fixtures/corpus.js';
import { corpusFile } from './fixtures/suite.js';

await corpusFile(t, import.meta.url, 'default-allow', CORPUS.filter((a) => DEFAULT_ALLOW_IDS.includes(a.id)));
