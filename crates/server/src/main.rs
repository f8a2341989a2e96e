//! The `rollcall` binary: load the configuration, install logging, build the application,
//! print a generated admin password once, and serve until SIGTERM or SIGINT.

use rollcall_server::{AdminBootstrap, Application, Settings, telemetry};
use secrecy::ExposeSecret;
use std::error::Error;
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: see docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{}", describe("configuration", &error));
            return ExitCode::from(2);
        }
    };
    // Logs go to stderr; stdout carries only the one-time admin password.
    let colour = std::io::stderr().is_terminal();
    if let Err(error) = telemetry::init_tracing(
        settings.log_format,
        &settings.log_filter,
        std::io::stderr,
        colour,
    ) {
        eprintln!("{}", describe("logging", &error));
        return ExitCode::from(2);
    }
    telemetry::log_start(&settings);
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => return fail("start-up", &error),
    };
    if let AdminBootstrap::Generated { username, password } = application.admin_bootstrap() {
        // stdout, not the log: shown once to whoever started the server, never stored.
        println!(
            "Created the first admin.\n  username: {username}\n  password: {}\n\
             This password is shown only this once; sign in and change it.",
            password.expose_secret()
        );
    }
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail("server", &error),
    }
}

/// Logs an error with its cause chain (logging is installed by then).
fn fail(stage: &str, error: &dyn Error) -> ExitCode {
    tracing::error!("{}", describe(stage, error));
    ExitCode::FAILURE
}

/// An error and its cause chain, one cause per line.
fn describe(stage: &str, error: &dyn Error) -> String {
    let mut message = format!("rollcall: {stage} failed: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str("\n  caused by: ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
