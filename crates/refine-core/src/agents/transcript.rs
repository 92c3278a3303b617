//! From a CLI's stdout to the run's transcript: one parser per provider's event stream (a line
//! in, transcript items out), and the bounded collector every run feeds. Parsers never fail: a
//! line they do not understand becomes a `raw` item, a malformed one too.

use refine_model::agents::{AgentProfile, Provider};
use refine_model::transcript::{excerpt, TranscriptItem, Usage};
use serde_json::Value;

mod claude;
mod codex;
mod gemini;
mod opencode;
mod text;

/// Reads one CLI's stdout, line by line.
pub(crate) trait StreamParser: Send {
    fn line(&mut self, line: &str, out: &mut Vec<TranscriptItem>);
    /// The process ended: what is still pending.
    fn finish(&mut self, _out: &mut Vec<TranscriptItem>) {}
    /// Whether the stream says which text is the final answer (plain text does not: the
    /// result block is read from the whole output).
    fn structured(&self) -> bool {
        true
    }
}

/// The parser for a profile: the provider's machine-readable stream when the profile asks for
/// it, else plain text.
pub(crate) fn parser_for(p: &AgentProfile, cwd: &str) -> Box<dyn StreamParser> {
    let args = p
        .args
        .iter()
        .chain(p.resume_args.iter())
        .map(String::as_str);
    let has = |words: &[&str]| {
        let all: Vec<&str> = args.clone().collect();
        all.windows(words.len()).any(|w| w == words) || all.iter().any(|a| *a == words.join("="))
    };
    match p.provider {
        Provider::ClaudeCode if has(&["--output-format", "stream-json"]) => {
            Box::new(claude::Claude::default())
        }
        Provider::Codex if has(&["--json"]) => Box::new(codex::Codex::in_dir(cwd)),
        Provider::Opencode if has(&["--format", "json"]) => {
            Box::new(opencode::Opencode::in_dir(cwd))
        }
        Provider::Gemini if has(&["--output-format", "stream-json"]) => {
            Box::new(gemini::Gemini::default())
        }
        _ => Box::new(text::Text),
    }
}

/// Longest text kept in one item (the raw log keeps everything).
pub(crate) const TEXT_CAP: usize = 16 * 1024;
/// Longest tool output or command output kept in one item.
pub(crate) const OUTPUT_CAP: usize = 4 * 1024;
/// Largest tool input kept whole (bigger ones are kept as a summary).
const INPUT_CAP: usize = 8 * 1024;
/// Items one run keeps (past it only what ends a run: usage, errors, the finish).
pub(crate) const MAX_ITEMS: u32 = 4000;
/// Bytes of items one run keeps.
pub(crate) const MAX_BYTES: usize = 2 * 1024 * 1024;

/// A tool input fit to keep: whole when small, else its start as text.
pub(crate) fn kept_input(v: &Value) -> Value {
    let s = v.to_string();
    if s.len() <= INPUT_CAP {
        v.clone()
    } else {
        Value::String(excerpt(&s, INPUT_CAP))
    }
}

/// What a run's transcript adds up to, for the run record and the completion contract.
#[derive(Debug, Clone, Default)]
pub(crate) struct Summary {
    pub session_id: Option<String>,
    pub model: Option<String>,
    /// The final assistant answer (the result block is read from it).
    pub final_text: Option<String>,
    pub usage: Option<Usage>,
    pub turns: Option<u32>,
    /// Errors as reported: (HTTP status, message).
    pub errors: Vec<(Option<u16>, String)>,
    pub denials: u32,
    pub finished_ok: Option<bool>,
}

/// The run's transcript as it arrives: items to store and send, within the bounds, and the
/// summary so far.
pub(crate) struct Collector {
    parser: Box<dyn StreamParser>,
    pub summary: Summary,
    kept: u32,
    bytes: usize,
    dropped: u32,
    /// The last text item, uncut (the result block may be long).
    last_text: Option<String>,
    /// Sizes (as JSON) of the items kept since [`Collector::take_kept_sizes`] last asked.
    fresh: Vec<usize>,
}

impl Collector {
    pub(crate) fn new(parser: Box<dyn StreamParser>) -> Collector {
        Collector {
            parser,
            summary: Summary::default(),
            kept: 0,
            bytes: 0,
            dropped: 0,
            last_text: None,
            fresh: Vec::new(),
        }
    }

    /// Sizes (as JSON) of the items kept since the last call, in order.
    pub(crate) fn take_kept_sizes(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.fresh)
    }

    /// Feed one stdout line; returns the items to keep.
    pub(crate) fn line(&mut self, line: &str) -> Vec<TranscriptItem> {
        let mut out = Vec::new();
        self.parser.line(line, &mut out);
        self.admit(out)
    }

    /// The process ended.
    pub(crate) fn finish(&mut self) -> Vec<TranscriptItem> {
        let mut out = Vec::new();
        self.parser.finish(&mut out);
        let mut kept = self.admit(out);
        if self.summary.final_text.is_none() && self.parser.structured() {
            self.summary.final_text = self.last_text.clone();
        }
        if self.dropped > 0 {
            kept.push(TranscriptItem::Truncated {
                dropped: self.dropped,
            });
        }
        kept
    }

    fn note(&mut self, item: &TranscriptItem) {
        let s = &mut self.summary;
        match item {
            TranscriptItem::SessionStarted {
                session_id, model, ..
            } => {
                if session_id.is_some() {
                    s.session_id = session_id.clone();
                }
                if model.is_some() {
                    s.model = model.clone();
                }
            }
            // Only a structured stream's last text is its answer (see `finish`).
            TranscriptItem::Text { text } if self.parser.structured() => {
                self.last_text = Some(text.clone())
            }
            TranscriptItem::Error { message, status } => s.errors.push((*status, message.clone())),
            TranscriptItem::PermissionDenied { .. } => s.denials += 1,
            TranscriptItem::Usage {
                input_tokens,
                output_tokens,
                cached_tokens,
                cost_usd,
            } => {
                s.usage = Some(Usage {
                    input_tokens: *input_tokens,
                    output_tokens: *output_tokens,
                    cached_tokens: *cached_tokens,
                    cost_usd: *cost_usd,
                })
            }
            TranscriptItem::Finished {
                ok, result, turns, ..
            } => {
                s.finished_ok = Some(*ok);
                if let Some(r) = result {
                    s.final_text = Some(r.clone());
                }
                s.turns = *turns;
            }
            _ => {}
        }
    }

    fn admit(&mut self, items: Vec<TranscriptItem>) -> Vec<TranscriptItem> {
        let mut kept = Vec::new();
        for item in items {
            self.note(&item);
            let ends_run = matches!(
                item,
                TranscriptItem::Usage { .. }
                    | TranscriptItem::Finished { .. }
                    | TranscriptItem::Error { .. }
                    | TranscriptItem::SessionStarted { .. }
            );
            // Past the bounds, what does not end a run is let go before it costs more.
            if !ends_run && (self.kept >= MAX_ITEMS || self.bytes >= MAX_BYTES) {
                self.dropped += 1;
                continue;
            }
            let item = cap(item);
            let size = serde_json::to_string(&item).map(|s| s.len()).unwrap_or(0);
            if !ends_run && self.bytes + size > MAX_BYTES {
                self.dropped += 1;
                continue;
            }
            self.kept += 1;
            self.bytes += size;
            self.fresh.push(size);
            kept.push(item);
        }
        kept
    }
}

/// Cut an item's texts to what is kept.
fn cap(item: TranscriptItem) -> TranscriptItem {
    match item {
        TranscriptItem::Text { text } => TranscriptItem::Text {
            text: excerpt(&text, TEXT_CAP),
        },
        TranscriptItem::Thinking { text } => TranscriptItem::Thinking {
            text: excerpt(&text, TEXT_CAP),
        },
        TranscriptItem::Raw { line } => TranscriptItem::Raw {
            line: excerpt(&line, OUTPUT_CAP),
        },
        TranscriptItem::Finished {
            ok,
            result,
            turns,
            duration_ms,
        } => TranscriptItem::Finished {
            ok,
            result: result.map(|r| excerpt(&r, TEXT_CAP)),
            turns,
            duration_ms,
        },
        other => other,
    }
}

/// One line a person reads for a tool call: the tool's main argument.
pub(crate) fn tool_summary(name: &str, input: &Value) -> String {
    let pick = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| input.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    let s = match name.to_ascii_lowercase().as_str() {
        "bash" | "shell" | "exec_command" => pick(&["command", "cmd"]),
        "write" | "edit" | "multiedit" | "read" | "notebookedit" => {
            pick(&["file_path", "filePath", "path", "notebook_path"])
        }
        "glob" | "grep" => pick(&["pattern", "path"]),
        "webfetch" | "web_fetch" => pick(&["url"]),
        "websearch" | "web_search" => pick(&["query"]),
        "task" => pick(&["description", "prompt"]),
        _ => None,
    };
    let s = s.unwrap_or_else(|| {
        let mut t = input.to_string();
        if t == "null" || t == "{}" {
            t.clear();
        }
        t
    });
    excerpt(s.lines().next().unwrap_or(""), 160)
}

/// `path` relative to `cwd` when it lies inside it.
pub(crate) fn relative(path: &str, cwd: Option<&str>) -> String {
    match cwd {
        Some(c) if !c.is_empty() => path
            .strip_prefix(c)
            .map(|r| r.trim_start_matches('/').to_string())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| path.to_string()),
        _ => path.to_string(),
    }
}

/// Text of a JSON value that may be a string or a list of `{type:"text", text}` blocks.
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str).or(b.as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An HTTP status named in an error message ("last status: 429", "status 401", "(500)").
pub(crate) fn status_in(message: &str) -> Option<u16> {
    let m = message;
    for marker in ["status: ", "status ", "(", "API Error: ", "Error: "] {
        let mut rest = m;
        while let Some(i) = rest.find(marker) {
            let after = &rest[i + marker.len()..];
            let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.len() == 3 {
                if let Ok(code) = digits.parse::<u16>() {
                    if (400..600).contains(&code) {
                        return Some(code);
                    }
                }
            }
            rest = &rest[i + marker.len()..];
        }
    }
    None
}

#[cfg(test)]
mod tests;
