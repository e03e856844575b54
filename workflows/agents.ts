/**
 * Agent calls: activities on the agent's task queue, never awaited by the loop, so agent work does not block other
 * events. The reply (or the failure) re-enters the queue when it arrives.
 */
import { ActivityFailure, uuid4 } from '@temporalio/workflow';
import type { Message, ThredsEvent } from '../patterns/thred-machine';
import type { EngineSettings, QueueItem } from './messages';
import { agentCallOptions, agents, telemetry } from './proxies';
import type { RecentIds } from './recent-ids';

export class AgentCalls {
  /** Calls whose answer has not arrived: continue-as-new waits for them, since their replies go to this run's queue. */
  inFlight = 0;

  constructor(
    private readonly thredId: string,
    private readonly settings: EngineSettings,
    private readonly inbox: { queue: QueueItem[]; seen: RecentIds },
  ) {}

  call(nodeType: string, message: Message): void {
    const { queue, seen } = this.inbox;
    this.inFlight++;
    agents.handleMessage
      .executeWithOptions(agentCallOptions(nodeType, message, this.settings.agentOptions[nodeType]), [message])
      .then(
        (reply) => {
          telemetry.agentCall(nodeType, reply ? 'reply' : 'no_reply');
          if (reply) {
            const event = this.normalizeReply(reply, nodeType, message);
            if (seen.add(event.id)) queue.push({ kind: 'event', event, reply: true });
          }
        },
        (err: unknown) => {
          telemetry.agentCall(nodeType, 'failed');
          const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
          queue.push({ kind: 'agent-failed', nodeType, message, error: reason });
        },
      )
      .finally(() => this.inFlight--);
  }

  /** SPEC §6: a reply has type = nodeType, re = request id, thredId = this thred (filled in where the agent left them out). */
  private normalizeReply(reply: ThredsEvent, nodeType: string, request: Message): ThredsEvent {
    return {
      ...reply,
      id: reply.id || uuid4(),
      type: reply.type || nodeType,
      re: reply.re ?? request.event.id,
      thredId: this.thredId,
      source: reply.source?.id ? reply.source : { id: nodeType },
      time: reply.time ?? Date.now(),
    };
  }
}
