//! The `authd` binary.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use api::config::{LogFormat, RunEnv, Settings};
use clap::{Parser, Subcommand};
use poem::listener::{Acceptor, Listener, TcpListener};

#[derive(Parser)]
#[command(name = "authd", version, about = "Two-factor authentication service")]
struct Cli {
    /// TOML file with settings (environment variables override it).
    #[arg(long, env = "AUTHD_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("authd: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let format = settings.log_format.unwrap_or(if settings.env == RunEnv::Production {
        LogFormat::Json
    } else {
        LogFormat::Pretty
    });
    api::telemetry::init(format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let mut s = settings;
            s.auto_migrate = false;
            std::fs::create_dir_all(&s.data_dir)?;
            let db = infra::connect(&s.database_url(), 1).await.context("cannot open the database")?;
            infra::db::migrate(&db).await.context("migrating failed")?;
            tracing::info!("migrations applied");
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let (auth, db) = api::app::build_service(&settings).await?;
    let app = api::app::routes(auth, db, settings.body_limit);
    let acceptor = TcpListener::bind(settings.listen.as_str())
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {} (AUTHD_LISTEN)", settings.listen))?;
    let addr = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()).context("no local address")?;
    tracing::info!("authd listening on http://{addr} (API explorer: http://{addr}/docs)");
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(Duration::from_secs(10)))
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
