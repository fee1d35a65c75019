// The recording layer's public API: record a command into a profile, merge recordings.
export { record, type RecordOptions } from './session.js';
export { mergeProfiles } from './merge.js';
export { checkWritable, writeAtomically } from './profile-file.js';
