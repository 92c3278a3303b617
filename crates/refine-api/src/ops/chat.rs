//! Chat threads with an agent.

use refine_core::chat::{
    ChatDraftInput, ChatGoalDraft, ChatIdInput, ChatListInput, CreateChatInput, RenameChatInput,
    SendChatInput,
};
use refine_model::chat::{ChatSent, ChatThread, ChatView};

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ChatListInput, Vec<ChatThread>> = Op::query(
    "chat.list",
    Get,
    "/api/v1/chat/threads",
    "Chat threads of the app (project, Goal or planning), newest first.",
    true,
);

pub const CREATE: Op<CreateChatInput, ChatThread> = Op::mutation(
    "chat.create",
    Post,
    "/api/v1/chat/threads",
    "Start a chat thread about the project, a Goal (goalId) or planning, answered by an agent profile (default: agents.defaultProfile).",
    false,
);

pub const GET: Op<ChatIdInput, ChatView> = Op::query(
    "chat.get",
    Get,
    "/api/v1/chat/threads/{id}",
    "A chat thread and its messages, oldest first (a streaming reply shows what arrived so far).",
    true,
);

pub const SEND: Op<SendChatInput, ChatSent> = Op::mutation(
    "chat.send",
    Post,
    "/api/v1/chat/threads/{threadId}/messages",
    "Send a message: stores it and a pending reply and answers at once; the agent's reply streams as chat.delta events and ends as a chat.message (done or failed).",
    false,
);

pub const RENAME: Op<RenameChatInput, ChatThread> = Op::mutation(
    "chat.rename",
    Post,
    "/api/v1/chat/threads/{id}/rename",
    "Rename a chat thread.",
    false,
);

pub const DELETE: Op<ChatIdInput, ChatThread> = Op::mutation(
    "chat.delete",
    Delete,
    "/api/v1/chat/threads/{id}",
    "Delete a chat thread and its messages (a reply being written is stopped).",
    false,
);

pub const DRAFT: Op<ChatDraftInput, ChatGoalDraft> = Op::query(
    "chat.draft",
    Post,
    "/api/v1/chat/threads/{threadId}/draft",
    "Ask the thread's agent to turn the conversation into Goal drafts: import's preview plus the import.commit input that creates them; stores nothing.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.chat_list(&ctx, i).await }),
        CREATE.handle(|core, ctx, i| async move { core.chat_create(&ctx, i).await }),
        GET.handle(|core, _, i| async move { core.chat_get(i).await }),
        SEND.handle(|core, ctx, i| async move { core.chat_send(&ctx, i).await }),
        RENAME.handle(|core, ctx, i| async move { core.chat_rename(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.chat_delete(&ctx, i).await }),
        DRAFT.handle(|core, ctx, i| async move { core.chat_draft(&ctx, i).await }),
    ]
}
