//! import: turn outside work (Markdown task lists, CSV with a column mapping, GitHub CLI issue
//! JSON, Jira CSV, Refine's own JSON export) into draft Goals and Features. Preview stores
//! nothing; commit is idempotent and re-importing updates instead of duplicating (by external
//! reference). Also: the Jira-compatible CSV export.

use crate::events::kind;
use std::collections::HashMap;

use refine_model::work::{ExternalRef, Feature, Goal};
use refine_model::workflow::WorkflowState;
use refine_model::{ApiError, OperationReceipt};
use refine_store::features::{self as ftable, FeatureRow};
use refine_store::goals as gtable;
use refine_store::rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specta::Type;

use crate::work::{insert_goal, join_feature, CreateGoalInput};
use crate::{clock, new_id, Change, Core, Ctx, Mutated};

/// Largest import accepted (bytes of content).
pub const MAX_CONTENT: usize = 16 * 1024 * 1024;
/// Rows per transaction when committing.
const BATCH: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// Headings → Features, `- [ ]` items → Goals, indented text → prompt.
    Markdown,
    /// A header row and a column mapping.
    Csv,
    /// `gh issue list --json number,title,body,labels,state,url`
    Github,
    /// Jira's CSV export.
    Jira,
    /// Refine's own JSON export (lossless).
    Refine,
}

/// Which CSV column holds what (names as in the header row; matching ignores case).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CsvMapping {
    pub title: String,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Comma- or semicolon-separated labels.
    #[serde(default)]
    pub labels: Option<String>,
    /// An integer, or Highest/High/Medium/Low/Lowest.
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub feature: Option<String>,
    /// A stable id per row: re-imports update instead of duplicating.
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
}

/// Outside work to turn into Goals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub format: ImportFormat,
    /// The file's text.
    pub content: String,
    /// For `csv`: which column is what (default: guessed from the header names).
    #[serde(default)]
    pub mapping: Option<CsvMapping>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DraftAction {
    Create,
    Update,
    Unchanged,
}

/// One Goal as the import would write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalDraft {
    /// Line (Markdown, CSV) or item (JSON) number in the source, from 1.
    pub row: u32,
    pub title: String,
    pub prompt: String,
    pub notes: String,
    pub labels: Vec<String>,
    pub priority: i32,
    pub status: WorkflowState,
    pub feature: Option<String>,
    pub assignee: Option<String>,
    pub external: ExternalRef,
    pub action: DraftAction,
    /// The existing Goal this draft updates.
    pub goal_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    pub row: u32,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureDraft {
    pub name: String,
    pub goals: u32,
    /// Not there yet: the import creates it.
    pub new: bool,
}

/// What an import would do; nothing is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    pub features: Vec<FeatureDraft>,
    pub goals: Vec<GoalDraft>,
    pub errors: Vec<RowError>,
    pub create: u32,
    pub update: u32,
    pub unchanged: u32,
}

/// What a committed import did (the operation's result).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub features_created: u32,
    pub errors: Vec<RowError>,
}

/// A parsed row before it is compared with what exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub row: u32,
    pub title: String,
    pub prompt: String,
    pub notes: String,
    pub labels: Vec<String>,
    pub priority: i32,
    pub status: WorkflowState,
    pub feature: Option<String>,
    pub assignee: Option<String>,
    pub external: ExternalRef,
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn split_labels(s: &str) -> Vec<String> {
    s.split([',', ';'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Priority from a number or a Jira-style word.
fn priority_of(s: &str) -> Result<i32, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0);
    }
    if let Ok(n) = t.parse::<i32>() {
        return Ok(n);
    }
    match t.to_lowercase().as_str() {
        "highest" | "blocker" | "critical" | "urgent" => Ok(2),
        "high" | "major" => Ok(1),
        "medium" | "normal" => Ok(0),
        "low" | "minor" => Ok(-1),
        "lowest" | "trivial" => Ok(-2),
        _ => Err(format!(
            "priority {t:?} is neither a number nor Highest/High/Medium/Low/Lowest"
        )),
    }
}

/// Status words of trackers, mapped to where an imported Goal may start.
fn status_of(s: &str) -> Result<WorkflowState, String> {
    let t = s.trim().to_lowercase();
    Ok(match t.as_str() {
        "" | "backlog" | "open" | "new" => WorkflowState::Backlog,
        "todo" | "to do" | "selected for development" | "ready" | "in progress" | "reopened" => WorkflowState::Todo,
        "done" | "closed" | "resolved" | "completed" | "fixed" => WorkflowState::Done,
        "cancelled" | "canceled" | "won't do" | "won't fix" | "wontfix" | "rejected" => WorkflowState::Cancelled,
        other => return Err(format!("status {other:?} is not one of backlog, todo, done, cancelled (or a tracker's word for them)")),
    })
}

/// Markdown task lists: headings are Features, `- [ ]`/`- [x]` items are Goals, indented lines
/// under an item are its prompt.
pub fn parse_markdown(text: &str) -> (Vec<Parsed>, Vec<RowError>) {
    let mut out: Vec<Parsed> = Vec::new();
    let mut errors = Vec::new();
    let mut feature: Option<String> = None;
    let mut current: Option<usize> = None;
    let mut item_indent = 0usize;
    for (i, line) in text.lines().enumerate() {
        let row = i as u32 + 1;
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(h) = trimmed.strip_prefix('#') {
            let name = h.trim_start_matches('#').trim();
            feature = (!name.is_empty()).then(|| name.to_string());
            current = None;
            continue;
        }
        let task = [
            "- [ ]", "- [x]", "- [X]", "* [ ]", "* [x]", "* [X]", "+ [ ]", "+ [x]",
        ]
        .iter()
        .find_map(|p| {
            trimmed
                .strip_prefix(p)
                .map(|rest| (p.contains('x') || p.contains('X'), rest))
        });
        if let Some((done, rest)) = task {
            if let Some(idx) = current.filter(|_| indent > item_indent) {
                // A nested task belongs to the prompt of its parent.
                out[idx].prompt.push_str(trimmed);
                out[idx].prompt.push('\n');
                continue;
            }
            let title = rest.trim();
            if title.is_empty() {
                errors.push(RowError {
                    row,
                    message: "a task item without a title".into(),
                });
                current = None;
                continue;
            }
            let key = format!(
                "{}/{}",
                feature.as_deref().map(slug).unwrap_or_default(),
                slug(title)
            );
            out.push(Parsed {
                row,
                title: title.to_string(),
                prompt: String::new(),
                notes: String::new(),
                labels: Vec::new(),
                priority: 0,
                status: if done {
                    WorkflowState::Done
                } else {
                    WorkflowState::Todo
                },
                feature: feature.clone(),
                assignee: None,
                external: ExternalRef {
                    source: "markdown".into(),
                    id: key,
                    url: None,
                },
            });
            current = Some(out.len() - 1);
            item_indent = indent;
            continue;
        }
        match current {
            Some(idx) if indent > item_indent && !trimmed.is_empty() => {
                out[idx].prompt.push_str(trimmed);
                out[idx].prompt.push('\n');
            }
            Some(idx) if trimmed.is_empty() => {
                if !out[idx].prompt.is_empty() {
                    out[idx].prompt.push('\n');
                }
            }
            _ => current = None,
        }
    }
    for p in &mut out {
        p.prompt = p.prompt.trim_end().to_string();
    }
    // The same task twice under one heading would collide on its key.
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut keep = Vec::new();
    for p in out {
        if let Some(first) = seen.get(&p.external.id) {
            errors.push(RowError {
                row: p.row,
                message: format!("the same task as line {first}; rename one of them"),
            });
        } else {
            seen.insert(p.external.id.clone(), p.row);
            keep.push(p);
        }
    }
    (keep, errors)
}

fn header_index(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
}

fn guess_mapping(headers: &csv::StringRecord) -> Option<CsvMapping> {
    let find = |names: &[&str]| {
        headers
            .iter()
            .find(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
            .map(|h| h.trim().to_string())
    };
    Some(CsvMapping {
        title: find(&["title", "summary", "name", "goal"])?,
        prompt: find(&["prompt", "description", "body", "details"]),
        notes: find(&["notes", "comment", "comments"]),
        labels: find(&["labels", "tags", "label"]),
        priority: find(&["priority"]),
        status: find(&["status", "state"]),
        feature: find(&["feature", "epic", "group", "milestone"]),
        external_id: find(&["id", "key", "issue key", "external id"]),
        assignee: find(&["assignee", "owner"]),
    })
}

/// CSV with a header row and a mapping (guessed from header names when absent).
pub fn parse_csv(
    text: &str,
    mapping: Option<&CsvMapping>,
) -> Result<(Vec<Parsed>, Vec<RowError>), ApiError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::invalid(format!("the CSV has no readable header row: {e}")))?
        .clone();
    let mapping = match mapping {
        Some(m) => m.clone(),
        None => guess_mapping(&headers).ok_or_else(|| {
            ApiError::invalid(
                "no Title/Summary column found; give a mapping naming the title column",
            )
        })?,
    };
    let col = |name: &Option<String>, what: &str| -> Result<Option<usize>, ApiError> {
        match name {
            None => Ok(None),
            Some(n) => header_index(&headers, n).map(Some).ok_or_else(|| {
                ApiError::invalid(format!(
                    "the mapping's {what} column {n:?} is not in the header row"
                ))
            }),
        }
    };
    let title = col(&Some(mapping.title.clone()), "title")?.expect("some");
    let prompt = col(&mapping.prompt, "prompt")?;
    let notes = col(&mapping.notes, "notes")?;
    let labels = col(&mapping.labels, "labels")?;
    let priority = col(&mapping.priority, "priority")?;
    let status = col(&mapping.status, "status")?;
    let feature = col(&mapping.feature, "feature")?;
    let ext = col(&mapping.external_id, "externalId")?;
    let assignee = col(&mapping.assignee, "assignee")?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u32 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).unwrap_or("");
        let t = get(Some(title));
        if t.is_empty() {
            errors.push(RowError {
                row,
                message: "the title is empty".into(),
            });
            continue;
        }
        let p = match priority_of(get(priority)) {
            Ok(p) => p,
            Err(m) => {
                errors.push(RowError { row, message: m });
                continue;
            }
        };
        let s = match status_of(get(status)) {
            Ok(s) => s,
            Err(m) => {
                errors.push(RowError { row, message: m });
                continue;
            }
        };
        let ext_id = match get(ext) {
            "" => format!("{}/{}", slug(get(feature)), slug(t)),
            id => id.to_string(),
        };
        out.push(Parsed {
            row,
            title: t.to_string(),
            prompt: get(prompt).to_string(),
            notes: get(notes).to_string(),
            labels: split_labels(get(labels)),
            priority: p,
            status: s,
            feature: Some(get(feature).to_string()).filter(|f| !f.is_empty()),
            assignee: Some(get(assignee).to_string()).filter(|a| !a.is_empty()),
            external: ExternalRef {
                source: "csv".into(),
                id: ext_id,
                url: None,
            },
        });
    }
    Ok((out, errors))
}

/// Jira's CSV export: Summary, Issue key, Description, Priority, Status, repeated Labels
/// columns, and the epic (Epic Link / Parent summary / Epic Name) as the Feature.
pub fn parse_jira(text: &str) -> Result<(Vec<Parsed>, Vec<RowError>), ApiError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::invalid(format!("the CSV has no readable header row: {e}")))?
        .clone();
    let summary = header_index(&headers, "Summary").ok_or_else(|| {
        ApiError::invalid("a Jira export has a Summary column; this one has none")
    })?;
    let key = header_index(&headers, "Issue key").or_else(|| header_index(&headers, "Issue id"));
    let description = header_index(&headers, "Description");
    let priority = header_index(&headers, "Priority");
    let status = header_index(&headers, "Status");
    let assignee = header_index(&headers, "Assignee");
    let epic = [
        "Epic Link Summary",
        "Parent summary",
        "Epic Name",
        "Epic Link",
        "Parent",
    ]
    .iter()
    .find_map(|h| header_index(&headers, h));
    let label_cols: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.trim().eq_ignore_ascii_case("Labels"))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u32 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).unwrap_or("");
        let t = get(Some(summary));
        if t.is_empty() {
            errors.push(RowError {
                row,
                message: "the Summary is empty".into(),
            });
            continue;
        }
        let k = get(key);
        if k.is_empty() {
            errors.push(RowError {
                row,
                message: "the Issue key is empty".into(),
            });
            continue;
        }
        let (p, s) = match (priority_of(get(priority)), status_of(get(status))) {
            (Ok(p), Ok(s)) => (p, s),
            (Err(m), _) | (_, Err(m)) => {
                errors.push(RowError { row, message: m });
                continue;
            }
        };
        let mut labels = Vec::new();
        for c in &label_cols {
            labels.extend(split_labels(get(Some(*c))));
        }
        out.push(Parsed {
            row,
            title: t.to_string(),
            prompt: get(description).to_string(),
            notes: String::new(),
            labels,
            priority: p,
            status: s,
            feature: Some(get(epic).to_string()).filter(|f| !f.is_empty()),
            assignee: Some(get(assignee).to_string()).filter(|a| !a.is_empty()),
            external: ExternalRef {
                source: "jira".into(),
                id: k.to_string(),
                url: None,
            },
        });
    }
    Ok((out, errors))
}

/// The GitHub CLI's `gh issue list --json number,title,body,labels,state,url` output.
pub fn parse_github(text: &str) -> Result<(Vec<Parsed>, Vec<RowError>), ApiError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| ApiError::invalid(format!("not JSON: {e}")))?;
    let items = v.as_array().ok_or_else(|| {
        ApiError::invalid("expected a JSON array of issues (gh issue list --json …)")
    })?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let row = i as u32 + 1;
        let Some(number) = it.get("number").and_then(Value::as_u64) else {
            errors.push(RowError {
                row,
                message: "an issue without a number".into(),
            });
            continue;
        };
        let title = it.get("title").and_then(Value::as_str).unwrap_or("").trim();
        if title.is_empty() {
            errors.push(RowError {
                row,
                message: format!("issue #{number} has no title"),
            });
            continue;
        }
        let labels = it
            .get("labels")
            .and_then(Value::as_array)
            .map(|ls| {
                ls.iter()
                    .filter_map(|l| l.get("name").and_then(Value::as_str).or_else(|| l.as_str()))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let state = it.get("state").and_then(Value::as_str).unwrap_or("OPEN");
        let status = if state.eq_ignore_ascii_case("closed") {
            WorkflowState::Done
        } else {
            WorkflowState::Backlog
        };
        let feature = it
            .get("milestone")
            .and_then(|m| {
                m.get("title")
                    .and_then(Value::as_str)
                    .or_else(|| m.as_str())
            })
            .map(str::to_string);
        out.push(Parsed {
            row,
            title: title.to_string(),
            prompt: it
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            notes: String::new(),
            labels,
            priority: 0,
            status,
            feature,
            assignee: None,
            external: ExternalRef {
                source: "github".into(),
                id: number.to_string(),
                url: it.get("url").and_then(Value::as_str).map(str::to_string),
            },
        });
    }
    Ok((out, errors))
}

/// Refine's own JSON export, read back losslessly.
pub fn parse_refine(text: &str) -> Result<(Vec<Parsed>, Vec<RowError>), ApiError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| ApiError::invalid(format!("not JSON: {e}")))?;
    if v.get("format").and_then(Value::as_str) != Some("refine-work") {
        return Err(ApiError::invalid(
            "not a Refine export (format \"refine-work\" expected)",
        ));
    }
    let goals = v
        .get("goals")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, g) in goals.into_iter().enumerate() {
        let row = i as u32 + 1;
        match serde_json::from_value::<Goal>(g) {
            Ok(g) => out.push(Parsed {
                row,
                external: g.external.clone().unwrap_or(ExternalRef {
                    source: "refine".into(),
                    id: g.id.clone(),
                    url: None,
                }),
                title: g.title,
                prompt: g.prompt,
                notes: g.notes,
                labels: g.labels,
                priority: g.priority,
                // Work in flight comes back queued: the importing daemon runs its own workflow.
                status: match g.status {
                    s @ (WorkflowState::Backlog
                    | WorkflowState::Done
                    | WorkflowState::Cancelled) => s,
                    _ => WorkflowState::Todo,
                },
                feature: g.feature_name,
                assignee: g.assignee,
            }),
            Err(e) => errors.push(RowError {
                row,
                message: format!("not a Goal: {e}"),
            }),
        }
    }
    Ok((out, errors))
}

fn parse(input: &ImportInput) -> Result<(Vec<Parsed>, Vec<RowError>), ApiError> {
    if input.content.len() > MAX_CONTENT {
        return Err(ApiError::new(
            refine_model::ErrorCode::PayloadTooLarge,
            "imports are limited to 16 MiB of text",
        ));
    }
    if input.content.contains('\0') {
        return Err(ApiError::invalid(
            "the content must be text (it has NUL bytes)",
        ));
    }
    if input.mapping.is_some() && input.format != ImportFormat::Csv {
        return Err(ApiError::invalid("a mapping only goes with format \"csv\""));
    }
    let (mut rows, mut errors) = match input.format {
        ImportFormat::Markdown => parse_markdown(&input.content),
        ImportFormat::Csv => parse_csv(&input.content, input.mapping.as_ref())?,
        ImportFormat::Github => parse_github(&input.content)?,
        ImportFormat::Jira => parse_jira(&input.content)?,
        ImportFormat::Refine => parse_refine(&input.content)?,
    };
    // Validate what the store would refuse, per row.
    rows.retain(|p| {
        let check = crate::wire::name("title", &p.title, 300)
            .and_then(|_| crate::wire::text("prompt", &p.prompt, 100_000, true))
            .and_then(|_| crate::wire::labels(&p.labels).map(|_| ()))
            .and_then(|_| {
                p.feature
                    .as_deref()
                    .map(|f| crate::wire::name("feature", f, 200).map(|_| ()))
                    .unwrap_or(Ok(()))
            });
        match check {
            Ok(()) => true,
            Err(e) => {
                errors.push(RowError {
                    row: p.row,
                    message: e.message,
                });
                false
            }
        }
    });
    if rows.is_empty() && errors.is_empty() {
        return Err(ApiError::invalid(
            "nothing to import: no Goals found in the content",
        ));
    }
    errors.sort_by_key(|e| e.row);
    Ok((rows, errors))
}

fn differs(g: &Goal, p: &Parsed) -> bool {
    g.title != p.title
        || g.prompt != p.prompt
        || g.labels != p.labels
        || g.priority != p.priority
        || g.feature_name != p.feature
        || (matches!(g.status, WorkflowState::Backlog | WorkflowState::Todo)
            && g.status != p.status)
}

fn preview_with(
    conn: &Connection,
    app: &str,
    rows: Vec<Parsed>,
    errors: Vec<RowError>,
) -> Result<ImportPreview, ApiError> {
    let mut goals = Vec::new();
    let mut features: Vec<FeatureDraft> = Vec::new();
    for p in rows {
        let existing = gtable::find_external(conn, app, &p.external.source, &p.external.id)?;
        let (action, goal_id) = match &existing {
            None => (DraftAction::Create, None),
            Some(g) if differs(g, &p) => (DraftAction::Update, Some(g.id.clone())),
            Some(g) => (DraftAction::Unchanged, Some(g.id.clone())),
        };
        if let Some(f) = &p.feature {
            match features.iter_mut().find(|d| &d.name == f) {
                Some(d) => d.goals += 1,
                None => features.push(FeatureDraft {
                    name: f.clone(),
                    goals: 1,
                    new: ftable::find_by_name(conn, app, f)?.is_none(),
                }),
            }
        }
        goals.push(GoalDraft {
            row: p.row,
            title: p.title,
            prompt: p.prompt,
            notes: p.notes,
            labels: p.labels,
            priority: p.priority,
            status: p.status,
            feature: p.feature,
            assignee: p.assignee,
            external: p.external,
            action,
            goal_id,
        });
    }
    let count = |a| goals.iter().filter(|g| g.action == a).count() as u32;
    Ok(ImportPreview {
        create: count(DraftAction::Create),
        update: count(DraftAction::Update),
        unchanged: count(DraftAction::Unchanged),
        features,
        goals,
        errors,
    })
}

/// Write one batch of drafts in a transaction.
fn apply_batch(
    conn: &Connection,
    ctx: &Ctx,
    app: &str,
    node: &str,
    drafts: &[GoalDraft],
    summary: &mut ImportSummary,
    mut numbers: Option<u32>,
) -> Result<(), ApiError> {
    let at = clock::now();
    // A Feature is looked up once a batch (a lookup builds its whole Goal list).
    let mut known: std::collections::HashMap<String, Feature> = Default::default();
    for d in drafts {
        let feature = match &d.feature {
            None => None,
            Some(name) if known.contains_key(name) => known.get(name).cloned(),
            Some(name) => Some(match ftable::find_by_name(conn, app, name)? {
                Some(f) => f,
                None => {
                    let row = FeatureRow {
                        id: new_id(),
                        app_id: app.to_string(),
                        name: name.clone(),
                        description: String::new(),
                        created_at: at.clone(),
                        updated_at: at.clone(),
                    };
                    ftable::insert(conn, &row)?;
                    summary.features_created += 1;
                    ftable::get(conn, &row.id)?
                        .ok_or_else(|| ApiError::internal("feature vanished"))?
                }
            }),
        };
        if let (Some(name), Some(f)) = (&d.feature, &feature) {
            known.entry(name.clone()).or_insert_with(|| f.clone());
        }
        match gtable::find_external(conn, app, &d.external.source, &d.external.id)? {
            None => {
                let input = CreateGoalInput {
                    app_id: Some(app.to_string()),
                    title: d.title.clone(),
                    prompt: Some(d.prompt.clone()),
                    notes: Some(d.notes.clone()),
                    status: Some(d.status),
                    priority: Some(d.priority),
                    assignee: d.assignee.clone(),
                    feature_id: feature.as_ref().map(|f| f.id.clone()),
                    labels: Some(d.labels.clone()),
                    external: Some(d.external.clone()),
                    reporter_id: None,
                    candidates: None,
                };
                // A shared app's numbers were taken from the cluster for this batch.
                let number = numbers;
                numbers = numbers.map(|n| n + 1);
                insert_goal(conn, ctx, app, node, &input, &at, number)?;
                summary.created += 1;
            }
            Some(mut g) => {
                let parsed = Parsed {
                    row: d.row,
                    title: d.title.clone(),
                    prompt: d.prompt.clone(),
                    notes: d.notes.clone(),
                    labels: d.labels.clone(),
                    priority: d.priority,
                    status: d.status,
                    feature: d.feature.clone(),
                    assignee: d.assignee.clone(),
                    external: d.external.clone(),
                };
                if !differs(&g, &parsed) {
                    summary.unchanged += 1;
                    continue;
                }
                g.title = d.title.clone();
                g.prompt = d.prompt.clone();
                g.labels = d.labels.clone();
                g.priority = d.priority;
                g.updated_at = at.clone();
                if matches!(g.status, WorkflowState::Backlog | WorkflowState::Todo)
                    && g.status != d.status
                {
                    let from = g.status;
                    g.status = d.status;
                    gtable::record_transition(conn, &g, Some(from), d.status, &at, &ctx.actor)?;
                }
                gtable::update(conn, &g)?;
                match &feature {
                    Some(f) if g.feature_id.as_deref() != Some(f.id.as_str()) => {
                        join_feature(conn, &mut g, f.into(), None, &at)?
                    }
                    _ => {}
                }
                summary.updated += 1;
            }
        }
    }
    Ok(())
}

impl Core {
    /// `import.preview`: drafts and per-row errors; stores nothing.
    pub async fn import_preview(
        &self,
        ctx: &Ctx,
        input: ImportInput,
    ) -> Result<ImportPreview, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        let (rows, errors) = parse(&input)?;
        self.read(move |c| Ok(preview_with(c, &app, rows, errors)))
            .await?
    }

    /// `import.commit`: a long-running operation (progress per batch); idempotent with a key,
    /// and re-imports update by external reference.
    pub async fn import_commit(
        &self,
        ctx: &Ctx,
        input: ImportInput,
    ) -> Result<Mutated<OperationReceipt>, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        let (rows, errors) = parse(&input)?;
        let n = rows.len();
        let change =
            Change::new(format!("Import of {n} row(s) ({:?})", input.format).to_lowercase())
                .app(Some(app.clone()));
        let core = self.clone();
        let ctx2 = ctx.clone();
        let node = self.node_id().to_string();
        self.start_operation(ctx, &input, change, move |handle| async move {
            let app2 = app.clone();
            let preview = core
                .read(move |c| Ok(preview_with(c, &app2, rows, errors)))
                .await??;
            let mut summary = ImportSummary {
                created: 0,
                updated: 0,
                unchanged: 0,
                features_created: 0,
                errors: preview.errors.clone(),
            };
            let total = preview.goals.len().max(1);
            for (i, chunk) in preview.goals.chunks(BATCH).enumerate() {
                if handle.is_cancelled() {
                    return Err(crate::pipeline::OperationHandle::cancelled_error());
                }
                let chunk = chunk.to_vec();
                let creates = chunk
                    .iter()
                    .filter(|g| g.action == DraftAction::Create)
                    .count() as u32;
                let numbers = if creates > 0 {
                    core.cluster_numbers(&app, creates).await?
                } else {
                    None
                };
                let (app3, node3, ctx3, mut s) =
                    (app.clone(), node.clone(), ctx2.clone(), summary.clone());
                let done = ((i + 1) * BATCH).min(total);
                let h = handle.clone();
                summary = core
                    .blocking(move |core| {
                        core.store().write(|tx| {
                            apply_batch(tx, &ctx3, &app3, &node3, &chunk, &mut s, numbers)?;
                            // Progress commits with the rows it counts.
                            h.progress_in(
                                tx,
                                (done * 100 / total) as u32,
                                &format!("{done} of {total} rows"),
                            )?;
                            Ok::<_, ApiError>(s)
                        })
                    })
                    .await?;
                handle.announce().await;
            }
            core.bus()
                .publish(kind::WORK_IMPORTED, Some(app.clone()), &summary);
            Ok(serde_json::to_value(&summary).unwrap_or_default())
        })
        .await
    }
}

fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn jira_priority(p: i32) -> &'static str {
    match p {
        i32::MIN..=-2 => "Lowest",
        -1 => "Low",
        0 => "Medium",
        1 => "High",
        _ => "Highest",
    }
}

fn jira_status(s: WorkflowState) -> &'static str {
    match s {
        WorkflowState::Backlog => "Backlog",
        WorkflowState::Todo => "To Do",
        WorkflowState::Review => "In Review",
        WorkflowState::Done => "Done",
        WorkflowState::Cancelled => "Won't Do",
        WorkflowState::Failed => "Blocked",
        _ => "In Progress",
    }
}

/// Goals as a Jira-compatible CSV (repeated `Labels` columns, as Jira writes them).
pub fn jira_csv(goals: &[Goal]) -> String {
    let label_cols = goals
        .iter()
        .map(|g| g.labels.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut header = vec![
        "Issue key",
        "Summary",
        "Description",
        "Issue Type",
        "Status",
        "Priority",
    ];
    header.extend(std::iter::repeat_n("Labels", label_cols));
    header.extend(["Assignee", "Reporter", "Created", "Updated", "Epic Name"]);
    let mut out = header.join(",") + "\n";
    for g in goals {
        let key = g
            .external
            .as_ref()
            .filter(|e| e.source == "jira")
            .map(|e| e.id.clone())
            .unwrap_or(format!("REF-{}", g.number));
        let mut cells = vec![
            key,
            g.title.clone(),
            g.prompt.clone(),
            "Task".to_string(),
            jira_status(g.status).to_string(),
            jira_priority(g.priority).to_string(),
        ];
        for i in 0..label_cols {
            cells.push(g.labels.get(i).cloned().unwrap_or_default());
        }
        cells.extend([
            g.assignee.clone().unwrap_or_default(),
            g.reporter_name.clone().unwrap_or_default(),
            g.created_at.clone(),
            g.updated_at.clone(),
            g.feature_name.clone().unwrap_or_default(),
        ]);
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_escape(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_headings_tasks_and_prompts() {
        let md = "# Checkout\n- [ ] Add coupon field\n  The cart page has no coupon input.\n  It should validate codes.\n- [x] Fix rounding\n\n## Search\n* [ ] Fuzzy search\n  - [ ] nested step\n- [ ]   \n- [ ] Add coupon field\n";
        let (rows, errors) = parse_markdown(md);
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(rows[0].feature.as_deref(), Some("Checkout"));
        assert_eq!(
            rows[0].prompt,
            "The cart page has no coupon input.\nIt should validate codes."
        );
        assert_eq!(rows[1].status, WorkflowState::Done);
        assert_eq!(rows[2].feature.as_deref(), Some("Search"));
        assert!(rows[2].prompt.contains("nested step"));
        assert_eq!(rows[3].feature.as_deref(), Some("Search"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].row, 10);
        // The second "Add coupon field" is under Search, so it is a different task.
        let (rows2, _) = parse_markdown("# A\n- [ ] x\n- [ ] x\n");
        assert_eq!(rows2.len(), 1);
    }

    #[test]
    fn csv_with_guessed_and_explicit_mapping() {
        let csv = "Title,Body,Tags,Priority,State,Epic,ID\nLogin,Add SSO,\"auth, sso\",High,todo,Accounts,A-1\n,empty title,,,,,A-2\nBad,x,,urgentish,,,A-3\nOdd,x,,,limbo,,A-4\n";
        let (rows, errors) = parse_csv(csv, None).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].labels, vec!["auth", "sso"]);
        assert_eq!(rows[0].priority, 1);
        assert_eq!(rows[0].status, WorkflowState::Todo);
        assert_eq!(rows[0].feature.as_deref(), Some("Accounts"));
        assert_eq!(rows[0].external.id, "A-1");
        assert_eq!(
            errors.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        let m = CsvMapping {
            title: "Body".into(),
            ..Default::default()
        };
        let (rows, _) = parse_csv(csv, Some(&m)).unwrap();
        assert_eq!(rows[0].title, "Add SSO");
        let bad = CsvMapping {
            title: "Nope".into(),
            ..Default::default()
        };
        assert!(parse_csv(csv, Some(&bad))
            .unwrap_err()
            .message
            .contains("Nope"));
    }

    #[test]
    fn github_and_jira_shapes() {
        let gh = r#"[{"number":12,"title":"Crash on save","body":"Steps…","labels":[{"name":"bug"}],"state":"OPEN","url":"https://example.test/12"},
                     {"number":13,"title":"","body":"","labels":[],"state":"CLOSED","url":""},
                     {"title":"no number"}]"#;
        let (rows, errors) = parse_github(gh).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].external.id, "12");
        assert_eq!(rows[0].labels, vec!["bug"]);
        assert_eq!(errors.len(), 2);
        assert!(parse_github("{\"not\":\"array\"}").is_err());
        let jira = "Summary,Issue key,Description,Priority,Status,Labels,Labels,Epic Link Summary\nPay,PAY-1,Stripe,Highest,To Do,billing,q3,Payments\nNo key,,x,,,,,\n";
        let (rows, errors) = parse_jira(jira).unwrap();
        assert_eq!(rows[0].labels, vec!["billing", "q3"]);
        assert_eq!(rows[0].priority, 2);
        assert_eq!(rows[0].feature.as_deref(), Some("Payments"));
        assert_eq!(errors[0].row, 3);
    }

    #[test]
    fn jira_export_round_trips_through_the_jira_parser() {
        let g = Goal {
            id: "x".into(),
            app_id: "a".into(),
            number: 7,
            title: "Quote \"this\", please".into(),
            prompt: "line one\nline two".into(),
            notes: String::new(),
            status: WorkflowState::Todo,
            priority: 1,
            reporter_id: None,
            reporter_name: None,
            assignee: None,
            feature_id: None,
            feature_name: Some("Epic".into()),
            position: None,
            node_id: "n".into(),
            labels: vec!["a".into(), "b".into()],
            external: None,
            created_at: "t".into(),
            updated_at: "t".into(),
            deleted_at: None,
            candidates: None,
            pinned_node: None,
            rounds: vec![],
        };
        let csv = jira_csv(&[g]);
        let (rows, errors) = parse_jira(&csv).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].title, "Quote \"this\", please");
        assert_eq!(rows[0].prompt, "line one\nline two");
        assert_eq!(rows[0].labels, vec!["a", "b"]);
        assert_eq!(rows[0].external.id, "REF-7");
        assert_eq!(rows[0].feature.as_deref(), Some("Epic"));
    }
}
