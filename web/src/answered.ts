/**
 * Prompts a participant has answered, with the answer's display text, kept in localStorage per participant: a message
 * replayed after a reload still shows as answered instead of offering its form again.
 */
function key(participantId: string): string {
  return `threds.answered.${participantId}`;
}

export function answeredMap(participantId: string): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(key(participantId)) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

export function markAnswered(participantId: string, messageId: string, display: string): void {
  const m = answeredMap(participantId);
  m[messageId] = display;
  localStorage.setItem(key(participantId), JSON.stringify(m));
}
