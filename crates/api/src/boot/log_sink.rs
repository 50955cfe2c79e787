//! Where log lines go: whoever logs appends the line to a buffer in memory,
//! and a thread of its own writes the buffer to stdout, in batches.
//!
//! A request never waits on stdout. The writer wakes when the first line of
//! a batch arrives, lets the lines of the next [`BATCH_WINDOW`] gather and
//! writes them with one `write`, so under load a line costs a copy instead
//! of a system call and a wakeup of whoever reads the pipe (a container
//! runtime, journald). An idle server wakes nobody. When stdout is stuck and
//! [`MAX_PENDING`] bytes wait, new lines are dropped, counted, and reported
//! on stderr once writing resumes. Dropping the [`LogGuard`] writes what is
//! still waiting.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the lines after a batch's first are let gather before they are written.
pub const BATCH_WINDOW: Duration = Duration::from_millis(5);
/// The most bytes that wait for stdout; lines past it are dropped.
pub const MAX_PENDING: usize = 16 << 20;

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    dropped: u64,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    arrived: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while appending leaves at worst a partial line.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer tracing-subscriber formats each line into (one `write` per line).
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

/// Keeps the writing thread; dropping it writes what waits and stops the thread.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A sink writing to `out` from a thread named `authd-log`.
pub fn spawn<W: Write + Send + 'static>(out: W) -> (LogSink, LogGuard) {
    let shared = Arc::<Shared>::default();
    let writer = shared.clone();
    let thread = std::thread::Builder::new()
        .name("authd-log".into())
        .spawn(move || write_batches(&writer, out))
        .expect("the log writer thread starts");
    (LogSink { shared: shared.clone() }, LogGuard { shared, thread: Some(thread) })
}

fn write_batches<W: Write>(shared: &Shared, mut out: W) {
    let mut batch = Vec::new();
    loop {
        let mut pending = shared.lock();
        while pending.lines.is_empty() && !pending.closed {
            pending = shared.arrived.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
        if !pending.closed {
            drop(pending);
            std::thread::sleep(BATCH_WINDOW);
            pending = shared.lock();
        }
        // The emptied batch goes back as the buffer: no allocation per batch.
        std::mem::swap(&mut pending.lines, &mut batch);
        let (dropped, closed) = (std::mem::take(&mut pending.dropped), pending.closed);
        drop(pending);
        // A stdout that fails (closed by its reader) loses the lines: there
        // is nowhere else to write them.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if dropped > 0 {
            eprintln!("authd: {dropped} log lines dropped: stdout did not keep up");
        }
        if closed {
            return;
        }
    }
}

impl Write for &LogSink {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.shared.lock();
        if pending.lines.len() + line.len() > MAX_PENDING {
            pending.dropped += 1;
            return Ok(line.len());
        }
        let first = pending.lines.is_empty();
        pending.lines.extend_from_slice(line);
        drop(pending);
        if first {
            self.shared.arrived.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = &'a LogSink;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.arrived.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stdout that keeps what reaches it and counts the writes.
    #[derive(Clone, Default)]
    struct Out(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Out {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let mut out = self.0.lock().unwrap();
            out.0.extend_from_slice(bytes);
            out.1 += 1;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_logged_together_reach_stdout_whole_in_order_and_in_few_writes() {
        let out = Out::default();
        let (sink, guard) = spawn(out.clone());
        for i in 0..100 {
            (&sink).write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while out.0.lock().unwrap().0.is_empty() {
            assert!(std::time::Instant::now() < until, "the lines were never written");
            std::thread::sleep(Duration::from_millis(1));
        }
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let (text, writes) = out.0.lock().unwrap().clone();
        assert_eq!(String::from_utf8(text).unwrap(), expected);
        // One batch, unless this thread was held up past the window meanwhile.
        assert!(writes <= 10, "{writes} writes for 100 lines: not batched");
        drop(guard);
    }

    #[test]
    fn dropping_the_guard_writes_every_line_still_waiting() {
        let out = Out::default();
        let (sink, guard) = spawn(out.clone());
        (&sink).write_all(b"last words\n").unwrap();
        drop(guard);
        assert_eq!(out.0.lock().unwrap().0, b"last words\n");
    }

    #[test]
    fn lines_past_the_pending_bound_are_dropped_not_waited_for() {
        // A stdout that blocks until released, as a full pipe does.
        struct Stuck(Arc<Mutex<()>>, Out);
        impl Write for Stuck {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let _held = self.0.lock().unwrap();
                self.1.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let out = Out::default();
        let (sink, guard) = spawn(Stuck(gate.clone(), out.clone()));
        let line = vec![b'x'; 1024];
        (&sink).write_all(&line).unwrap();
        std::thread::sleep(BATCH_WINDOW * 4); // the writer takes it and blocks
        for _ in 0..(MAX_PENDING / line.len() + 100) {
            (&sink).write_all(&line).unwrap();
        }
        assert!(sink.shared.lock().dropped >= 100, "lines past the bound were dropped");
        drop(held);
        drop(guard);
        let written = out.0.lock().unwrap().0.len();
        assert!(written <= line.len() + MAX_PENDING, "{written} bytes: no more than the bound was kept");
        assert!(written > MAX_PENDING / 2, "what was kept was written");
    }
}
