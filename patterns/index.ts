/**
 * Public surface of the pattern language (functional core). Pure and sandbox-safe: imports only jsonata
 * and typebox, reads no clock, does no I/O. See README "Pattern language" for the semantics and decisions.
 */
export * from './thred-machine';
export { agentFor, DEFAULT_MAX_CHAIN_STEPS } from './machine';
export { startsThred, matchStart, type StartMatch } from './match';
export { validatePattern, type ValidationReport } from './validate';
export { simulate, type SimulationTrace, type SimulationStep, type SimulateOptions } from './simulate';
export { patternDiagram, visitedReactions, type DiagramOptions } from './diagram';
export { patternEdges, type PatternEdge } from './transitions';
export { cover, coverageLine, type CoverReport, type CoverOptions } from './cover';
export {
  compileExpression,
  checkExpression,
  evaluateExpression,
  valueNamed,
  truthy,
  ExpressionError,
  MAX_EXPRESSION_LENGTH,
  MAX_EVALUATION_STEPS,
  MAX_EVALUATION_DEPTH,
  MAX_SEQUENCE_LENGTH,
  type EvalScope,
} from './expressions';
export { normalizePattern, normalizeEvent, patternIdFromName } from './normalize';
export { sourceAllowed } from './sources';
export { SYSTEM_SOURCE, EventTypes, ErrorCodes, EFFECT_TYPES, errorEffect, systemEvent } from './effects';
export { ThredError } from './errors';
export * from './schema';
