//! Chat threads and messages.

use crate::Cached;
use refine_model::chat::{ChatKind, ChatMessage, ChatRole, ChatStatus, ChatThread, REPLY_CUT};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{Result, StoreError};

const THREAD_SELECT: &str = "SELECT t.id, t.app_id, t.kind, t.goal_id, g.number, g.title, \
    t.title, t.profile, t.created_at, t.updated_at, \
    (SELECT COUNT(*) FROM chat_messages m WHERE m.thread_id = t.id), \
    (SELECT substr(m.content, 1, 200) FROM chat_messages m WHERE m.thread_id = t.id \
        AND m.content <> '' ORDER BY m.seq DESC LIMIT 1), \
    (SELECT COUNT(*) FROM chat_messages m WHERE m.thread_id = t.id \
        AND m.status IN ('pending', 'streaming')) \
    FROM chat_threads t LEFT JOIN goals g ON g.id = t.goal_id";

pub fn thread_row(r: &Row) -> rusqlite::Result<(ChatThread, String)> {
    let preview: Option<String> = r.get(11)?;
    Ok((
        ChatThread {
            id: r.get(0)?,
            app_id: r.get(1)?,
            kind: ChatKind::Project,
            goal_id: r.get(3)?,
            goal_number: r.get(4)?,
            goal_title: r.get(5)?,
            title: r.get(6)?,
            profile: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
            message_count: r.get(10)?,
            // A long reply's note that its beginning is left out says nothing about the thread.
            preview: preview.map(|p| one_line(p.strip_prefix(REPLY_CUT).unwrap_or(&p), 140)),
            replying: r.get::<_, i64>(12)? > 0,
        },
        r.get(2)?,
    ))
}

pub fn decode_thread((mut t, kind): (ChatThread, String)) -> Result<ChatThread> {
    t.kind =
        ChatKind::parse(&kind).ok_or_else(|| StoreError::Decode(format!("chat kind {kind}")))?;
    Ok(t)
}

pub fn get_thread(conn: &Connection, id: &str) -> Result<Option<ChatThread>> {
    conn.row(
        &format!("{THREAD_SELECT} WHERE t.id = ?1"),
        [id],
        thread_row,
    )
    .optional()?
    .map(decode_thread)
    .transpose()
}

pub fn list_threads(conn: &Connection, app_id: &str) -> Result<Vec<ChatThread>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{THREAD_SELECT} WHERE t.app_id = ?1 ORDER BY t.updated_at DESC, t.id DESC"
    ))?;
    let rows = stmt
        .query_map([app_id], thread_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode_thread).collect()
}

const MESSAGE_SELECT: &str = "SELECT id, thread_id, seq, role, content, status, run_id, \
    created_at, (SELECT r.process_id FROM agent_runs r WHERE r.id = chat_messages.run_id) \
    FROM chat_messages";

pub fn message_row(r: &Row) -> rusqlite::Result<(ChatMessage, String, String)> {
    Ok((
        ChatMessage {
            id: r.get(0)?,
            thread_id: r.get(1)?,
            seq: r.get(2)?,
            role: ChatRole::User,
            content: r.get(4)?,
            status: ChatStatus::Done,
            run_id: r.get(6)?,
            process_id: r.get(8)?,
            created_at: r.get(7)?,
        },
        r.get(3)?,
        r.get(5)?,
    ))
}

pub fn decode_message((mut m, role, status): (ChatMessage, String, String)) -> Result<ChatMessage> {
    m.role = match role.as_str() {
        "user" => ChatRole::User,
        "assistant" => ChatRole::Assistant,
        other => return Err(StoreError::Decode(format!("chat role {other}"))),
    };
    m.status = match status.as_str() {
        "pending" => ChatStatus::Pending,
        "streaming" => ChatStatus::Streaming,
        "done" => ChatStatus::Done,
        "failed" => ChatStatus::Failed,
        other => return Err(StoreError::Decode(format!("chat message status {other}"))),
    };
    Ok(m)
}

pub fn get_message(conn: &Connection, id: &str) -> Result<Option<ChatMessage>> {
    conn.row(
        &format!("{MESSAGE_SELECT} WHERE id = ?1"),
        [id],
        message_row,
    )
    .optional()?
    .map(decode_message)
    .transpose()
}

pub fn messages_of(conn: &Connection, thread_id: &str) -> Result<Vec<ChatMessage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{MESSAGE_SELECT} WHERE thread_id = ?1 ORDER BY seq"
    ))?;
    let rows = stmt
        .query_map([thread_id], message_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode_message).collect()
}

pub fn insert_message(
    conn: &Connection,
    id: &str,
    thread_id: &str,
    role: ChatRole,
    content: &str,
    status: ChatStatus,
    at: &str,
) -> Result<()> {
    let seq: u32 = conn.row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_messages WHERE thread_id = ?1",
        [thread_id],
        |r| r.get(0),
    )?;
    let role = match role {
        ChatRole::User => "user",
        ChatRole::Assistant => "assistant",
    };
    conn.exec(
        "INSERT INTO chat_messages(id, thread_id, seq, role, content, status, run_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)",
        params![id, thread_id, seq, role, content, status.as_str(), at],
    )?;
    Ok(())
}

pub fn touch(conn: &Connection, thread_id: &str, at: &str) -> Result<()> {
    conn.exec(
        "UPDATE chat_threads SET updated_at = ?2 WHERE id = ?1",
        params![thread_id, at],
    )?;
    Ok(())
}

/// Replies of a thread that are not finished.
pub fn pending_ids(conn: &Connection, thread_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM chat_messages WHERE thread_id = ?1 AND status IN ('pending', 'streaming')",
    )?;
    let ids = stmt
        .query_map([thread_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids)
}

/// The first line of `s`, at most `n` characters.
fn one_line(s: &str, n: usize) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > n {
        line.chars().take(n.saturating_sub(1)).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

/// Every reply left pending or streaming (start-up repair: nobody writes them any more).
pub fn unfinished_replies(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM chat_messages WHERE role = 'assistant' AND status IN ('pending', 'streaming')",
    )?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids)
}

/// Settle a reply as failed with `why`.
pub fn fail_reply(conn: &Connection, id: &str, why: &str) -> Result<()> {
    conn.exec(
        "UPDATE chat_messages SET status = 'failed', content = ?2 WHERE id = ?1",
        params![id, why],
    )?;
    Ok(())
}
