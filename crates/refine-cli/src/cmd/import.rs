//! `refine import FILE`: Goals from Markdown, CSV, GitHub issue JSON, Jira CSV or a Refine
//! export. A preview always comes first; the import itself is a long-running operation.

use std::path::Path;

use clap::Args;
use refine_api::ops::import;
use refine_client::CliError;
use refine_core::import::{CsvMapping, ImportFormat, ImportInput, ImportPreview, ImportSummary};
use refine_model::OperationStatus;

use super::{read_text, wait, wire_enum, Commands, Run};
use crate::render::{opt, wire, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file (`-` = standard input).
    file: String,
    /// The file's format (default: guessed from its name and content).
    #[arg(long, value_parser = wire_enum::<ImportFormat>())]
    format: Option<ImportFormat>,
    /// CSV column mapping, e.g. --map title=Summary --map labels=Tags.
    #[arg(long)]
    map: Vec<String>,
    /// Preview only: show what would happen, store nothing.
    #[arg(long)]
    dry_run: bool,
}

pub const COMMANDS: Commands = &[(
    "",
    &[
        import::PREVIEW.name,
        import::COMMIT.name,
        refine_api::ops::operations::GET.name,
    ],
)];

/// Rows of the preview table a person sees (the JSON has them all).
const SHOWN: usize = 30;

fn guess_format(path: &str, content: &str) -> ImportFormat {
    let lower = path.to_lowercase();
    if lower.ends_with(".json") {
        if content.contains("\"refine-work\"") {
            ImportFormat::Refine
        } else {
            ImportFormat::Github
        }
    } else if lower.ends_with(".csv") {
        let jira = content
            .lines()
            .next()
            .is_some_and(|h| h.contains("Issue key") && h.contains("Summary"));
        if jira {
            ImportFormat::Jira
        } else {
            ImportFormat::Csv
        }
    } else {
        ImportFormat::Markdown
    }
}

/// `--map field=Column …` as the typed CSV mapping.
fn mapping(map: &[String]) -> Result<Option<CsvMapping>> {
    if map.is_empty() {
        return Ok(None);
    }
    let mut m = CsvMapping::default();
    for kv in map {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--map takes field=Column, got {kv:?}")))?;
        let v = v.trim().to_string();
        match k.trim() {
            "title" => m.title = v,
            "prompt" => m.prompt = Some(v),
            "notes" => m.notes = Some(v),
            "labels" => m.labels = Some(v),
            "priority" => m.priority = Some(v),
            "status" => m.status = Some(v),
            "feature" => m.feature = Some(v),
            "externalId" | "external_id" => m.external_id = Some(v),
            "assignee" => m.assignee = Some(v),
            other => {
                return Err(CliError::Usage(format!(
                    "--map: no field {other:?}; fields: title, prompt, notes, labels, priority, status, feature, externalId, assignee"
                )))
            }
        }
    }
    if m.title.is_empty() {
        return Err(CliError::Usage(
            "--map needs the title column too, e.g. --map title=Summary".into(),
        ));
    }
    Ok(Some(m))
}

pub async fn run(r: &Run<'_>, a: &ImportArgs) -> Result {
    let c = r.c;
    let content = read_text(&a.file)?;
    let format = a.format.unwrap_or_else(|| guess_format(&a.file, &content));
    let input = ImportInput {
        app_id: None,
        format,
        content,
        mapping: mapping(&a.map)?,
    };
    let preview = c.run(import::PREVIEW, &input).await?;
    if a.dry_run || !r.out.is_json() {
        let name = Path::new(&a.file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        r.out.show(&Plan {
            name,
            format,
            preview,
        })?;
    }
    if a.dry_run {
        return Ok(());
    }
    let receipt = c.run(import::COMMIT, &input).await?;
    let done = wait(r, receipt).await?;
    if r.out.is_json() {
        r.out.json(&done)?;
    } else if let Some(s) = done
        .result
        .clone()
        .and_then(|v| serde_json::from_value::<ImportSummary>(v).ok())
    {
        let mut p = Printer::new(r.out.color);
        s.render(&mut p);
        p.flush();
    }
    if done.status != OperationStatus::Succeeded {
        let msg = done.error.map_or_else(
            || format!("the import {}", wire(&done.status)),
            |e| e.message,
        );
        return Err(CliError::Api(refine_model::ApiError::unavailable(msg)));
    }
    Ok(())
}

/// The preview of one file: what it would create, update and leave, and the rows it cannot
/// read. Its JSON is the operation's preview exactly.
pub struct Plan {
    pub name: String,
    pub format: ImportFormat,
    pub preview: ImportPreview,
}

impl serde::Serialize for Plan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.preview.serialize(s)
    }
}

impl Render for Plan {
    fn render(&self, p: &mut Printer) {
        let v = &self.preview;
        p.line(format!(
            "{} ({}): {} to create, {} to update, {} unchanged, {} error(s)",
            self.name,
            wire(&self.format),
            v.create,
            v.update,
            v.unchanged,
            v.errors.len()
        ));
        for e in &v.errors {
            p.toned(format!("  row {}: {}", e.row, e.message), Tone::Bad);
        }
        let rows = v
            .goals
            .iter()
            .take(SHOWN)
            .map(|g| {
                vec![
                    Cell::from(g.row),
                    Cell::from(wire(&g.action)),
                    Cell::from(wire(&g.status)),
                    Cell::from(opt(&g.feature)),
                    Cell::from(&g.title),
                ]
            })
            .collect();
        p.table(&["row", "action", "status", "feature", "title"], rows);
        if v.goals.len() > SHOWN {
            p.toned(
                format!("… and {} more (--json shows all)", v.goals.len() - SHOWN),
                Tone::Dim,
            );
        }
    }
}

/// What a finished import did.
impl Render for ImportSummary {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "Imported: {} created, {} updated, {} unchanged, {} Feature(s) created",
            self.created, self.updated, self.unchanged, self.features_created
        ));
        for e in &self.errors {
            p.toned(format!("  row {}: {}", e.row, e.message), Tone::Bad);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn previews_and_summaries_render_from_their_typed_output() {
        let preview: ImportPreview = serde_json::from_value(serde_json::json!({
            "features": [{"name": "Docs", "goals": 2, "new": true}],
            "goals": [{"row": 2, "title": "Write guide", "prompt": "Cover setup.", "notes": "",
                "labels": [], "priority": 0, "status": "backlog", "feature": "Docs", "assignee": null,
                "external": {"source": "markdown", "id": "write-guide", "url": null},
                "action": "create", "goalId": null}],
            "errors": [{"row": 4, "message": "a task item without a title"}],
            "create": 1, "update": 0, "unchanged": 0
        }))
        .expect("an ImportPreview");
        let text = shown(&Plan {
            name: "plan.md".into(),
            format: ImportFormat::Markdown,
            preview,
        });
        assert!(
            text.starts_with(
                "plan.md (markdown): 1 to create, 0 to update, 0 unchanged, 1 error(s)\n  row 4: a task item without a title\n"
            ) && text.contains("2    create  backlog  Docs     Write guide"),
            "{text}"
        );
        let s: ImportSummary = serde_json::from_value(serde_json::json!({
            "created": 2, "updated": 0, "unchanged": 1, "featuresCreated": 1, "errors": []
        }))
        .unwrap();
        assert_eq!(
            shown(&s),
            "Imported: 2 created, 0 updated, 1 unchanged, 1 Feature(s) created\n"
        );
    }

    #[test]
    fn formats_are_guessed_and_mappings_typed() {
        assert_eq!(guess_format("a.md", ""), ImportFormat::Markdown);
        assert_eq!(
            guess_format("x.json", r#"{"format":"refine-work"}"#),
            ImportFormat::Refine
        );
        assert_eq!(guess_format("x.json", "[]"), ImportFormat::Github);
        assert_eq!(
            guess_format("x.csv", "Issue key,Summary\n"),
            ImportFormat::Jira
        );
        assert_eq!(guess_format("x.csv", "Name\n"), ImportFormat::Csv);
        let m = mapping(&["title=Name".into(), "labels = Tags".into()])
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.title.as_str(), m.labels.as_deref()),
            ("Name", Some("Tags"))
        );
        assert!(mapping(&["labels=Tags".into()]).is_err(), "title is needed");
        assert!(mapping(&["colour=Red".into()]).is_err());
        assert!(mapping(&[]).unwrap().is_none());
    }
}
