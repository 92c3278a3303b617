//! The daemon's logging: people read stderr; the data dir's `logs/` keeps a JSON line per record,
//! one file per day and a week of them, which `diagnostics.logs` and support bundles read back.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Log lines the file writer may be behind by.
const LOG_QUEUE_LINES: usize = 4096;

/// Keeps the file writer flushing; hold it for as long as the daemon runs.
pub struct LogGuard(#[allow(dead_code)] Option<WorkerGuard>);

/// Install the process's subscriber: `REFINE_LOG` (an env-filter; default `info`) to stderr and,
/// when the data dir's `logs/` can be created, to the rotating log file.
pub fn init(data_dir: &Path) -> LogGuard {
    let filter = || {
        EnvFilter::try_from_env("REFINE_LOG")
            .unwrap_or_else(|_| "info,tower=warn,hyper=warn".into())
    };
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter());
    let dir = data_dir.join(refine_core::diagnostics::LOG_DIR);
    let appender = refine_core::daemon::ensure_private_dir(data_dir)
        .ok()
        .and_then(|_| refine_core::daemon::ensure_private_dir(&dir).ok())
        .and_then(|_| {
            RollingFileAppender::builder()
                .rotation(Rotation::DAILY)
                .filename_prefix("refine")
                .filename_suffix("log")
                .max_log_files(refine_core::diagnostics::LOG_FILES_KEPT)
                .build(&dir)
                .map_err(|e| eprintln!("refine: no log file in {}: {e}", dir.display()))
                .ok()
        });
    let Some(appender) = appender else {
        let _ = tracing_subscriber::registry().with(stderr).try_init();
        return LogGuard(None);
    };
    // The writer thread drains lines as they come; the default queue (128,000 lines, set up
    // front) was 5 MiB of the idle daemon's memory. Past this many lines behind, lines are
    // dropped rather than stalling the daemon.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(appender);
    let file = fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(filter());
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    LogGuard(Some(guard))
}
