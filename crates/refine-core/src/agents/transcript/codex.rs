//! Codex `exec --json`: `thread.started` (the thread id resumes it), `item.started` /
//! `item.completed` (agent messages, reasoning, command executions with exit codes, file changes,
//! tool calls), `turn.completed` with usage, or `error` / `turn.failed`.

use refine_model::transcript::{excerpt, TranscriptItem};
use serde_json::Value;

use super::{kept_input, relative, status_in, tool_summary, StreamParser, OUTPUT_CAP};

#[derive(Default)]
pub(crate) struct Codex {
    cwd: Option<String>,
    last_message: Option<String>,
    completed: bool,
    failed: bool,
    /// The last `error` message (a `turn.failed` repeating it is not a second error).
    error: Option<String>,
    turns: u32,
}

/// `/bin/bash -lc 'ls x'` → `ls x` (Codex wraps every command in a login shell).
fn unwrap_shell(cmd: &str) -> String {
    for prefix in ["/bin/bash -lc ", "bash -lc ", "/bin/sh -c ", "sh -c "] {
        if let Some(rest) = cmd.strip_prefix(prefix) {
            let r = rest.trim();
            if r.len() >= 2
                && ((r.starts_with('\'') && r.ends_with('\''))
                    || (r.starts_with('"') && r.ends_with('"')))
            {
                return r[1..r.len() - 1].replace("\\\\", "\\");
            }
            return r.to_string();
        }
    }
    cmd.to_string()
}

impl Codex {
    pub(crate) fn in_dir(cwd: &str) -> Codex {
        Codex {
            cwd: Some(cwd.to_string()),
            ..Default::default()
        }
    }
}

impl StreamParser for Codex {
    fn line(&mut self, line: &str, out: &mut Vec<TranscriptItem>) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            if !line.trim().is_empty() {
                out.push(TranscriptItem::Raw { line: line.into() });
            }
            return;
        };
        match v["type"].as_str() {
            Some("thread.started") => out.push(TranscriptItem::SessionStarted {
                session_id: v["thread_id"].as_str().map(str::to_string),
                model: None,
                cwd: None,
            }),
            Some("turn.started") => self.turns += 1,
            Some("item.started") => self.started(&v["item"], out),
            Some("item.completed") => self.completed(&v["item"], out),
            Some("item.updated") => {}
            Some("turn.completed") => {
                self.completed = true;
                let u = &v["usage"];
                let n = |x: &Value| x.as_u64().unwrap_or(0).min(u32::MAX as u64) as u32;
                out.push(TranscriptItem::Usage {
                    input_tokens: n(&u["input_tokens"]),
                    output_tokens: n(&u["output_tokens"])
                        .saturating_add(n(&u["reasoning_output_tokens"])),
                    cached_tokens: n(&u["cached_input_tokens"]),
                    cost_usd: None,
                });
            }
            Some("turn.failed") => {
                let m = v["error"]["message"].as_str().unwrap_or("the turn failed");
                // Usually the `error` event before it said the same.
                if self.error.as_deref() != Some(m) {
                    out.push(TranscriptItem::Error {
                        message: m.into(),
                        status: status_in(m),
                    });
                }
                self.failed = true;
            }
            Some("error") => {
                let m = v["message"].as_str().unwrap_or_default();
                if m.starts_with("Reconnecting") {
                    out.push(TranscriptItem::Notice { message: m.into() });
                } else {
                    self.failed = true;
                    self.error = Some(m.to_string());
                    out.push(TranscriptItem::Error {
                        message: m.into(),
                        status: status_in(m),
                    });
                }
            }
            _ => out.push(TranscriptItem::Raw { line: line.into() }),
        }
    }

    fn finish(&mut self, out: &mut Vec<TranscriptItem>) {
        out.push(TranscriptItem::Finished {
            ok: self.completed && !self.failed,
            result: self.last_message.clone(),
            turns: Some(self.turns).filter(|t| *t > 0),
            duration_ms: None,
        });
    }
}

impl Codex {
    fn started(&mut self, item: &Value, out: &mut Vec<TranscriptItem>) {
        match item["type"].as_str() {
            Some("command_execution") => {
                let command = unwrap_shell(item["command"].as_str().unwrap_or_default());
                let input = serde_json::json!({ "command": command });
                out.push(TranscriptItem::ToolCall {
                    id: item["id"].as_str().map(str::to_string),
                    name: "exec_command".into(),
                    summary: tool_summary("exec_command", &input),
                    input,
                });
            }
            Some("file_change") => {
                let paths: Vec<String> = item["changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["path"].as_str())
                    .map(|p| relative(p, self.cwd.as_deref()))
                    .collect();
                out.push(TranscriptItem::ToolCall {
                    id: item["id"].as_str().map(str::to_string),
                    name: "apply_patch".into(),
                    summary: excerpt(&paths.join(", "), 160),
                    input: kept_input(&item["changes"]),
                });
            }
            _ => {}
        }
    }

    fn completed(&mut self, item: &Value, out: &mut Vec<TranscriptItem>) {
        let id = item["id"].as_str().map(str::to_string);
        match item["type"].as_str() {
            Some("agent_message") => {
                let text = item["text"].as_str().unwrap_or_default().to_string();
                self.last_message = Some(text.clone());
                out.push(TranscriptItem::Text { text });
            }
            Some("reasoning") => out.push(TranscriptItem::Thinking {
                text: item["text"].as_str().unwrap_or_default().into(),
            }),
            Some("command_execution") => {
                let exit_code = item["exit_code"].as_i64().map(|c| c as i32);
                let output = item["aggregated_output"].as_str().unwrap_or_default();
                out.push(TranscriptItem::ToolResult {
                    id,
                    ok: exit_code == Some(0),
                    excerpt: excerpt(output, 500),
                });
                out.push(TranscriptItem::Command {
                    command: unwrap_shell(item["command"].as_str().unwrap_or_default()),
                    exit_code,
                    output: excerpt(output, OUTPUT_CAP),
                });
            }
            Some("file_change") => {
                let ok = item["status"].as_str() != Some("failed");
                out.push(TranscriptItem::ToolResult {
                    id,
                    ok,
                    excerpt: item["status"].as_str().unwrap_or_default().into(),
                });
                if ok {
                    for c in item["changes"].as_array().into_iter().flatten() {
                        out.push(TranscriptItem::FileChange {
                            path: relative(
                                c["path"].as_str().unwrap_or_default(),
                                self.cwd.as_deref(),
                            ),
                            change: c["kind"].as_str().unwrap_or("update").into(),
                        });
                    }
                }
            }
            Some("mcp_tool_call") | Some("web_search") => {
                let name = match item["type"].as_str() {
                    Some("web_search") => "web_search".to_string(),
                    _ => format!(
                        "{}.{}",
                        item["server"].as_str().unwrap_or("mcp"),
                        item["tool"].as_str().unwrap_or("tool")
                    ),
                };
                out.push(TranscriptItem::ToolCall {
                    id,
                    summary: tool_summary(&name, &item["arguments"]),
                    name,
                    input: kept_input(item),
                });
            }
            Some("error") => {
                let m = item["message"].as_str().unwrap_or_default();
                out.push(TranscriptItem::Error {
                    message: m.into(),
                    status: status_in(m),
                });
            }
            Some("todo_list") => {}
            _ => out.push(TranscriptItem::Raw {
                line: item.to_string(),
            }),
        }
    }
}
