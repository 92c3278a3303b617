//! The `review_comments` table: reviewers' comments on a Round's candidate.

use crate::Cached;
use refine_model::review::{CommentSide, CommentStatus, ReviewComment};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

const COLUMNS: &str = "id, goal_id, round, commit_sha, author, path, side, start_line, end_line,
    hunk, quote, body, status, sent_round, created_at, updated_at, resolved_at, resolved_by";

fn comment(r: &Row) -> rusqlite::Result<ReviewComment> {
    let side: Option<String> = r.get(6)?;
    let status: String = r.get(12)?;
    Ok(ReviewComment {
        id: r.get(0)?,
        goal_id: r.get(1)?,
        round: r.get(2)?,
        commit: r.get(3)?,
        author: r.get(4)?,
        path: r.get(5)?,
        side: side.as_deref().and_then(CommentSide::parse),
        start_line: r.get(7)?,
        end_line: r.get(8)?,
        hunk: r.get(9)?,
        quote: r.get(10)?,
        body: r.get(11)?,
        status: CommentStatus::parse(&status).unwrap_or(CommentStatus::Sent),
        sent_round: r.get(13)?,
        state: None,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        resolved_at: r.get(16)?,
        resolved_by: r.get(17)?,
    })
}

/// A Goal's comments, oldest first; `round` limits them to the ones made on that Round.
pub fn of_goal(conn: &Connection, goal_id: &str, round: Option<u32>) -> Result<Vec<ReviewComment>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM review_comments
         WHERE goal_id = ?1 AND (?2 IS NULL OR round = ?2) ORDER BY id"
    ))?;
    let rows = st
        .query_map(params![goal_id, round], comment)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: u32) -> Result<Option<ReviewComment>> {
    Ok(conn
        .row(
            &format!("SELECT {COLUMNS} FROM review_comments WHERE id = ?1"),
            [id],
            comment,
        )
        .optional()?)
}

/// Store a new comment; answers it with its id.
pub fn insert(conn: &Connection, c: &ReviewComment) -> Result<ReviewComment> {
    conn.exec(
        "INSERT INTO review_comments(goal_id, round, commit_sha, author, path, side, start_line,
            end_line, hunk, quote, body, status, sent_round, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            c.goal_id,
            c.round,
            c.commit,
            c.author,
            c.path,
            c.side.map(CommentSide::as_str),
            c.start_line,
            c.end_line,
            c.hunk,
            c.quote,
            c.body,
            c.status.as_str(),
            c.sent_round,
            c.created_at,
            c.updated_at
        ],
    )?;
    let id = conn.last_insert_rowid() as u32;
    Ok(get(conn, id)?.expect("the row just inserted"))
}

/// Write a comment's body, status, sent Round and resolution.
pub fn update(conn: &Connection, c: &ReviewComment) -> Result<()> {
    conn.exec(
        "UPDATE review_comments SET body = ?2, status = ?3, sent_round = ?4, updated_at = ?5,
            resolved_at = ?6, resolved_by = ?7 WHERE id = ?1",
        params![
            c.id,
            c.body,
            c.status.as_str(),
            c.sent_round,
            c.updated_at,
            c.resolved_at,
            c.resolved_by
        ],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: u32) -> Result<()> {
    conn.exec("DELETE FROM review_comments WHERE id = ?1", [id])?;
    Ok(())
}
