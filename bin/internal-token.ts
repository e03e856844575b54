/**
 * The token thred workers present to gateways' POST /internal/deliver. Derived from the JWT secret, so every process
 * sharing the configuration agrees on it without another setting.
 */
import { createHmac } from 'node:crypto';

export function internalToken(jwtSecret: string): string {
  return createHmac('sha256', jwtSecret).update('threds-internal-delivery').digest('base64url');
}
