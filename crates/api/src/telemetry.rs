//! Logging: pretty in dev, JSON lines in production; `RUST_LOG` overrides the
//! level (`authd::access=off` silences the access log). Lines are written by
//! a thread of their own, so a slow stdout never holds up a request; past
//! 128 000 lines waiting, new ones are dropped rather than waited for. That
//! thread writes every line waiting at once (a buffer flushed whenever the
//! queue runs empty): under load one `write` carries many lines, not one each.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the subscriber; keep the guard until exit, which writes what is
/// still queued when dropped.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let (writer, guard) =
        tracing_appender::non_blocking(std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(writer);
    // A second init (tests building several apps) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    guard
}
