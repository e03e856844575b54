/**
 * The JSONata module as this package uses it. JSONata 1.8 is used rather than 2.x on purpose: 2.x evaluates through
 * async functions, and inside a Temporal workflow every promise is traced by the SDK's promise hook (a captured stack
 * per promise), which made expression evaluation the thred worker's main CPU cost (README "Benchmark"). 1.8
 * evaluates synchronously with generators, with the same language; the guards 2.x offers as options (stack depth,
 * sequence length) are enforced through its entry/exit hooks instead (./budget), with the same error codes.
 */
import jsonata from 'jsonata';

export type Expression = ReturnType<typeof jsonata>;
export interface JsonataFunction {
  _jsonata_function: true;
  implementation: (this: { environment: { lookup(name: string): unknown } }, ...args: unknown[]) => unknown;
}

// JSONata 1.8 takes a regex engine option, but keeps it in a module-wide slot that every compile resets; the
// typings know neither. Every compile here passes it, and evaluation sets it again (see evaluateExpression in ../expressions).
type JsonataModule = ((source: string, options?: { RegexEngine: unknown }) => Expression) & { RegexEngine?: unknown };
export const compileJsonata = jsonata as unknown as JsonataModule;
