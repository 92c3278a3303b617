//! `refine dashboard`: the app's work at a glance.

use refine_api::ops::dashboard;
use refine_core::dashboard::Dashboard;
use refine_core::workflow::AppScopeInput;
use refine_model::transcript::Usage;

use super::{Commands, Run};
use crate::render::{wire, Printer, Render};
use crate::Result;

pub const COMMANDS: Commands = &[("", &[dashboard::SUMMARY.name])];

pub async fn run(r: &Run<'_>) -> Result {
    let d =
        r.c.run(dashboard::SUMMARY, &AppScopeInput::default())
            .await?;
    r.out.show(&d)
}

/// A bar of `width` at most, as long as `n` is of `max`.
fn bar(n: u64, max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    "█".repeat(((n as f64 / max as f64) * width as f64).round() as usize)
}

fn tokens(u: &Usage) -> u64 {
    u64::from(u.input_tokens) + u64::from(u.output_tokens)
}

fn cost(u: &Usage) -> String {
    u.cost_usd.map(|c| format!(", ${c:.4}")).unwrap_or_default()
}

impl Render for Dashboard {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "{} Goals, {} running{}",
            self.total,
            self.running,
            if self.automation_paused {
                " — automation PAUSED"
            } else {
                ""
            }
        ));
        let max = self.counts.iter().map(|c| c.count).max().unwrap_or(0);
        for c in &self.counts {
            p.line(format!(
                "  {:<11} {:>5} {}",
                wire(&c.state),
                c.count,
                bar(c.count.into(), max.into(), 30)
            ));
        }
        if !self.features.is_empty() {
            p.blank();
            p.line("Features");
            for f in &self.features {
                p.line(format!(
                    "  {:<30} {:>3}/{:<3} {:<12} {}",
                    f.name,
                    f.done,
                    f.total,
                    wire(&f.status),
                    bar(f.done.into(), f.total.into(), 20)
                ));
            }
        }
        p.blank();
        p.line(format!(
            "Done per day (14 days){}",
            self.median_cycle_hours
                .map(|h| format!(", median cycle {h} h"))
                .unwrap_or_default()
        ));
        let max = self.throughput.iter().map(|t| t.done).max().unwrap_or(0);
        for t in &self.throughput {
            p.line(format!(
                "  {} {:>3} {}",
                t.day,
                t.done,
                bar(t.done.into(), max.into(), 30)
            ));
        }
        let u = &self.usage;
        p.blank();
        p.line(format!(
            "Agent tokens per day (14 days): {} in all{}",
            tokens(&u.total),
            cost(&u.total)
        ));
        let max = u.days.iter().map(|d| tokens(&d.usage)).max().unwrap_or(0);
        for d in &u.days {
            let n = tokens(&d.usage);
            p.line(format!("  {} {:>9} {}", d.day, n, bar(n, max, 30)));
        }
        for v in &u.providers {
            p.line(format!(
                "  {:<12} {} run(s), {} tokens{}",
                v.provider,
                v.runs,
                tokens(&v.usage),
                cost(&v.usage)
            ));
        }
        if !self.attention.is_empty() {
            p.blank();
            p.line("Needs attention");
            for a in &self.attention {
                p.line(format!(
                    "  #{:<5} {:<8} {} — {}",
                    a.number,
                    wire(&a.kind),
                    a.title,
                    a.reason
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn the_dashboard_renders_from_its_typed_output() {
        let usage = serde_json::json!({"inputTokens": 100, "outputTokens": 20, "cachedTokens": 0, "costUsd": 0.5});
        let d: Dashboard = serde_json::from_value(serde_json::json!({
            "appId": "a1",
            "counts": [{"state": "todo", "count": 2}, {"state": "done", "count": 1}],
            "total": 3, "running": 0,
            "features": [{"id": "f1", "name": "Checkout", "status": "in_progress", "done": 1, "total": 2}],
            "attention": [{"kind": "failed", "goalId": "g", "number": 4, "title": "Pay", "reason": "tests red"}],
            "throughput": [{"day": "2026-01-01", "done": 1}],
            "medianCycleHours": 5.5, "automationPaused": true, "recent": [],
            "usage": {"total": usage, "runs": 1,
                "days": [{"day": "2026-01-01", "usage": usage, "runs": 1}],
                "providers": [{"provider": "claude", "usage": usage, "runs": 1}], "rounds": []}
        }))
        .expect("a Dashboard");
        let text = shown(&d);
        for want in [
            "3 Goals, 0 running — automation PAUSED\n",
            "  todo            2 ██████████████████████████████\n",
            "  Checkout                         1/2   in_progress  ██████████",
            "Done per day (14 days), median cycle 5.5 h",
            "Agent tokens per day (14 days): 120 in all, $0.5000",
            "  claude       1 run(s), 120 tokens, $0.5000",
            "Needs attention\n  #4     failed   Pay — tests red",
        ] {
            assert!(text.contains(want), "{want:?} in:\n{text}");
        }
    }
}
