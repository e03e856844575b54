/**
 * Wraps an AgentImplementation as the `handleMessage` activity (activities/agent-contract.ts): builds the per-call
 * context, enforces the reply envelope (SPEC §6), turns permanent failures into error replies and lets transient
 * ones through to Temporal's retry policy.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Message, ThredsEvent } from '../../patterns';
import type { AgentActivities } from '../agent-contract';
import { AgentErrorCodes, TaskError, asPermanent } from './errors';
import type { AgentContext, AgentImplementation, AgentInit, AgentReply } from './types';
import { traceIdOf } from '../../telemetry/trace-context';

const ID_CHARS = /[^A-Za-z0-9._:-]/g;

/** A fresh event id within SPEC §2's alphabet and length: `<nodeId>-<uuid>`, the node part shortened if needed. */
export function replyId(nodeId: string): string {
  const uuid = randomUUID();
  return `${nodeId.replace(ID_CHARS, '_').slice(0, 128 - uuid.length - 1)}-${uuid}`;
}

export function normalizeReply(
  reply: NonNullable<AgentReply>,
  request: Message,
  init: Pick<AgentInit, 'nodeType' | 'nodeId' | 'config'>,
): ThredsEvent {
  const source = { ...(reply.source ?? {}), id: init.nodeId, ...(init.config.name && { name: init.config.name }) };
  const out: ThredsEvent = {
    ...reply,
    id: replyId(init.nodeId),
    type: init.nodeType,
    re: request.event.id,
    source,
    time: Date.now(),
  };
  if (request.event.thredId !== undefined) out.thredId = request.event.thredId;
  return out;
}

export function errorReply(
  request: Message,
  init: Pick<AgentInit, 'nodeType' | 'nodeId' | 'config'>,
  error: { code: number; message: string; details?: unknown },
): ThredsEvent {
  return normalizeReply({ data: { title: `${init.nodeId} Error`, content: { error } } }, request, init);
}

function isMessage(m: unknown): m is Message {
  const e = (m as Message | undefined)?.event;
  return typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.type === 'string';
}

export function createAgentActivities(impl: AgentImplementation, init: AgentInit): AgentActivities {
  return {
    async handleMessage(message: Message): Promise<ThredsEvent | null> {
      // Without an event there is nobody to reply to: fail the call for good (the engine reports it to the thred).
      if (!isMessage(message))
        throw ApplicationFailure.nonRetryable('message without an event id and type', 'BadMessage');
      const act = Context.current();
      const logger = init.logger.child({
        messageId: message.id,
        eventId: message.event.id,
        thredId: message.event.thredId,
        traceId: traceIdOf(message.event),
        attempt: act.info.attempt,
      });
      const ctx: AgentContext = {
        nodeType: init.nodeType,
        nodeId: init.nodeId,
        attempt: act.info.attempt,
        heartbeat: (details) => act.heartbeat(details),
        signal: act.cancellationSignal,
        logger,
        fail(msg, code = AgentErrorCodes.TASK_ERROR): never {
          throw new TaskError(msg, code);
        },
      };
      try {
        const reply = await impl.handleMessage(message, ctx);
        return reply ? normalizeReply(reply, message, init) : null;
      } catch (err) {
        // Cancellation must stay a cancellation, or Temporal would record a result for an abandoned call.
        if (err instanceof CancelledFailure || act.cancellationSignal.aborted) throw err;
        const permanent = asPermanent(err);
        if (permanent) {
          logger.warn({ code: permanent.code, err: permanent.message }, 'permanent failure: error reply to the thred');
          return errorReply(message, init, permanent);
        }
        logger.warn({ err: (err as Error)?.message ?? String(err) }, 'transient failure: Temporal retries it');
        throw err;
      }
    },
  };
}
