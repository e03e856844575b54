/**
 * Bad command-line arguments. A command throws it; bin/threds.ts prints the message and that command's usage on
 * stderr and exits 2, so each command's usage text lives in one place (the COMMANDS table).
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
