//! opencode `run --format json`: every line carries the `sessionID`; `tool_use` parts (tool,
//! input, output, exit), `text` parts, `step_finish` with tokens and cost, and `error` with the
//! provider's status and headers.

use refine_model::transcript::{excerpt, TranscriptItem};
use serde_json::Value;

use super::{kept_input, relative, tool_summary, StreamParser, OUTPUT_CAP};

#[derive(Default)]
pub(crate) struct Opencode {
    cwd: Option<String>,
    session: Option<String>,
    input: u32,
    output: u32,
    cached: u32,
    cost: Option<f64>,
    last_text: Option<String>,
    failed: bool,
    steps: u32,
}

/// Files a patch in opencode's `apply_patch` format adds or updates.
fn patched_files(patch: &str) -> Vec<(String, &'static str)> {
    patch
        .lines()
        .filter_map(|l| {
            if let Some(p) = l.strip_prefix("*** Add File: ") {
                Some((p.trim().to_string(), "add"))
            } else if let Some(p) = l.strip_prefix("*** Update File: ") {
                Some((p.trim().to_string(), "update"))
            } else {
                l.strip_prefix("*** Delete File: ")
                    .map(|p| (p.trim().to_string(), "delete"))
            }
        })
        .collect()
}

impl Opencode {
    pub(crate) fn in_dir(cwd: &str) -> Opencode {
        Opencode {
            cwd: Some(cwd.to_string()),
            ..Default::default()
        }
    }
}

impl StreamParser for Opencode {
    fn line(&mut self, line: &str, out: &mut Vec<TranscriptItem>) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            if !line.trim().is_empty() {
                out.push(TranscriptItem::Raw { line: line.into() });
            }
            return;
        };
        if self.session.is_none() {
            if let Some(s) = v["sessionID"].as_str() {
                self.session = Some(s.to_string());
                out.push(TranscriptItem::SessionStarted {
                    session_id: Some(s.to_string()),
                    model: None,
                    cwd: self.cwd.clone(),
                });
            }
        }
        let part = &v["part"];
        match v["type"].as_str() {
            Some("step_start") => self.steps += 1,
            Some("text") => {
                let text = part["text"].as_str().unwrap_or_default().to_string();
                if !text.trim().is_empty() {
                    self.last_text = Some(text.clone());
                    out.push(TranscriptItem::Text { text });
                }
            }
            Some("reasoning") => out.push(TranscriptItem::Thinking {
                text: part["text"].as_str().unwrap_or_default().into(),
            }),
            Some("tool_use") => {
                let name = part["tool"].as_str().unwrap_or("tool").to_string();
                let state = &part["state"];
                let input = state["input"].clone();
                let ok = state["status"].as_str() == Some("completed");
                let output = state["output"].as_str().unwrap_or_default();
                let id = part["callID"].as_str().map(str::to_string);
                out.push(TranscriptItem::ToolCall {
                    id: id.clone(),
                    summary: tool_summary(&name, &input),
                    name: name.clone(),
                    input: kept_input(&input),
                });
                out.push(TranscriptItem::ToolResult {
                    id,
                    ok,
                    excerpt: excerpt(output, 500),
                });
                match name.as_str() {
                    "bash" => out.push(TranscriptItem::Command {
                        command: input["command"].as_str().unwrap_or_default().into(),
                        exit_code: state["metadata"]["exit"].as_i64().map(|c| c as i32),
                        output: excerpt(output, OUTPUT_CAP),
                    }),
                    "apply_patch" if ok => {
                        for (p, change) in
                            patched_files(input["patchText"].as_str().unwrap_or_default())
                        {
                            out.push(TranscriptItem::FileChange {
                                path: relative(&p, self.cwd.as_deref()),
                                change: change.into(),
                            });
                        }
                    }
                    "write" | "edit" if ok => out.push(TranscriptItem::FileChange {
                        path: relative(
                            input["filePath"].as_str().unwrap_or_default(),
                            self.cwd.as_deref(),
                        ),
                        change: if name == "write" { "add" } else { "update" }.into(),
                    }),
                    _ => {}
                }
            }
            Some("step_finish") => {
                let t = &part["tokens"];
                let n = |x: &Value| x.as_u64().unwrap_or(0).min(u32::MAX as u64) as u32;
                self.input = self.input.saturating_add(n(&t["input"]));
                self.output = self
                    .output
                    .saturating_add(n(&t["output"]))
                    .saturating_add(n(&t["reasoning"]));
                self.cached = self.cached.saturating_add(n(&t["cache"]["read"]));
                if let Some(c) = part["cost"].as_f64() {
                    self.cost = Some(self.cost.unwrap_or(0.0) + c);
                }
                out.push(TranscriptItem::Usage {
                    input_tokens: self.input,
                    output_tokens: self.output,
                    cached_tokens: self.cached,
                    cost_usd: self.cost,
                });
            }
            Some("error") => {
                self.failed = true;
                let e = &v["error"];
                let data = &e["data"];
                let message = data["message"]
                    .as_str()
                    .or(e["message"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string());
                out.push(TranscriptItem::Error {
                    message,
                    status: data["statusCode"].as_u64().map(|c| c as u16),
                });
            }
            _ => out.push(TranscriptItem::Raw { line: line.into() }),
        }
    }

    fn finish(&mut self, out: &mut Vec<TranscriptItem>) {
        out.push(TranscriptItem::Finished {
            ok: !self.failed && self.last_text.is_some(),
            result: self.last_text.clone(),
            turns: Some(self.steps).filter(|s| *s > 0),
            duration_ms: None,
        });
    }
}
