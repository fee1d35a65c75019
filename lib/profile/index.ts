// The profile layer's public API: load a YAML profile into a typed, merged Profile.
export { loadProfile, builtinProfiles, displayPath, type LoadOptions, type Loaded } from './load.js';
export { parseProfile, type PartialProfile } from './parse.js';
export {
  ProfileError, formatDiagnostic, suggest, didYouMean,
  type Diagnostic, type DiagnosticCode, type WarningCode, type SourceLoc,
} from './diagnostic.js';
export { checkGlob, compileGlobs, globSource, normalizePath } from './glob.js';
export { parseAddress, ipMatches, type AddressRule } from './address.js';
export type * from './types.js';
