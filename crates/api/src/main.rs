//! The `authd` binary.

/// mimalloc: under load glibc's malloc and free took about 12% of authd's
/// CPU on a token check; `--ceilings-only` measured verify-token at 42% of
/// the bare handler with it, 34% without. Its memory settings are in
/// [`allocator`].
/// `--features system-allocator` builds with the system's malloc instead,
/// for heap profilers that hook it (heaptrack, valgrind's massif).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(feature = "system-allocator"))]
mod allocator {
    //! How mimalloc holds memory. Its defaults reserve a 1 GiB arena
    //! committed up front and purge freed pages only while it is busy, so
    //! an idle authd kept everything it had touched (62 MiB of anonymous
    //! memory 5 s after start, of which about 13 MiB was in use). authd
    //! commits arena memory as it is used and purges freed pages at once
    //! (docs/benchmarks.md, the memory table, has the figures). These are
    //! defaults: a `MIMALLOC_<OPTION>` environment variable still wins.
    use std::ffi::{c_int, c_long};

    /// mimalloc 3's `mi_option_e` (include/mimalloc.h).
    const ARENA_EAGER_COMMIT: c_int = 4;
    const PURGE_DELAY: c_int = 15;

    const DEFAULTS: [(c_int, &std::ffi::CStr, c_long); 2] =
        [(ARENA_EAGER_COMMIT, c"MIMALLOC_ARENA_EAGER_COMMIT", 0), (PURGE_DELAY, c"MIMALLOC_PURGE_DELAY", 0)];

    unsafe extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
        fn mi_collect(force: bool);
    }

    /// How often a tokio worker going to sleep gives memory back, at most.
    const GIVE_BACK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

    /// Called by each tokio worker as it goes to sleep: at most once a
    /// [`GIVE_BACK_EVERY`], its heap's empty pages are freed and purged.
    /// mimalloc does that only while a thread allocates, so a worker that
    /// fell idle after a burst kept every page the burst had emptied (about
    /// 12 MiB of the first node's 17 MiB heap 40 s after the bench's load,
    /// with 5 MiB in use).
    pub fn give_back() {
        use std::cell::Cell;
        use std::time::Instant;
        thread_local!(static LAST: Cell<Option<Instant>> = const { Cell::new(None) });
        let now = Instant::now();
        LAST.with(|last| {
            if last.get().is_some_and(|at| now.duration_since(at) < GIVE_BACK_EVERY) {
                return;
            }
            last.set(Some(now));
            // SAFETY: collects the calling thread's own heap; no pointer is passed.
            unsafe { mi_collect(false) }
        });
    }

    extern "C" fn configure() {
        for (option, env, value) in DEFAULTS {
            // SAFETY: getenv reads the environment libc set up before any
            // constructor runs; mi_option_set writes mimalloc's option table,
            // which needs no initialisation.
            unsafe {
                if libc::getenv(env.as_ptr()).is_null() {
                    mi_option_set(option, value);
                }
            }
        }
    }

    /// Runs before mimalloc's own constructor (priority 101) and so before
    /// its first arena is reserved: constructors run in ascending priority.
    #[used]
    #[unsafe(link_section = ".init_array.00100")]
    static CONFIGURE: extern "C" fn() = configure;
}

use std::path::PathBuf;

use anyhow::Context;
use api::config::Settings;
use clap::{Parser, Subcommand};
use domain::admin::Bootstrap;

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
    /// Signing keys: EdDSA (every token when AUTHD_JWT_ALG=EdDSA, and ID
    /// tokens that ask for it) and RS256 (ID tokens).
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
        /// The algorithm of the generated key: EdDSA or RS256 (RSA, 2048 bits).
        #[arg(long, default_value = "EdDSA")]
        alg: String,
        /// Use this private key (PEM: Ed25519 in PKCS#8, or RSA of 2048 bits
        /// or more in PKCS#8 or PKCS#1) instead of generating one; its kind
        /// must be --alg's.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Every key, with when it signs and when it retires.
    List,
}

fn main() {
    api::boot::data_dir::private_by_default();
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    #[cfg(not(feature = "system-allocator"))]
    runtime.on_thread_park(allocator::give_back);
    let served = runtime.build().context("cannot start the async runtime").and_then(|rt| rt.block_on(run(cli)));
    if let Err(e) = served {
        eprintln!("authd: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let _logs = api::boot::telemetry::init(settings.server.log_format());
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => api::boot::serve::serve(settings).await,
        Command::Migrate => {
            api::boot::data_dir::prepare(&settings.server.data_dir)?;
            let db = infra::connect(&settings.database_url(), 1).await.context("cannot open the database")?;
            infra::db::migrate(&db).await.context("migrating failed")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Keys { command: KeysCommand::Rotate { alg, key_file } } => {
            println!("{}", api::boot::signing::rotate_command(&settings, &alg, key_file.as_deref()).await?);
            Ok(())
        }
        Command::Keys { command: KeysCommand::List } => {
            println!("{}", api::boot::signing::list_command(&settings).await?);
            Ok(())
        }
        Command::Health { address } => {
            api::http::health::probe(address.as_deref().unwrap_or(&settings.server.listen)).await
        }
        Command::CreateAdmin { email, username, name, lastname } => {
            let services = api::boot::node::build_services(&settings).await?.services;
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

/// The new administrator's password: typed twice without echo on a
/// terminal (a typo would lock the only admin out), or the first line of
/// standard input otherwise.
fn read_password() -> anyhow::Result<secrecy::SecretString> {
    use std::io::{BufRead, IsTerminal};
    let line = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password for the new administrator: ")?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was created");
        }
        first
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
