/** Shape checks for plain JSON values, shared by the interpreter, the checker and the gateway. Pure; sandbox-safe. */
export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
