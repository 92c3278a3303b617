//! `refine perf`: what the daemon measures about itself — the busiest operations' latency,
//! errors, CPU and memory of the daemon and its children, the event bus, the database.

use clap::Args;
use refine_api::ops::performance;
use refine_core::system::Empty;
use refine_model::performance::PerformanceSummary;

use super::{Commands, Run};
use crate::render::{toned, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Args, Debug)]
pub struct PerfArgs {
    /// How many of the busiest operations to show.
    #[arg(long, default_value_t = 15)]
    top: usize,
}

pub const COMMANDS: Commands = &[("", &[performance::SUMMARY.name])];

pub async fn run(r: &Run<'_>, a: &PerfArgs) -> Result {
    let mut s = r.c.run(performance::SUMMARY, &Empty {}).await?;
    if !r.out.is_json() {
        s.operations.truncate(a.top);
    }
    r.out.show(&s)
}

/// Bytes for people: 1.5 KiB, 42.0 MiB.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.2} ms")
    }
}

impl Render for PerformanceSummary {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "Up {} s · {} event stream(s), {} terminal socket(s) · bus: {} subscriber(s), lag {}, {} missed · queue: {} waiting, {} running",
            self.uptime_seconds,
            self.connections.sse,
            self.connections.websocket,
            self.bus.subscribers,
            self.bus.lag,
            self.bus.missed,
            self.queue.waiting,
            self.queue.running
        ));
        p.line(format!(
            "Database {} (WAL {})",
            bytes(self.database.bytes),
            bytes(self.database.wal_bytes)
        ));
        p.blank();
        let rows = self
            .operations
            .iter()
            .map(|o| {
                let errors: u32 = o.errors.iter().map(|e| e.count).sum();
                vec![
                    Cell::from(&o.operation),
                    Cell::from(o.total.count),
                    Cell::from(ms(o.total.p50_ms)),
                    Cell::from(ms(o.total.p90_ms)),
                    Cell::from(ms(o.total.p99_ms)),
                    Cell::from(ms(o.total.max_ms)),
                    Cell::from(o.recent.count),
                    Cell::from(ms(o.recent.p99_ms)),
                    if errors > 0 {
                        toned(
                            o.errors
                                .iter()
                                .map(|e| format!("{} {}", e.count, e.code))
                                .collect::<Vec<_>>()
                                .join(", "),
                            Tone::Bad,
                        )
                    } else {
                        Cell::from("-")
                    },
                ]
            })
            .collect();
        p.table(
            &[
                "operation",
                "calls",
                "p50",
                "p90",
                "p99",
                "max",
                "5 min",
                "p99 5 min",
                "errors",
            ],
            rows,
        );
        p.blank();
        let rows = self
            .processes
            .iter()
            .map(|u| {
                vec![
                    Cell::from(&u.kind),
                    Cell::from(u.pid),
                    Cell::from(u.processes),
                    Cell::from(format!("{:.1}%", u.cpu_percent)),
                    Cell::from(bytes(u.rss_bytes)),
                    Cell::from(&u.label),
                ]
            })
            .collect();
        p.table(&["process", "pid", "procs", "cpu", "memory", "label"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn the_summary_shows_latency_errors_and_processes() {
        let s: PerformanceSummary = serde_json::from_value(serde_json::json!({
            "at": "2026-12-02T10:00:00.000Z", "uptimeSeconds": 42,
            "operations": [
                {"operation": "goals.list",
                 "total": {"count": 120, "p50Ms": 1.25, "p90Ms": 3.5, "p99Ms": 12.0, "maxMs": 1500.0},
                 "recent": {"count": 20, "p50Ms": 1.0, "p90Ms": 2.0, "p99Ms": 4.0, "maxMs": 4.0},
                 "errors": [{"code": "not_found", "count": 2}]}
            ],
            "bus": {"subscribers": 2, "lag": 0, "published": 300.0, "missed": 0.0},
            "connections": {"sse": 1, "websocket": 0},
            "processes": [
                {"kind": "daemon", "id": "100", "label": "refine daemon", "pid": 100, "processes": 1, "rssBytes": 44040192.0, "cpuPercent": 1.5},
                {"kind": "agent", "id": "p1", "label": "agent claude", "pid": 200, "processes": 3, "rssBytes": 1536.0, "cpuPercent": 80.0}
            ],
            "database": {"bytes": 4096.0, "walBytes": 0.0},
            "queue": {"waiting": 1, "running": 2},
            "history": []
        }))
        .unwrap();
        let text = shown(&s);
        assert!(text.contains("queue: 1 waiting, 2 running"), "{text}");
        assert!(text.contains("Database 4.0 KiB (WAL 0 B)"), "{text}");
        assert!(
            text.contains(
                "goals.list  120    1.25 ms  3.50 ms  12 ms  1.50 s  20     4.00 ms    2 not_found"
            ),
            "{text}"
        );
        assert!(
            text.contains("daemon   100  1      1.5%   42.0 MiB  refine daemon"),
            "{text}"
        );
        assert!(
            text.contains("agent    200  3      80.0%  1.5 KiB   agent claude"),
            "{text}"
        );
    }
}
