//! The `rollcall` binary: parse the command line, load the configuration, install logging,
//! then serve (the default) or run one of the operator's subcommands (`rollcall --help`).

use clap::Parser;
use rollcall_server::commands::{self, Command};
use rollcall_server::{AdminBootstrap, Application, Cli, Settings, describe, telemetry};
use secrecy::ExposeSecret;
use std::error::Error;
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: see docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let command = cli.command.take().unwrap_or(Command::Serve);
    let settings = match Settings::from_cli(cli) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{}", describe("configuration", &error));
            return ExitCode::from(2);
        }
    };
    // Logs go to stderr; stdout carries only what a command prints (the one-time admin
    // password of `serve`, a recovered password, an export).
    let colour = std::io::stderr().is_terminal();
    // Lines go to stderr from a writer thread, in order; when it falls behind by 128k lines
    // the workers wait rather than drop lines. The guard flushes what is left at exit.
    let (stderr, _flush_at_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("rollcall-log")
        .finish(std::io::stderr());
    if let Err(error) =
        telemetry::init_tracing(settings.log_format, &settings.log_filter, stderr, colour)
    {
        eprintln!("{}", describe("logging", &error));
        return ExitCode::from(2);
    }
    if command == Command::Serve {
        serve(settings).await
    } else {
        commands::exit_code(commands::run(&command, &settings).await)
    }
}

async fn serve(settings: Settings) -> ExitCode {
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
