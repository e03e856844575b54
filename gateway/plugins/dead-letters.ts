/**
 * Dead-letter retry and delete (admin; the listing is in admin.ts). A retry asks the thred's workflow to call the
 * agent again with the failed message (update `retryAgent`): only the workflow runs agent calls, so the reply (or a
 * new failure) enters the thred exactly as the first attempt's would have.
 *
 * Exactly once: the message is re-sent under the deterministic id `<dead letter id>.retry`, which the workflow
 * de-duplicates like any event id (two concurrent retries call the agent once), and the letter records the retry
 * (`retriedAt`), so a later retry answers `retried: false` without asking the thred at all. A retried call that fails
 * again becomes a new dead letter (under the retry id), retryable in its turn.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Type } from 'typebox';
import type { Message } from '../../patterns';
import type { GatewayContext } from '../types';
import { fail } from '../errors';
import { errors } from '../schemas';

/** The workflow's `retryAgent` update (workflows/messages.ts): true when the call was made, false for a repeated id. */
const RETRY_AGENT_UPDATE = 'retryAgent';
export interface RetryAgentRequest {
  nodeType: string;
  message: Message;
}

export const retryIdOf = (deadLetterId: string) => `${deadLetterId}.retry`;

const DeadLetterParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 512 }) });
export const RetryResponseSchema = Type.Object({
  id: Type.String(),
  thredId: Type.String(),
  retryId: Type.String({ description: 'the id the message was re-sent under' }),
  retried: Type.Boolean({ description: 'false: an earlier retry already re-sent it; nothing was sent now' }),
});

const deadLetters: FastifyPluginAsync<GatewayContext> = async (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, client } = ctx.deps;
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireAdmin);
  const security = [{ bearer: [] }];

  async function letterOf(id: string) {
    const letter = await store.deadLetters.get(id);
    if (!letter) throw fail('NOT_FOUND', `dead letter ${id} does not exist`);
    return letter;
  }

  app.post(
    '/dead-letters/:id/retry',
    {
      schema: {
        tags: ['admin'],
        summary: 'Call the agent again with a dead letter (once: a second retry answers retried false)',
        security,
        params: DeadLetterParams,
        response: { 200: RetryResponseSchema, ...errors(401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const letter = await letterOf(req.params.id);
      const retryId = retryIdOf(letter._id);
      const answer = { id: letter._id, thredId: letter.thredId, retryId };
      if (letter.retriedAt !== undefined) return { ...answer, retried: false };
      const request: RetryAgentRequest = { nodeType: letter.nodeType, message: { ...letter.message, id: retryId } };
      let sent: boolean;
      try {
        sent = await client.workflow
          .getHandle(letter.thredId)
          .executeUpdate<boolean, [RetryAgentRequest]>(RETRY_AGENT_UPDATE, { args: [request] });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw fail('THRED_ENDED', `thred ${letter.thredId} has ended; its agent call cannot be retried`);
        if (err instanceof WorkflowUpdateFailedError && /no registered handler/i.test(String(err.cause?.message))) {
          throw fail('UNAVAILABLE', `the worker running thred ${letter.thredId} cannot retry agent calls (update it)`);
        }
        throw err;
      }
      await store.deadLetters.markRetried(letter._id, retryId, ctx.now());
      return { ...answer, retried: sent };
    },
  );

  app.delete(
    '/dead-letters/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a dead letter',
        security,
        params: DeadLetterParams,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errors(401, 403, 404) },
      },
    },
    async (req) => {
      if (!(await store.deadLetters.delete(req.params.id)))
        throw fail('NOT_FOUND', `dead letter ${req.params.id} does not exist`);
      return { id: req.params.id, deleted: true };
    },
  );
};

export default deadLetters;
