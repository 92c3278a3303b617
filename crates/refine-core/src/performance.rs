//! performance: what the daemon measures about itself — per-operation latency (Prometheus
//! histograms, and exact quantiles since start and over the last five minutes), errors per code,
//! the event bus, live connections, its own and its children's CPU and memory, the database and
//! the runner's queue — as a typed summary (`performance.summary`) and as Prometheus text
//! (`GET /metrics`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use refine_model::performance::{
    BusStats, Connections, DatabaseSize, ErrorCount, LatencyStats, OperationPerf,
    PerformanceSummary, ProcessUsage, QueueDepth, ResourceSample,
};
use refine_model::ApiError;

use crate::{clock, Core};

/// How long the resource history reaches back, and how often it gets a point.
const HISTORY: Duration = Duration::from_secs(3600);
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// The "recent" window of the latency quantiles, in one-minute slots.
const RECENT_MINUTES: usize = 5;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabel {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabel {
    operation: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProcessLabel {
    kind: String,
    id: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Exact latency quantiles of one operation: since start, and per minute for the recent window.
struct Quantiles {
    total: hdrhistogram::Histogram<u64>,
    /// (minute since start, that minute's latencies), a ring of `RECENT_MINUTES` slots.
    minutes: Vec<(u64, hdrhistogram::Histogram<u64>)>,
}

fn micros_histogram() -> hdrhistogram::Histogram<u64> {
    // 1 µs … 1 h at three significant digits.
    hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .expect("static histogram bounds are valid")
}

fn stats(h: &hdrhistogram::Histogram<u64>) -> LatencyStats {
    if h.is_empty() {
        return LatencyStats::default();
    }
    let ms = |us: u64| us as f64 / 1000.0;
    LatencyStats {
        count: h.len().min(u32::MAX as u64) as u32,
        p50_ms: ms(h.value_at_quantile(0.5)),
        p90_ms: ms(h.value_at_quantile(0.9)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

impl Quantiles {
    fn new() -> Quantiles {
        Quantiles {
            total: micros_histogram(),
            minutes: (0..RECENT_MINUTES)
                .map(|_| (u64::MAX, micros_histogram()))
                .collect(),
        }
    }

    fn record(&mut self, minute: u64, micros: u64) {
        self.total.saturating_record(micros.max(1));
        let slot = &mut self.minutes[(minute % RECENT_MINUTES as u64) as usize];
        if slot.0 != minute {
            slot.0 = minute;
            slot.1.reset();
        }
        slot.1.saturating_record(micros.max(1));
    }

    fn recent(&self, minute: u64) -> LatencyStats {
        let mut h = micros_histogram();
        for (m, slot) in &self.minutes {
            if *m != u64::MAX && *m + RECENT_MINUTES as u64 > minute {
                // Same bounds: adding cannot fail.
                let _ = h.add(slot);
            }
        }
        stats(&h)
    }
}

/// Cumulative CPU time of one group of processes at one moment.
#[derive(Clone, Copy)]
struct CpuMark {
    at: Instant,
    ticks: u64,
}

#[derive(Default)]
struct Sampling {
    /// The previous CPU reading per group leader pid (the daemon under its own pid).
    marks: HashMap<u32, CpuMark>,
    last: Option<(Instant, Vec<ProcessUsage>)>,
    history: VecDeque<(Instant, ResourceSample)>,
}

/// The daemon's instruments. One per daemon (not global), so daemons in one process (tests)
/// measure only themselves.
pub struct Metrics {
    registry: Registry,
    started: Instant,
    latency: HistogramFamily<OpLabel>,
    errors: Family<ErrorLabel, Counter>,
    quantiles: Mutex<HashMap<&'static str, Quantiles>>,
    error_counts: Mutex<HashMap<(&'static str, String), u32>>,
    sse: Gauge,
    websocket: Gauge,
    bus_subscribers: Gauge,
    bus_lag: Gauge,
    bus_published: Gauge<i64, AtomicI64>,
    bus_missed: Counter,
    db_bytes: Gauge,
    wal_bytes: Gauge,
    queue_waiting: Gauge,
    queue_running: Gauge,
    rss: Family<ProcessLabel, Gauge>,
    cpu: Family<ProcessLabel, FloatGauge>,
    sampling: Mutex<Sampling>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("refine");
        let latency: HistogramFamily<OpLabel> = Family::new_with_constructor(latency_histogram);
        let m = Metrics {
            registry: Registry::default(),
            started: Instant::now(),
            latency,
            errors: Family::default(),
            quantiles: Mutex::new(HashMap::new()),
            error_counts: Mutex::new(HashMap::new()),
            sse: Gauge::default(),
            websocket: Gauge::default(),
            bus_subscribers: Gauge::default(),
            bus_lag: Gauge::default(),
            bus_published: Gauge::default(),
            bus_missed: Counter::default(),
            db_bytes: Gauge::default(),
            wal_bytes: Gauge::default(),
            queue_waiting: Gauge::default(),
            queue_running: Gauge::default(),
            rss: Family::default(),
            cpu: Family::default(),
            sampling: Mutex::new(Sampling::default()),
        };
        registry.register(
            "operation_duration_seconds",
            "Time to answer an operation, by operation",
            m.latency.clone(),
        );
        registry.register(
            "operation_errors",
            "Operations answered with an error, by operation and error code",
            m.errors.clone(),
        );
        registry.register("sse_connections", "Open event streams", m.sse.clone());
        registry.register(
            "websocket_connections",
            "Open terminal WebSockets",
            m.websocket.clone(),
        );
        registry.register(
            "event_bus_subscribers",
            "Subscribers of the live event bus",
            m.bus_subscribers.clone(),
        );
        registry.register(
            "event_bus_lag_events",
            "Events the slowest subscriber has not taken yet",
            m.bus_lag.clone(),
        );
        registry.register(
            "event_bus_published_events",
            "Events published since the daemon started",
            m.bus_published.clone(),
        );
        registry.register(
            "event_bus_missed_events",
            "Events subscribers missed by falling behind (they resynced)",
            m.bus_missed.clone(),
        );
        registry.register(
            "database_bytes",
            "Size of the database file",
            m.db_bytes.clone(),
        );
        registry.register(
            "database_wal_bytes",
            "Size of the database's write-ahead log",
            m.wal_bytes.clone(),
        );
        registry.register(
            "runner_waiting_goals",
            "Goals waiting for a worker",
            m.queue_waiting.clone(),
        );
        registry.register(
            "runner_running_goals",
            "Goals a worker is on",
            m.queue_running.clone(),
        );
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of the daemon and of each child (with what it started)",
            m.rss.clone(),
        );
        registry.register(
            "process_cpu_percent",
            "CPU of the daemon and of each child since the previous sample (100 = one core)",
            m.cpu.clone(),
        );
        Metrics { registry, ..m }
    }

    /// One answered operation.
    pub fn observe(&self, operation: &'static str, took: Duration, error: Option<&str>) {
        self.latency
            .get_or_create(&OpLabel {
                operation: operation.to_string(),
            })
            .observe(took.as_secs_f64());
        let minute = self.started.elapsed().as_secs() / 60;
        lock(&self.quantiles)
            .entry(operation)
            .or_insert_with(Quantiles::new)
            .record(minute, took.as_micros().min(u64::MAX as u128) as u64);
        if let Some(code) = error {
            self.errors
                .get_or_create(&ErrorLabel {
                    operation: operation.to_string(),
                    code: code.to_string(),
                })
                .inc();
            *lock(&self.error_counts)
                .entry((operation, code.to_string()))
                .or_default() += 1;
        }
    }

    /// An event stream opened; it counts until the guard drops.
    pub fn sse_opened(&self) -> ConnectionGuard {
        self.sse.inc();
        ConnectionGuard(self.sse.clone())
    }

    /// A terminal WebSocket opened; it counts until the guard drops.
    pub fn websocket_opened(&self) -> ConnectionGuard {
        self.websocket.inc();
        ConnectionGuard(self.websocket.clone())
    }

    /// A subscriber fell behind and missed `n` events.
    pub fn bus_missed(&self, n: u64) {
        self.bus_missed.inc_by(n);
    }

    pub(crate) fn set_queue(&self, waiting: u32, running: u32) {
        self.queue_waiting.set(waiting as i64);
        self.queue_running.set(running as i64);
    }

    fn operations(&self) -> Vec<OperationPerf> {
        let minute = self.started.elapsed().as_secs() / 60;
        let errors = lock(&self.error_counts).clone();
        let mut ops: Vec<OperationPerf> = lock(&self.quantiles)
            .iter()
            .map(|(name, q)| OperationPerf {
                operation: name.to_string(),
                total: stats(&q.total),
                recent: q.recent(minute),
                errors: {
                    let mut e: Vec<ErrorCount> = errors
                        .iter()
                        .filter(|((op, _), _)| op == name)
                        .map(|((_, code), n)| ErrorCount {
                            code: code.clone(),
                            count: *n,
                        })
                        .collect();
                    e.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
                    e
                },
            })
            .collect();
        ops.sort_by(|a, b| {
            b.total
                .count
                .cmp(&a.total.count)
                .then(a.operation.cmp(&b.operation))
        });
        ops
    }
}

/// Counts one live connection while it exists.
pub struct ConnectionGuard(Gauge);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One process group the daemon started, as its records name it.
struct Child {
    kind: String,
    id: String,
    label: String,
    leader: u32,
}

/// CPU ticks and resident bytes of `pid` (`None` once it is gone).
fn read_proc(pid: u32) -> Option<(i32, u64, u64)> {
    let stat = procfs::process::Process::new(pid as i32)
        .ok()?
        .stat()
        .ok()?;
    Some((
        stat.pgrp,
        stat.utime + stat.stime,
        stat.rss * procfs::page_size(),
    ))
}

impl Core {
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The groups of processes this daemon started: supervised processes (agents, checks, dev
    /// servers, commands) and terminals.
    fn children(&self) -> Vec<Child> {
        let mut out = Vec::new();
        for (id, live) in self.live_processes() {
            let (kind, label) = self
                .0
                .store
                .read(|c| refine_store::processes::get(c, &id))
                .ok()
                .flatten()
                .map(|p| {
                    let kind = if p.label.as_deref().is_some_and(|l| l.starts_with("agent")) {
                        "agent"
                    } else if p.label.as_deref().is_some_and(|l| l.starts_with("check")) {
                        "check"
                    } else {
                        "process"
                    };
                    (kind, p.label.unwrap_or_else(|| p.argv.join(" ")))
                })
                .unwrap_or(("process", String::new()));
            out.push(Child {
                kind: kind.to_string(),
                id,
                label,
                leader: live,
            });
        }
        for (id, title, pid) in self.terminal_pids() {
            out.push(Child {
                kind: "terminal".to_string(),
                id,
                label: title,
                leader: pid,
            });
        }
        out
    }

    /// Read CPU and memory of the daemon and its children now. CPU is the share since the
    /// previous reading; a reading younger than a second is reused.
    fn sample(&self) -> Vec<ProcessUsage> {
        let m = self.metrics();
        let now = Instant::now();
        {
            let s = lock(&m.sampling);
            if let Some((at, usage)) = &s.last {
                if now.duration_since(*at) < Duration::from_secs(1) {
                    return usage.clone();
                }
            }
        }
        let me = std::process::id();
        let children = self.children();
        // Every process this daemon marked, grouped by process group.
        let mut groups: HashMap<i32, (u32, u64, u64)> = HashMap::new();
        for pid in refine_host::process::owned_processes(&self.0.owner) {
            if let Some((pgrp, ticks, rss)) = read_proc(pid) {
                let g = groups.entry(pgrp).or_default();
                g.0 += 1;
                g.1 += ticks;
                g.2 += rss;
            }
        }
        let tps = procfs::ticks_per_second().max(1) as f64;
        let mut s = lock(&m.sampling);
        let mut marks = HashMap::new();
        let mut cpu = |leader: u32, ticks: u64| -> f64 {
            let mark = CpuMark { at: now, ticks };
            let pct = match s.marks.get(&leader) {
                Some(prev) if now > prev.at && ticks >= prev.ticks => {
                    (ticks - prev.ticks) as f64 / tps / now.duration_since(prev.at).as_secs_f64()
                        * 100.0
                }
                _ => 0.0,
            };
            marks.insert(leader, mark);
            (pct * 10.0).round() / 10.0
        };
        let mut usage = Vec::new();
        if let Some((_, ticks, rss)) = read_proc(me) {
            usage.push(ProcessUsage {
                kind: "daemon".to_string(),
                id: me.to_string(),
                label: "refine daemon".to_string(),
                pid: me,
                processes: 1,
                rss_bytes: rss as f64,
                cpu_percent: cpu(me, ticks),
            });
        }
        for c in children {
            let (n, ticks, rss) = groups.get(&(c.leader as i32)).copied().unwrap_or_default();
            if n == 0 {
                continue;
            }
            usage.push(ProcessUsage {
                kind: c.kind,
                id: c.id,
                label: c.label,
                pid: c.leader,
                processes: n,
                rss_bytes: rss as f64,
                cpu_percent: cpu(c.leader, ticks),
            });
        }
        s.marks = marks;
        s.last = Some((now, usage.clone()));
        m.rss.clear();
        m.cpu.clear();
        for u in &usage {
            let label = ProcessLabel {
                kind: u.kind.clone(),
                id: u.id.clone(),
            };
            m.rss.get_or_create(&label).set(u.rss_bytes as i64);
            m.cpu.get_or_create(&label).set(u.cpu_percent);
        }
        let due = s.history.back().is_none_or(|(at, _)| {
            now.duration_since(*at) + Duration::from_millis(500) >= SAMPLE_EVERY
        });
        if due {
            let (daemon, children): (Vec<&ProcessUsage>, Vec<&ProcessUsage>) =
                usage.iter().partition(|u| u.kind == "daemon");
            // `+ 0.0`: an empty sum is -0.0.
            let sum = |v: &[&ProcessUsage], f: fn(&ProcessUsage) -> f64| {
                (v.iter().map(|u| f(u)).sum::<f64>() * 10.0).round() / 10.0 + 0.0
            };
            s.history.push_back((
                now,
                ResourceSample {
                    at: clock::now(),
                    daemon_rss_bytes: sum(&daemon, |u| u.rss_bytes),
                    daemon_cpu_percent: sum(&daemon, |u| u.cpu_percent),
                    children_rss_bytes: sum(&children, |u| u.rss_bytes),
                    children_cpu_percent: sum(&children, |u| u.cpu_percent),
                },
            ));
            while s
                .history
                .front()
                .is_some_and(|(at, _)| now.duration_since(*at) > HISTORY)
            {
                s.history.pop_front();
            }
        }
        usage
    }

    /// Take a resource sample for the history (housekeeping calls this every ten seconds).
    pub(crate) fn sample_resources(&self) {
        self.sample();
    }

    fn refresh_gauges(&self) -> (BusStats, DatabaseSize) {
        let m = self.metrics();
        let (subscribers, lag, last) = self.0.bus.stats();
        m.bus_subscribers.set(subscribers as i64);
        m.bus_lag.set(lag as i64);
        m.bus_published.set(last as i64);
        let db = std::fs::metadata(self.0.store.path())
            .map(|m| m.len())
            .unwrap_or(0);
        let wal = self.0.store.wal_size();
        m.db_bytes.set(db as i64);
        m.wal_bytes.set(wal as i64);
        (
            BusStats {
                subscribers: subscribers as u32,
                lag: lag as u32,
                published: last as f64,
                missed: m.bus_missed.get() as f64,
            },
            DatabaseSize {
                bytes: db as f64,
                wal_bytes: wal as f64,
            },
        )
    }

    /// `performance.summary`
    pub async fn performance_summary(&self) -> Result<PerformanceSummary, ApiError> {
        self.blocking(|core| {
            let processes = core.sample();
            let (bus, database) = core.refresh_gauges();
            let m = core.metrics();
            let s = lock(&m.sampling);
            Ok(PerformanceSummary {
                at: clock::now(),
                uptime_seconds: core.0.started.elapsed().as_secs().min(u32::MAX as u64) as u32,
                operations: m.operations(),
                bus,
                connections: Connections {
                    sse: m.sse.get().max(0) as u32,
                    websocket: m.websocket.get().max(0) as u32,
                },
                processes,
                database,
                queue: QueueDepth {
                    waiting: m.queue_waiting.get().max(0) as u32,
                    running: m.queue_running.get().max(0) as u32,
                },
                history: s.history.iter().map(|(_, r)| r.clone()).collect(),
            })
        })
        .await
    }

    /// The metrics in the OpenMetrics text format Prometheus scrapes.
    pub async fn metrics_text(&self) -> Result<String, ApiError> {
        self.blocking(|core| {
            core.sample();
            core.refresh_gauges();
            let mut out = String::new();
            prometheus_client::encoding::text::encode(&mut out, &core.metrics().registry)
                .map_err(|e| ApiError::internal(format!("cannot encode the metrics: {e}")))?;
            Ok(out)
        })
        .await
    }
}
