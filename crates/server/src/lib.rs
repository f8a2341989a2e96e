//! The Rollcall server: reads the configuration, wires the domain's [`Directory`] to the
//! diesel storage adapter, the actix-web HTTP adapter and the `rollcall-system` adapters,
//! creates the first admin, and serves.
//!
//! - [`settings`]: configuration layers (defaults, TOML file, environment, flags).
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
pub mod readiness;
pub mod settings;
pub mod startup;
pub mod telemetry;

pub use bootstrap::AdminBootstrap;
pub use settings::{Cli, DatabaseUrl, LogFormat, Settings, SettingsError};
pub use startup::{Application, StartupError};
