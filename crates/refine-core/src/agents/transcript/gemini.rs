//! Gemini CLI `--output-format stream-json` (as its headless mode documents it; not yet run
//! here against a stand-in): `init` (session, model), `message` (assistant text, streamed in
//! `delta` chunks), `tool_use` / `tool_result`, `error`, and a final `result` with stats.

use refine_model::transcript::{excerpt, TranscriptItem};
use serde_json::Value;

use super::{kept_input, status_in, tool_summary, StreamParser, OUTPUT_CAP};

#[derive(Default)]
pub(crate) struct Gemini {
    /// Assistant text streamed so far (one item once the message ends).
    pending: String,
    last_text: Option<String>,
    finished: bool,
}

impl Gemini {
    fn flush(&mut self, out: &mut Vec<TranscriptItem>) {
        if !self.pending.trim().is_empty() {
            let text = std::mem::take(&mut self.pending);
            self.last_text = Some(text.clone());
            out.push(TranscriptItem::Text { text });
        }
        self.pending.clear();
    }
}

impl StreamParser for Gemini {
    fn line(&mut self, line: &str, out: &mut Vec<TranscriptItem>) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            if !line.trim().is_empty() {
                out.push(TranscriptItem::Raw { line: line.into() });
            }
            return;
        };
        let kind = v["type"].as_str();
        if kind != Some("message") {
            self.flush(out);
        }
        match kind {
            Some("init") => out.push(TranscriptItem::SessionStarted {
                session_id: v["session_id"].as_str().map(str::to_string),
                model: v["model"].as_str().map(str::to_string),
                cwd: None,
            }),
            Some("message") => {
                if v["role"].as_str() == Some("assistant") {
                    self.pending
                        .push_str(v["content"].as_str().unwrap_or_default());
                    if v["delta"].as_bool() != Some(true) {
                        self.flush(out);
                    }
                }
            }
            Some("tool_use") => {
                let name = v["tool_name"].as_str().unwrap_or("tool").to_string();
                let input = v["parameters"].clone();
                out.push(TranscriptItem::ToolCall {
                    id: v["tool_id"].as_str().map(str::to_string),
                    summary: tool_summary(&name, &input),
                    name,
                    input: kept_input(&input),
                });
            }
            Some("tool_result") => out.push(TranscriptItem::ToolResult {
                id: v["tool_id"].as_str().map(str::to_string),
                ok: v["status"].as_str() == Some("success"),
                excerpt: excerpt(
                    v["output"]
                        .as_str()
                        .or(v["error"]["message"].as_str())
                        .unwrap_or_default(),
                    OUTPUT_CAP,
                ),
            }),
            Some("error") => {
                let m = v["message"].as_str().unwrap_or_default();
                out.push(TranscriptItem::Error {
                    message: m.into(),
                    status: status_in(m),
                });
            }
            Some("result") => {
                self.finished = true;
                let st = &v["stats"];
                let n = |x: &Value| x.as_u64().unwrap_or(0).min(u32::MAX as u64) as u32;
                out.push(TranscriptItem::Usage {
                    input_tokens: n(&st["input_tokens"]),
                    output_tokens: n(&st["output_tokens"]),
                    cached_tokens: n(&st["cached"]),
                    cost_usd: None,
                });
                out.push(TranscriptItem::Finished {
                    ok: v["status"].as_str() == Some("success"),
                    result: self.last_text.clone(),
                    turns: None,
                    duration_ms: st["duration_ms"].as_u64().map(|d| d as u32),
                });
            }
            _ => out.push(TranscriptItem::Raw { line: line.into() }),
        }
    }

    fn finish(&mut self, out: &mut Vec<TranscriptItem>) {
        self.flush(out);
        if !self.finished {
            out.push(TranscriptItem::Finished {
                ok: false,
                result: self.last_text.clone(),
                turns: None,
                duration_ms: None,
            });
        }
    }
}
