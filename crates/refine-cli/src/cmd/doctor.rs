//! `refine doctor [--bundle FILE]`: every check with its verdict and what to do; exit 1 when
//! one failed. `--bundle` also writes a redacted support bundle.

use clap::Args;
use refine_api::ops::diagnostics;
use refine_core::diagnostics::BundleInput;
use refine_core::system::Empty;
use refine_model::diagnostics::{CheckStatus, DoctorReport};

use super::perf::bytes;
use super::{Commands, Run};
use crate::render::{toned, wire, Printer, Render, Tone};
use crate::Result;
use refine_client::CliError;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Also write a support bundle (.tar.gz, secrets redacted) to FILE.
    #[arg(long, value_name = "FILE")]
    bundle: Option<std::path::PathBuf>,
}

pub const COMMANDS: Commands = &[("", &[diagnostics::DOCTOR.name, diagnostics::BUNDLE.name])];

pub async fn run(r: &Run<'_>, a: &DoctorArgs) -> Result {
    let report = r.c.run(diagnostics::DOCTOR, &Empty {}).await?;
    r.out.show(&report)?;
    if let Some(file) = &a.bundle {
        let path = std::path::absolute(file)
            .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
        let b =
            r.c.run(
                diagnostics::BUNDLE,
                &BundleInput {
                    path: Some(path.to_string_lossy().to_string()),
                },
            )
            .await?;
        if !r.out.is_json() {
            println!(
                "Wrote the support bundle {} ({}, {} files, {} secret values redacted)",
                b.path,
                bytes(b.bytes),
                b.files.len(),
                b.redacted
            );
        }
    }
    if report.status == CheckStatus::Fail {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(1);
    }
    Ok(())
}

impl Render for DoctorReport {
    fn render(&self, p: &mut Printer) {
        let w = self.checks.iter().map(|c| c.title.len()).max().unwrap_or(0);
        for c in &self.checks {
            let (mark, tone) = match c.status {
                CheckStatus::Ok => ("ok  ", Tone::Good),
                CheckStatus::Warn => ("warn", Tone::Wait),
                CheckStatus::Fail => ("FAIL", Tone::Bad),
                CheckStatus::Skip => ("skip", Tone::Dim),
            };
            let mark = toned(mark, tone);
            p.toned(
                format!("{}  {:<w$}  {}", mark.text, c.title, c.detail),
                tone,
            );
            if let Some(fix) = &c.fix {
                p.line(format!("      {:<w$}  fix: {fix}", ""));
            }
        }
        let count = |s: CheckStatus| self.checks.iter().filter(|c| c.status == s).count();
        p.blank();
        p.line(format!(
            "{}: {} ok, {} warnings, {} failed",
            wire(&self.status),
            count(CheckStatus::Ok),
            count(CheckStatus::Warn),
            count(CheckStatus::Fail)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn a_report_shows_each_verdict_and_its_fix() {
        let r: DoctorReport = serde_json::from_value(serde_json::json!({
            "at": "2026-12-02T10:00:00.000Z", "status": "fail",
            "checks": [
                {"id": "git", "title": "Git", "status": "fail", "detail": "git cannot be run: No such file or directory (os error 2)", "fix": "install git"},
                {"id": "disk", "title": "Free disk space", "status": "ok", "detail": "20480.0 MiB free", "fix": null},
                {"id": "cluster", "title": "NATS", "status": "skip", "detail": "not clustered", "fix": null}
            ]
        }))
        .unwrap();
        let text = shown(&r);
        assert!(
            text.contains("FAIL  Git              git cannot be run"),
            "{text}"
        );
        assert!(text.contains("fix: install git"), "{text}");
        assert!(
            text.contains("ok    Free disk space  20480.0 MiB free"),
            "{text}"
        );
        assert!(
            text.ends_with("fail: 1 ok, 0 warnings, 1 failed\n"),
            "{text}"
        );
    }
}
