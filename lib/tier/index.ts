// Enforcement tiers: choosing one for a profile on this platform (select.ts).
export { probePlatform, selectTier, TierError, type SelectDeps, type TierDecision } from './select.js';
