/** MongoDB's duplicate-key error: the idempotent writes of this folder treat it as "already done". */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
