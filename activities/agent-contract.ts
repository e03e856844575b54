/**
 * The contract between the thred workflow and agents (SPEC §6), in any language: an activity named `handleMessage`
 * on the task queue named by the agent's nodeType, taking a Message and returning the reply Event or null.
 * Payloads are plain JSON (Temporal's default JSON payload converter), so a Go, Java or Python worker can serve it.
 */
import type { Message, ThredsEvent } from '../patterns';

export const AGENT_ACTIVITY_NAME = 'handleMessage';

export interface AgentActivities {
  handleMessage(message: Message): Promise<ThredsEvent | null>;
}
