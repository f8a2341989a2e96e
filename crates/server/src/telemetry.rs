//! Logging: installs the global tracing subscriber, human-readable or JSON, filtered by a
//! RUST_LOG-style directive. Called once by the binary (and by the black-box tests when
//! `TEST_LOG` is set); the library never installs it on its own. Request ids and per-request
//! spans come from the HTTP crate's `TracingLogger` middleware.

use crate::settings::LogFormat;
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
