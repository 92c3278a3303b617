import { chatReplyCut, chatReplyTail, type ChatMessage, type ChatThread, type ChatView } from '../../gen/bindings';

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

const CUT_HEAD = `${chatReplyCut}\n`;

/**
 * A reply's text: whether its beginning was left out (the daemon keeps the end of a long output
 * and says so on the first line) and the text after that line.
 */
export function splitCut(content: string): { cut: boolean; body: string } {
  return content.startsWith(CUT_HEAD) ? { cut: true, body: content.slice(CUT_HEAD.length) } : { cut: false, body: content };
}

/**
 * Appends streamed text to an open reply; a finished one keeps its stored content. A reply keeps
 * the end of what streamed, as the daemon stores it: past twice `chatReplyTail` its beginning is
 * left out, so an agent that prints megabytes does not grow the page without end.
 */
export function appendDelta(view: ChatView, messageId: string, text: string): ChatView {
  if (!text) return view;
  let changed = false;
  const messages = view.messages.map((m) => {
    if (m.id !== messageId || !isOpen(m)) return m;
    changed = true;
    const { cut, body } = splitCut(m.content);
    let next = body + text;
    let left = cut;
    if (next.length > 2 * chatReplyTail) {
      let from = next.length - chatReplyTail;
      // From the start of a line, as the daemon cuts it (or at least not inside a character
      // written as two UTF-16 units).
      const line = next.indexOf('\n', from - 1);
      if (line >= 0 && line + 1 < next.length) from = line + 1;
      else if (next.charCodeAt(from) >= 0xdc00 && next.charCodeAt(from) <= 0xdfff) from += 1;
      next = next.slice(from);
      left = true;
    }
    return { ...m, status: 'streaming' as const, content: left ? CUT_HEAD + next : next };
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
