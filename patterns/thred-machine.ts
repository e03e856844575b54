/**
 * What a thred workflow runs: the interpreter's transition functions and their types, and nothing else. Workflows
 * import this rather than the package index, because the index also carries validation (TypeBox, ~3,000 modules),
 * and Temporal instantiates a workflow bundle's modules once per cached workflow: with TypeBox in the bundle every
 * cached thred cost ~3 MB and every start evaluated those modules again (README "Benchmark").
 */
export {
  start,
  initialEffects,
  react,
  expire,
  addParticipants,
  agentFailure,
  terminateThred,
  forceTransition,
} from './machine';
export { acceptsUnbound, hasInstanceLimits, instanceLimits } from './match';
export { isRecord } from './json';
export type * from './model';
