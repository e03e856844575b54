// Search attributes of a thred (SPEC §10), shared by the workflow (upserts) and the gateway (start options, queries).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ThredPattern = defineSearchAttributeKey('ThredPattern', SearchAttributeType.KEYWORD);
export const ThredReaction = defineSearchAttributeKey('ThredReaction', SearchAttributeType.KEYWORD);
export const ThredStatus = defineSearchAttributeKey('ThredStatus', SearchAttributeType.KEYWORD);
