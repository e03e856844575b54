/** The bounds every expression runs within (SPEC §4 "Expressions"). */

/** Longest expression accepted (characters). */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Evaluation steps (JSONata AST node visits) allowed per evaluation. */
export const MAX_EVALUATION_STEPS = 100_000;
/** JSONata recursion depth limit (its `stack` option). */
export const MAX_EVALUATION_DEPTH = 400;
/** Largest sequence/range an expression may build. */
export const MAX_SEQUENCE_LENGTH = 100_000;
/** Longest string any sub-expression may produce (characters); events are at most 256 KiB. */
export const MAX_STRING_LENGTH = 1_048_576;
/**
 * Volume of one evaluation: characters of every string and elements of every sequence its sub-expressions
 * return (and every range they allocate), summed. Bounds the work builtins do outside the step count, e.g. a
 * regex or `$uppercase` over a long string inside a loop.
 */
export const MAX_EVALUATION_CHARS = 33_554_432;
export const MAX_EVALUATION_ELEMENTS = 2_000_000;
/** Regex matches (each `exec` of $match/$replace/$split/$contains) per evaluation. */
export const MAX_REGEX_MATCHES = MAX_SEQUENCE_LENGTH;
