/**
 * Payloads written by participants and patterns (events, messages, patterns, thred locals) are stored as JSON text.
 * FerretDB — the MongoDB-wire server Threds runs on — refuses documents with `$`-prefixed keys (a persistence matcher
 * such as `{ "$gt": 5 }`, a template's `$xpr` spread key) and nested arrays (a persistence `get` result), and a real
 * MongoDB would treat `$` keys specially too. Text keeps every payload intact; the fields the store queries on stay
 * plain columns beside it.
 */
export const toJsonText = (value: unknown): string => JSON.stringify(value);

export function fromJsonText<T>(text: string): T {
  return JSON.parse(text) as T;
}
