import type { ChatMessage, ChatThread, ChatView } from '../../gen/bindings';

/** A reply still being written. */
export function isOpen(m: ChatMessage): boolean {
  return m.status === 'pending' || m.status === 'streaming';
}

/** Puts a message (new or changed) in its place, by sequence number. */
export function upsertMessage(view: ChatView, message: ChatMessage): ChatView {
  const others = view.messages.filter((m) => m.id !== message.id);
  const messages = [...others, message].sort((a, b) => a.seq - b.seq);
  return { ...view, messages };
}

/** Appends streamed text to an open reply; a finished one keeps its stored content. */
export function appendDelta(view: ChatView, messageId: string, text: string): ChatView {
  if (!text) return view;
  let changed = false;
  const messages = view.messages.map((m) => {
    if (m.id !== messageId || !isOpen(m)) return m;
    changed = true;
    return { ...m, status: 'streaming' as const, content: m.content + text };
  });
  return changed ? { ...view, messages } : view;
}

/** What a thread is about, in a few words. */
export function aboutLabel(t: ChatThread): string {
  if (t.kind === 'goal') return t.goalNumber != null ? `Goal #${t.goalNumber}` : 'Goal (deleted)';
  return t.kind === 'plan' ? 'Planning' : 'Project';
}

/**
 * Adds what `chat.send` answered (the message and its pending reply). Live events may already
 * have brought a newer state of either (a quick agent answers before the response arrives):
 * those are kept.
 */
export function mergeSent(view: ChatView, sent: { message: ChatMessage; reply: ChatMessage }): ChatView {
  let next = view;
  for (const m of [sent.message, sent.reply]) {
    if (!next.messages.some((x) => x.id === m.id)) next = upsertMessage(next, m);
  }
  return next;
}
