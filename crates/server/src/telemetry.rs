//! Logging: installs the global tracing subscriber, human-readable or JSON, filtered by a
//! RUST_LOG-style directive. Called once by the binary (and by the black-box tests when
//! `TEST_LOG` is set); the library never installs it on its own. Request ids and per-request
//! spans come from the HTTP crate's `TracingLogger` middleware.

use crate::settings::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter directive does not parse.
    #[error("invalid log filter: {0}")]
    Filter(String),
    /// A global subscriber is already installed.
    #[error("a tracing subscriber is already installed: {0}")]
    AlreadyInstalled(String),
}

/// Installs the global subscriber writing to `writer` (stderr for the binary, stdout in
/// tests); `ansi` colours human-readable lines (the binary sets it when stderr is a terminal).
///
/// # Errors
/// [`TelemetryError`] for a bad filter or a second installation.
pub fn init_tracing<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
    ansi: bool,
) -> Result<(), TelemetryError>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_span_events(FmtSpan::NONE);
    let installed = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| TelemetryError::AlreadyInstalled(e.to_string()))
}

/// Logs the start-up line: version, bind address and the database URL with any password
/// replaced by `***` (its `Display`).
pub fn log_start(settings: &Settings) {
    tracing::info!(
        bind = %settings.bind,
        database = %settings.database_url,
        version = env!("CARGO_PKG_VERSION"),
        "starting rollcall"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DatabaseUrl;
    use std::sync::{Arc, Mutex};

    /// What a human-format subscriber writes while `f` runs on this thread.
    fn human_log_of(f: impl FnOnce()) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Capture(writer.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_start_up_line_never_shows_a_database_password() {
        for (url, password, shown) in [
            (
                "postgres://rollcall:pa/ss@db/rollcall",
                "pa/ss",
                "postgres://rollcall:***@db/rollcall",
            ),
            (
                "postgres://rollcall:pa?ss@db/rollcall",
                "pa?ss",
                "postgres://rollcall:***@db/rollcall",
            ),
            (
                "postgresql://rollcall:pa#ss:x@db:5433/rollcall?sslmode=disable",
                "pa#ss:x",
                "postgresql://rollcall:***@db:5433/rollcall?sslmode=disable",
            ),
            (
                "postgres://db/rollcall?user=rollcall&password=hunter2",
                "hunter2",
                "postgres://db/rollcall?user=rollcall&password=***",
            ),
        ] {
            let settings = Settings {
                database_url: DatabaseUrl::new(url),
                ..Settings::default()
            };
            let log = human_log_of(|| log_start(&settings));
            assert!(log.contains("starting rollcall"), "{log}");
            assert!(!log.contains(password), "{url}: {log}");
            assert!(log.contains(shown), "{url}: {log}");
        }
    }
}
