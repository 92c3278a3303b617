//! `refine logs [--follow] [--level warn] [--target M] [--grep TEXT] [-n N]`: the daemon's log.

use std::time::Duration;

use clap::Args;
use refine_api::ops::diagnostics;
use refine_core::diagnostics::LogsInput;
use refine_model::diagnostics::{DaemonLog, LogLevel, LogRecord};

use super::{wire_enum, Commands, Run};
use crate::render::{wire, Printer, Render, Tone};
use crate::Result;

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Keep printing what is logged from now on (Ctrl-C stops).
    #[arg(long, short)]
    follow: bool,
    /// Only records at least this severe.
    #[arg(long, value_parser = wire_enum::<LogLevel>())]
    level: Option<LogLevel>,
    /// Only records of modules starting with this (`refine_core::runner`).
    #[arg(long)]
    target: Option<String>,
    /// Only records whose message contains this (case-insensitive).
    #[arg(long)]
    grep: Option<String>,
    /// How many of the newest records to print first.
    #[arg(short = 'n', long = "lines", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=5000))]
    lines: u32,
}

pub const COMMANDS: Commands = &[("", &[diagnostics::LOGS.name])];

pub async fn run(r: &Run<'_>, a: &LogsArgs) -> Result {
    let mut input = LogsInput {
        level: a.level,
        target: a.target.clone(),
        contains: a.grep.clone(),
        limit: Some(a.lines),
        after: None,
    };
    let page = r.c.run(diagnostics::LOGS, &input).await?;
    if !a.follow {
        return r.out.show(&page);
    }
    let mut cursor = page.cursor.clone();
    print_records(r, &page.records)?;
    input.limit = Some(1000);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        input.after = Some(cursor.clone());
        let page = r.c.run(diagnostics::LOGS, &input).await?;
        print_records(r, &page.records)?;
        cursor = page.cursor;
    }
}

fn print_records(r: &Run<'_>, records: &[LogRecord]) -> Result {
    if r.out.is_json() {
        for rec in records {
            r.out.json_line(rec)?;
        }
        return Ok(());
    }
    r.out.show(&Records(records.to_vec()))
}

fn line(p: &mut Printer, r: &LogRecord) {
    let tone = match r.level {
        LogLevel::Error => Tone::Bad,
        LogLevel::Warn => Tone::Wait,
        LogLevel::Debug | LogLevel::Trace => Tone::Dim,
        LogLevel::Info => Tone::Plain,
    };
    let fields = r
        .fields
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| match v.as_str() {
                    Some(s) => format!(" {k}={s}"),
                    None => format!(" {k}={v}"),
                })
                .collect::<String>()
        })
        .unwrap_or_default();
    p.toned(
        format!(
            "{} {:<5} {}  {}{fields}",
            r.at,
            wire(&r.level).to_uppercase(),
            r.target,
            r.message
        ),
        tone,
    );
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Records(Vec<LogRecord>);

impl Render for Records {
    fn render(&self, p: &mut Printer) {
        for r in &self.0 {
            line(p, r);
        }
    }
}

impl Render for DaemonLog {
    fn render(&self, p: &mut Printer) {
        if self.records.is_empty() {
            p.toned(
                if self.files.is_empty() {
                    "(no log file yet)"
                } else {
                    "(nothing matches)"
                },
                Tone::Dim,
            );
        }
        for r in &self.records {
            line(p, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn records_read_as_one_line_each() {
        let page: DaemonLog = serde_json::from_value(serde_json::json!({
            "records": [
                {"at": "2026-12-02T10:00:00.000001Z", "level": "warn", "target": "refine_core::runner",
                 "message": "agent stopped", "fields": {"goal": "12", "code": 3}}
            ],
            "cursor": "refine.2026-12-02.log:120", "files": ["refine.2026-12-02.log"]
        }))
        .unwrap();
        assert_eq!(
            shown(&page),
            "2026-12-02T10:00:00.000001Z WARN  refine_core::runner  agent stopped goal=12 code=3\n"
        );
        let empty = DaemonLog {
            records: vec![],
            cursor: String::new(),
            files: vec![],
        };
        assert_eq!(shown(&empty), "(no log file yet)\n");
    }
}
