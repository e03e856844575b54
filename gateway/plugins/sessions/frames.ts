/** The frames of the WebSocket protocol (SPEC §9): reading a client's frame, and writing frames and error frames. */
import type { WebSocket, RawData } from 'ws';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { fail, toErrorBody, type ErrorBody } from '../../errors';

export const WS_AUTH_FAILED = 4401;

const HelloSchema = Type.Object({
  type: Type.Literal('hello'),
  token: Type.String({ minLength: 1 }),
  since: Type.Optional(Type.Number({ minimum: 0, description: 'ms since epoch: replay the outbox from here' })),
});
export const checkHello = Compile(HelloSchema);
const RefreshSchema = Type.Object({
  type: Type.Literal('refresh'),
  token: Type.String({ minLength: 1, description: 'a fresh access token of the same participant' }),
});
export const checkRefresh = Compile(RefreshSchema);
/** Longest part of a client's frame type echoed in an error message. */
export const ECHO_CHARS = 64;

export type Frame = Record<string, unknown> & { type: string };
/** A frame read off the socket: a JSON object with a string type, or the error that answers it. */
export type Parsed = { frame: Frame } | { error: Error };

export function parseFrame(data: RawData, isBinary: boolean, maxBytes: number): Parsed {
  const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
  if (size > maxBytes) return { error: fail('PAYLOAD_TOO_LARGE', `frame is larger than ${maxBytes} bytes`) };
  if (isBinary) return { error: fail('BAD_FRAME', 'frames must be JSON text') };
  let frame: unknown;
  try {
    frame = JSON.parse(data.toString());
  } catch {
    return { error: fail('INVALID_JSON', 'frame is not valid JSON') };
  }
  if (
    typeof frame !== 'object' ||
    frame === null ||
    Array.isArray(frame) ||
    typeof (frame as { type?: unknown }).type !== 'string'
  ) {
    const detail = { path: '/type', reason: 'is required' };
    return { error: fail('BAD_FRAME', 'a frame is a JSON object with a string `type`', [detail]) };
  }
  return { frame: frame as Frame };
}

export function send(socket: WebSocket, frame: Record<string, unknown>): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
}

export function sendError(socket: WebSocket, err: unknown, re?: string): ErrorBody {
  const body = toErrorBody(err);
  send(socket, {
    type: 'error',
    ...(re !== undefined && { re }),
    code: body.code,
    message: body.message,
    details: body.details,
  });
  return body;
}

/** An authentication failure: the error frame, then close with 4401. */
export function refuse(socket: WebSocket, err: unknown): void {
  const body = sendError(socket, err);
  socket.close(WS_AUTH_FAILED, body.message.slice(0, 120));
}
