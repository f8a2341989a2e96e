//! The Rollcall server: reads the configuration, wires the domain's [`Directory`] to the
//! diesel storage adapter, the actix-web HTTP adapter and the `rollcall-system` adapters,
//! creates the first admin, and serves.
//!
//! - [`settings`]: configuration layers (defaults, TOML file, environment, flags).
//! - [`commands`]: the operator's subcommands (migrate, check-config, healthcheck, backup, …).
//! - [`startup`]: [`Application::build`] and [`Application::run_until_stopped`].
//! - [`bootstrap`]: the first admin.
//! - `client`: whether a request's client is still connected (for the hashing queue).
//! - [`readiness`]: the database check behind `/readyz`.
//! - [`telemetry`]: the tracing subscriber (installed by the binary only).
//!
//! [`Directory`]: rollcall_domain::services::Directory

mod auth_events;
pub mod bootstrap;
mod client;
pub mod commands;
pub mod readiness;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod users_file;

pub use bootstrap::AdminBootstrap;
pub use settings::{Cli, DatabaseUrl, LogFormat, Settings, SettingsError};
pub use startup::{Application, StartupError};

/// An error and its cause chain, one cause per line, as the binary prints it.
pub fn describe(stage: &str, error: &dyn std::error::Error) -> String {
    let mut message = format!("rollcall: {stage} failed: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str("\n  caused by: ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
