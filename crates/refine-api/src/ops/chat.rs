use refine_core::chat::{
    ChatDraftInput, ChatIdInput, ChatListInput, CreateChatInput, RenameChatInput, SendChatInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d(
            "chat.threads",
            Get,
            "/api/v1/chat/threads",
            "Chat threads of the app (project, Goal or planning), newest first.",
            true,
        )
        .query(|core, ctx, i: ChatListInput| async move { core.chat_threads(&ctx, i).await }),
        d(
            "chat.create",
            Post,
            "/api/v1/chat/threads",
            "Start a chat thread about the project, a Goal (goalId) or planning, answered by an agent profile (default: agents.defaultProfile).",
            false,
        )
        .mutation(m, |core, ctx, i: CreateChatInput| async move {
            core.chat_create(&ctx, i).await
        }),
        d(
            "chat.get",
            Get,
            "/api/v1/chat/threads/{id}",
            "A chat thread and its messages, oldest first (a streaming reply shows what arrived so far).",
            true,
        )
        .query(|core, _, i: ChatIdInput| async move { core.chat_get(i).await }),
        d(
            "chat.send",
            Post,
            "/api/v1/chat/threads/{threadId}/messages",
            "Send a message: stores it and a pending reply and answers at once; the agent's reply streams as chat.delta events and ends as a chat.message (done or failed).",
            false,
        )
        .mutation(m, |core, ctx, i: SendChatInput| async move {
            core.chat_send(&ctx, i).await
        }),
        d(
            "chat.rename",
            Post,
            "/api/v1/chat/threads/{id}/rename",
            "Rename a chat thread.",
            false,
        )
        .mutation(m, |core, ctx, i: RenameChatInput| async move {
            core.chat_rename(&ctx, i).await
        }),
        d(
            "chat.delete",
            Delete,
            "/api/v1/chat/threads/{id}",
            "Delete a chat thread and its messages (a reply being written is stopped).",
            false,
        )
        .mutation(m, |core, ctx, i: ChatIdInput| async move {
            core.chat_delete(&ctx, i).await
        }),
        d(
            "chat.to_goal_draft",
            Post,
            "/api/v1/chat/threads/{threadId}/draft",
            "Ask the thread's agent to turn the conversation into Goal drafts: import's preview plus the import.commit input that creates them; stores nothing.",
            false,
        )
        .query(|core, ctx, i: ChatDraftInput| async move {
            core.chat_goal_draft(&ctx, i).await
        }),
    ]
}
