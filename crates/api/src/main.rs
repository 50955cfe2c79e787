//! The `authd` binary.

/// mimalloc: under load glibc's malloc and free took about 12% of authd's
/// CPU on a token check; `--ceilings-only` measured verify-token at 42% of
/// the bare handler with it, 34% without.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use api::config::{LogFormat, RunEnv, Settings};
use clap::{Parser, Subcommand};
use domain::admin::Bootstrap;
use poem::EndpointExt;

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
    /// Ask the server on AUTHD_LISTEN whether it is ready: exit 0 when
    /// /health/ready answers 200, 1 otherwise (a container's HEALTHCHECK).
    Health {
        /// Ask this address (host:port) instead of AUTHD_LISTEN.
        #[arg(long)]
        address: Option<String>,
    },
    /// EdDSA signing keys (AUTHD_JWT_ALG=EdDSA).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Make a user an administrator: promote the user with this email or
    /// username, or create them with a password read from standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Admin")]
        name: String,
        #[arg(long, default_value = "User")]
        lastname: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key: published at once (JWKS, every node), signing
    /// after AUTHD_JWT_KEY_PUBLISH_SECONDS; the keys it replaces keep
    /// verifying until the longest token they signed has expired.
    Rotate {
        /// Use this Ed25519 private key (PKCS#8 PEM) instead of generating one.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Every key, with when it signs and when it retires.
    List,
}

#[tokio::main]
async fn main() {
    api::data_dir::private_by_default();
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
    let _logs = api::telemetry::init(format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let mut s = settings;
            s.auto_migrate = false;
            api::data_dir::prepare(&s.data_dir)?;
            let db = infra::connect(&s.database_url(), 1).await.context("cannot open the database")?;
            infra::db::migrate(&db).await.context("migrating failed")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Keys { command: KeysCommand::Rotate { key_file } } => {
            println!("{}", api::signing::rotate_command(&settings, key_file.as_deref()).await?);
            Ok(())
        }
        Command::Keys { command: KeysCommand::List } => {
            println!("{}", api::signing::list_command(&settings).await?);
            Ok(())
        }
        Command::Health { address } => api::health::probe(address.as_deref().unwrap_or(&settings.listen)).await,
        Command::CreateAdmin { email, username, name, lastname } => {
            let services = api::app::build_services(&settings).await?.services;
            let admin = &services.admin;
            let exists = admin.find_user(&email).await?.is_some() || admin.find_user(&username).await?.is_some();
            let password = if exists { None } else { Some(read_password()?) };
            let form = domain::admin::admin_form(&email, &username, &name, &lastname, password);
            match admin.bootstrap_admin(form, false).await? {
                Bootstrap::Created(u) => println!("created administrator {} ({})", u.username, u.id),
                Bootstrap::Promoted(u) => println!("{} ({}) is now an active administrator", u.username, u.id),
                Bootstrap::AdminExists => unreachable!("only asked when admins exist"),
            }
            Ok(())
        }
    }
}

/// The new administrator's password: typed without echo on a terminal, or
/// the first line of standard input otherwise.
fn read_password() -> anyhow::Result<secrecy::SecretString> {
    use std::io::{BufRead, IsTerminal};
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password for the new administrator: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if line.is_empty() {
        anyhow::bail!("no password given on standard input");
    }
    Ok(line.into())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let api::app::Node { services, db, doorbell, listener, signing_keys } = api::app::build_services(&settings).await?;
    if let Some(listener) = listener {
        listener.spawn();
    }
    if let Some(keys) = &signing_keys {
        keys.spawn_reload(Duration::from_millis(settings.jwt_keys_reload_ms));
    }
    if let Some(form) = settings.bootstrap_admin() {
        let outcome = services
            .admin
            .bootstrap_admin(form, true)
            .await
            .context("AUTHD_BOOTSTRAP_ADMIN_* could not make the first administrator")?;
        match outcome {
            Bootstrap::Created(u) => tracing::info!(user = %u.username, "created the first administrator"),
            Bootstrap::Promoted(u) => tracing::info!(user = %u.username, "promoted the first administrator"),
            Bootstrap::AdminExists => tracing::debug!("an administrator exists; AUTHD_BOOTSTRAP_ADMIN_* left alone"),
        }
    }
    api::worker::spawn(
        &services,
        doorbell,
        Duration::from_millis(settings.delivery_poll_ms),
        Duration::from_millis(settings.purge_interval_ms),
    );
    let app = api::app::routes(services, db.clone(), signing_keys, &settings)?;
    let open_files = api::server::raise_open_file_limit();
    let limits = api::server::Limits {
        header_timeout: Duration::from_millis(settings.header_timeout_ms),
        keep_alive_timeout: Duration::from_millis(settings.keep_alive_timeout_ms),
        max_connections: settings.max_connections.unwrap_or_else(|| api::server::default_max_connections(open_files)),
        shutdown_grace: Duration::from_millis(settings.shutdown_grace_ms),
    };
    let listener = tokio::net::TcpListener::bind(settings.listen.as_str())
        .await
        .with_context(|| format!("cannot listen on {} (AUTHD_LISTEN)", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        max_connections = limits.max_connections,
        "authd listening on http://{addr} (API explorer: http://{addr}/docs)"
    );
    // `/metrics` on an address of its own, when one is set, under the same
    // limits and drained by the same signal.
    let metrics = match &settings.metrics_listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address.as_str())
                .await
                .with_context(|| format!("cannot listen on {address} (AUTHD_METRICS_LISTEN)"))?;
            tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
            let ep = api::metrics::routes(db).boxed();
            Some(tokio::spawn(api::server::serve(listener, ep, limits, shutdown_signal())))
        }
        None => None,
    };
    api::server::serve(listener, app.boxed(), limits, shutdown_signal()).await?;
    if let Some(metrics) = metrics {
        metrics.await??;
    }
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
