//! Claude Code `-p --output-format stream-json --verbose`: one JSON object a line — `system`
//! (`init`, `api_retry`, `permission_denied`), `assistant` messages (text, thinking, `tool_use`),
//! `user` messages carrying `tool_result`s (with a `tool_use_result` that tells file writes and
//! command output apart), and a final `result` (usage, cost, turns, denials, errors).

use std::collections::{HashMap, HashSet};

use refine_model::transcript::{excerpt, TranscriptItem};
use serde_json::Value;

use super::{kept_input, relative, text_of, tool_summary, StreamParser, OUTPUT_CAP};

#[derive(Default)]
pub(crate) struct Claude {
    cwd: Option<String>,
    /// Tool calls by id: (name, input), to make sense of their results.
    calls: HashMap<String, (String, Value)>,
    denied: HashSet<String>,
}

impl StreamParser for Claude {
    fn line(&mut self, line: &str, out: &mut Vec<TranscriptItem>) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            if !line.trim().is_empty() {
                out.push(TranscriptItem::Raw { line: line.into() });
            }
            return;
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match v.get("type").and_then(Value::as_str) {
            Some("system") => match v.get("subtype").and_then(Value::as_str) {
                Some("init") => {
                    self.cwd = s("cwd");
                    out.push(TranscriptItem::SessionStarted {
                        session_id: s("session_id"),
                        model: s("model"),
                        cwd: s("cwd"),
                    });
                }
                Some("api_retry") => {
                    let status = v.get("error_status").and_then(Value::as_u64);
                    out.push(TranscriptItem::Notice {
                        message: format!(
                            "retrying after {} (attempt {} of {}, in {:.1} s)",
                            status
                                .map(|c| format!("HTTP {c}"))
                                .unwrap_or_else(|| "an error".into()),
                            v["attempt"].as_u64().unwrap_or(0),
                            v["max_retries"].as_u64().unwrap_or(0),
                            v["retry_delay_ms"].as_f64().unwrap_or(0.0) / 1000.0
                        ),
                    });
                }
                Some("permission_denied") => {
                    if let Some(id) = s("tool_use_id") {
                        self.denied.insert(id);
                    }
                    out.push(TranscriptItem::PermissionDenied {
                        tool: s("tool_name").unwrap_or_default(),
                        detail: s("message").unwrap_or_default(),
                    });
                }
                _ => out.push(TranscriptItem::Raw { line: line.into() }),
            },
            Some("assistant") => self.assistant(&v, out),
            Some("user") => self.user(&v, out),
            Some("result") => self.result(&v, out),
            _ => out.push(TranscriptItem::Raw { line: line.into() }),
        }
    }
}

impl Claude {
    fn assistant(&mut self, v: &Value, out: &mut Vec<TranscriptItem>) {
        let msg = &v["message"];
        let content = msg["content"].as_array().cloned().unwrap_or_default();
        // A failed API call comes back as a synthetic assistant message.
        if msg["model"].as_str() == Some("<synthetic>")
            || v.get("error").is_some_and(|e| !e.is_null())
        {
            let text = content
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n");
            out.push(TranscriptItem::Error {
                message: if text.is_empty() {
                    v["error"].as_str().unwrap_or("the API call failed").into()
                } else {
                    text
                },
                status: v["api_error_status"].as_u64().map(|c| c as u16),
            });
            return;
        }
        for b in content {
            match b["type"].as_str() {
                Some("text") => {
                    let text = b["text"].as_str().unwrap_or_default();
                    if !text.trim().is_empty() {
                        out.push(TranscriptItem::Text { text: text.into() });
                    }
                }
                Some("thinking") => out.push(TranscriptItem::Thinking {
                    text: b["thinking"].as_str().unwrap_or_default().into(),
                }),
                Some("tool_use") => {
                    let id = b["id"].as_str().map(str::to_string);
                    let name = b["name"].as_str().unwrap_or("tool").to_string();
                    let input = b["input"].clone();
                    if let Some(id) = &id {
                        self.calls.insert(id.clone(), (name.clone(), input.clone()));
                    }
                    out.push(TranscriptItem::ToolCall {
                        id,
                        summary: tool_summary(&name, &input),
                        name,
                        input: kept_input(&input),
                    });
                }
                _ => {}
            }
        }
    }

    fn user(&mut self, v: &Value, out: &mut Vec<TranscriptItem>) {
        let content = v["message"]["content"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for b in content {
            if b["type"].as_str() != Some("tool_result") {
                continue;
            }
            let id = b["tool_use_id"].as_str().map(str::to_string);
            let is_error = b["is_error"].as_bool().unwrap_or(false);
            let text = text_of(&b["content"]);
            out.push(TranscriptItem::ToolResult {
                id: id.clone(),
                ok: !is_error,
                excerpt: excerpt(&text, OUTPUT_CAP),
            });
            let Some((name, input)) = id.as_ref().and_then(|i| self.calls.get(i)).cloned() else {
                continue;
            };
            let refused = is_error
                && (text.contains("requires approval")
                    || text.contains("haven't granted")
                    || text.contains("permission"));
            if refused {
                if id.as_ref().is_some_and(|i| self.denied.insert(i.clone())) {
                    out.push(TranscriptItem::PermissionDenied {
                        tool: name.clone(),
                        detail: excerpt(&text, 500),
                    });
                }
                continue;
            }
            let r = &v["tool_use_result"];
            match name.as_str() {
                "Write" | "Edit" | "MultiEdit" | "NotebookEdit" if !is_error => {
                    let path = input["file_path"]
                        .as_str()
                        .or(input["notebook_path"].as_str())
                        .or(r["filePath"].as_str())
                        .unwrap_or_default();
                    let change = if r["type"].as_str() == Some("create") {
                        "add"
                    } else {
                        "update"
                    };
                    out.push(TranscriptItem::FileChange {
                        path: relative(path, self.cwd.as_deref()),
                        change: change.into(),
                    });
                }
                "Bash" => {
                    let exit_code = if is_error {
                        text.strip_prefix("Exit code ")
                            .and_then(|t| t.split_whitespace().next())
                            .and_then(|c| c.parse().ok())
                    } else {
                        Some(0)
                    };
                    let output = match (r["stdout"].as_str(), r["stderr"].as_str()) {
                        (Some(o), Some(e)) if !e.is_empty() => format!("{o}\n{e}"),
                        (Some(o), _) => o.to_string(),
                        _ => text.clone(),
                    };
                    out.push(TranscriptItem::Command {
                        command: input["command"].as_str().unwrap_or_default().into(),
                        exit_code,
                        output: excerpt(&output, OUTPUT_CAP),
                    });
                }
                _ => {}
            }
        }
    }

    fn result(&mut self, v: &Value, out: &mut Vec<TranscriptItem>) {
        let u = &v["usage"];
        let n = |x: &Value| x.as_u64().unwrap_or(0).min(u32::MAX as u64) as u32;
        out.push(TranscriptItem::Usage {
            input_tokens: n(&u["input_tokens"])
                .saturating_add(n(&u["cache_creation_input_tokens"])),
            output_tokens: n(&u["output_tokens"]),
            cached_tokens: n(&u["cache_read_input_tokens"]),
            cost_usd: v["total_cost_usd"].as_f64(),
        });
        for d in v["permission_denials"].as_array().into_iter().flatten() {
            let id = d["tool_use_id"].as_str().unwrap_or_default().to_string();
            if self.denied.insert(id) {
                out.push(TranscriptItem::PermissionDenied {
                    tool: d["tool_name"].as_str().unwrap_or_default().into(),
                    detail: excerpt(&d["tool_input"].to_string(), 300),
                });
            }
        }
        let is_error = v["is_error"].as_bool().unwrap_or(false);
        let result = v["result"].as_str().map(str::to_string);
        if is_error {
            out.push(TranscriptItem::Error {
                message: result.clone().unwrap_or_else(|| "the run failed".into()),
                status: v["api_error_status"].as_u64().map(|c| c as u16),
            });
        }
        out.push(TranscriptItem::Finished {
            ok: !is_error,
            result,
            turns: v["num_turns"].as_u64().map(|t| t as u32),
            duration_ms: v["duration_ms"]
                .as_u64()
                .map(|d| d.min(u32::MAX as u64) as u32),
        });
    }
}
