//! Waiting for a spawned server to say where it listens; shared by the
//! black-box suite and the benchmark.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::time::{Duration, Instant};

/// Reads `child`'s stdout (it must be piped) until a line says "listening on
/// http://…", and returns that URL. Keeps draining stdout afterwards so the
/// child never blocks on a full pipe, appending every line to `kept` if given.
/// Fails if the child exits or `within` passes.
pub fn wait_for_address(
    child: &mut Child,
    within: Duration,
    kept: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
) -> Result<String, String> {
    let stdout = child.stdout.take().ok_or("stdout is not piped")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(kept) = &kept {
                kept.lock().expect("not poisoned").push(line.clone());
            }
            if !sent && let Some(at) = line.find("listening on http://") {
                let rest = &line[at + "listening on ".len()..];
                let url: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
                let _ = tx.send(url);
                sent = true;
            }
        }
    });
    let deadline = Instant::now() + within;
    loop {
        if let Ok(url) = rx.recv_timeout(Duration::from_millis(100)) {
            return Ok(url);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited before listening: {status}"));
        }
        if Instant::now() >= deadline {
            return Err(format!("the server did not start listening within {} s", within.as_secs()));
        }
    }
}
