export { SyscageLayer, type ISyscageLayer, type SyscageLayerProps } from './layer.js';
export { SyscageFunction, VIOLATIONS_METRIC, type SyscageFunctionProps, type SyscageViolationsAlarmOptions } from './function.js';
export { SHIPPED_PROFILES, FUNCTION_PROFILES, LAYER_ROOT, TASK_ROOT, shippedProfilePath, isShippedProfile, isFunctionProfile, type ShippedProfile, type FunctionProfile } from './profiles.js';
