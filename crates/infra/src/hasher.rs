//! argon2id password hashing on a few dedicated threads, behind a bounded
//! queue: a storm of logins neither starves the async workers nor waits
//! without end — a hash that could not start within the allowed wait is
//! refused at once ([`Error::Overloaded`](domain::Error::Overloaded)).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use domain::Result;
use domain::password::Password;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// argon2id cost: OWASP's minimum (m = 19 MiB, t = 2, p = 1) by default. The
/// parameters travel in each PHC string, so raising them later keeps old
/// hashes verifiable.
#[derive(Debug, Clone, Copy)]
pub struct Argon2Cost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for Argon2Cost {
    fn default() -> Self {
        Self { m_kib: 19 * 1024, t: 2, p: 1 }
    }
}

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// How long a hashing thread keeps its working memory after its last hash:
/// through a burst of logins it is reused, and once logins stop it goes
/// back to the operating system.
pub const KEEP_MEMORY_FOR: Duration = Duration::from_secs(5);

/// A hashing thread's argon2 instance and working memory. The memory is
/// mapped once and reused while hashes keep coming: argon2 needs 19 MiB per
/// hash, and mapping it afresh for each would fault it in on every hash.
/// It is mapped from the operating system directly, not the allocator, so
/// that letting it go ([`Workspace::release`]) gives it back at once.
pub struct Workspace {
    argon: Argon2<'static>,
    blocks: Option<Blocks>,
    /// Bytes mapped by every workspace of one hasher.
    mapped: Arc<AtomicU64>,
}

/// Zeroed memory for `len` argon2 blocks, mapped anonymously.
struct Blocks {
    at: std::ptr::NonNull<Block>,
    len: usize,
}

// SAFETY: the mapping is owned by one `Blocks` and reached only through `&mut`.
unsafe impl Send for Blocks {}

impl Blocks {
    fn map(len: usize) -> Result<Self> {
        let bytes = len * std::mem::size_of::<Block>();
        // SAFETY: a fresh private anonymous mapping; no memory of ours is touched.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if at == libc::MAP_FAILED {
            return Err(internal(format!("cannot map {bytes} bytes for argon2: {}", std::io::Error::last_os_error())));
        }
        let at = std::ptr::NonNull::new(at.cast::<Block>()).ok_or_else(|| internal("mmap returned null"))?;
        Ok(Self { at, len })
    }

    fn bytes(&self) -> u64 {
        (self.len * std::mem::size_of::<Block>()) as u64
    }

    fn as_mut(&mut self) -> &mut [Block] {
        // SAFETY: page-aligned (Block needs 64), `len` blocks long, zeroed by
        // the kernel (all-zero words are a valid Block), and borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.at.as_ptr(), self.len) }
    }
}

impl Drop for Blocks {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `map` made, no longer borrowed.
        unsafe {
            libc::munmap(self.at.as_ptr().cast(), self.len * std::mem::size_of::<Block>());
        }
    }
}

fn internal(e: impl std::fmt::Display) -> domain::Error {
    domain::Error::internal(e.to_string())
}

impl Workspace {
    fn new(argon: Argon2<'static>, mapped: Arc<AtomicU64>) -> Self {
        Self { argon, blocks: None, mapped }
    }

    fn blocks(&mut self, params: &Params) -> Result<&mut [Block]> {
        let n = params.block_count();
        if self.blocks.as_ref().is_none_or(|b| b.len < n) {
            self.release(); // unmapped before the larger one is mapped
            let blocks = Blocks::map(n)?;
            self.mapped.fetch_add(blocks.bytes(), Ordering::Relaxed);
            self.blocks = Some(blocks);
        }
        Ok(&mut self.blocks.as_mut().expect("just mapped").as_mut()[..n])
    }

    /// Whether the working memory is mapped now.
    fn holds_memory(&self) -> bool {
        self.blocks.is_some()
    }

    /// Gives the working memory back to the operating system.
    fn release(&mut self) {
        if let Some(blocks) = self.blocks.take() {
            self.mapped.fetch_sub(blocks.bytes(), Ordering::Relaxed);
        }
    }

    /// A PHC string for `password` with a fresh random salt.
    fn hash(&mut self, password: &[u8]) -> Result<String> {
        let params = self.argon.params().clone();
        let salt = Salt::generate();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let argon = self.argon.clone();
        argon.hash_password_into_with_memory(password, &salt, &mut out, self.blocks(&params)?).map_err(internal)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(internal)?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(internal)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches `phc`, with the parameters `phc` names
    /// (older, weaker hashes keep verifying), compared in constant time.
    fn verify(&mut self, password: &[u8], phc: &str) -> Result<bool> {
        let parsed = PasswordHash::new(phc).map_err(internal)?;
        let params = Params::try_from(&parsed).map_err(internal)?;
        let algorithm = Algorithm::new(parsed.algorithm).map_err(internal)?;
        let version = parsed.version.map(Version::try_from).transpose().map_err(internal)?.unwrap_or_default();
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(domain::Error::internal("PHC string without salt or hash"));
        };
        let argon = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        argon
            .hash_password_into_with_memory(password, salt.as_ref(), &mut out, self.blocks(&params)?)
            .map_err(internal)?;
        Ok(out.ct_eq(expected.as_bytes()).into())
    }
}

/// The queue in front of the hashing threads: how many hashes are queued or
/// running, and how long one round of hashing takes as seen from the queue
/// (a moving average of observed waits per round, which counts everything
/// that slows the threads: other load, CPU priority, scheduling), from which
/// the wait of a hash submitted now is foreseen, and what the hash that
/// last reached a thread waited, which shows a slowdown at once where the
/// average takes a few rounds to follow.
struct Queue {
    threads: u64,
    outstanding: AtomicU64,
    round_us: AtomicU64,
    last_wait_us: AtomicU64,
}

impl Queue {
    /// The rounds of hashing before a thread is free for a hash with `ahead`
    /// hashes queued or running before it.
    fn rounds_behind(&self, ahead: u64) -> u64 {
        (ahead + 1).saturating_sub(self.threads).div_ceil(self.threads)
    }

    /// The wait foreseen for a hash `rounds` behind: none without a queue;
    /// with one, the average's forecast, and at least what the last hash to
    /// reach a thread waited (those ahead will not go faster than it did).
    fn wait(&self, rounds: u64) -> Duration {
        if rounds == 0 {
            return Duration::ZERO;
        }
        let forecast = rounds.saturating_mul(self.round_us.load(Ordering::Relaxed));
        Duration::from_micros(forecast.max(self.last_wait_us.load(Ordering::Relaxed)))
    }

    /// Folds one observed round (a wait divided by its rounds, or a hash's
    /// own duration) into the average, with weight 1/8.
    fn observe_round(&self, d: Duration) {
        let sample = d.as_micros().min(u64::MAX as u128) as u64;
        let _ =
            self.round_us.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |avg| Some(avg - avg / 8 + sample / 8));
    }
}

/// A place in the [`Queue`], given back when the hash is done or dropped.
struct Place(Arc<Queue>);

impl Drop for Place {
    fn drop(&mut self) {
        let left = self.0.outstanding.fetch_sub(1, Ordering::AcqRel) - 1;
        metrics::gauge!("authd_hash_queue_depth").set(left as f64);
    }
}

/// Hashes run on `concurrency` dedicated threads, not tokio's blocking pool,
/// each with its own [`Workspace`]: memory stays at one workspace per thread
/// however many logins queue up. The threads run at a lower CPU priority so
/// token checks are served first during a login storm. With a
/// [`max_wait`](Self::max_wait), a hash that would wait longer for a thread
/// is refused at once, and a hash whose caller has gone is never computed.
#[derive(Clone)]
pub struct Argon2Hasher {
    jobs: flume::Sender<Job>,
    queue: Arc<Queue>,
    max_wait: Option<Duration>,
    dummy: Arc<str>,
    mapped: Arc<AtomicU64>,
}

impl Argon2Hasher {
    /// `concurrency` hashes may run at once (usually the number of cores);
    /// the queue in front of them is unbounded until [`max_wait`](Self::max_wait).
    pub fn new(cost: Argon2Cost, concurrency: usize) -> Result<Self> {
        Self::keeping_memory_for(cost, concurrency, KEEP_MEMORY_FOR)
    }

    /// [`new`](Self::new), each thread keeping its working memory `keep`
    /// after its last hash.
    pub fn keeping_memory_for(cost: Argon2Cost, concurrency: usize, keep: Duration) -> Result<Self> {
        let mapped = Arc::new(AtomicU64::new(0));
        let params = Params::new(cost.m_kib, cost.t, cost.p, None).map_err(internal)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let (jobs, queue) = flume::unbounded::<Job>();
        for i in 0..concurrency.max(1) {
            let (queue, argon, mapped) = (queue.clone(), argon.clone(), mapped.clone());
            std::thread::Builder::new()
                .name(format!("authd-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    let mut workspace = Workspace::new(argon, mapped);
                    loop {
                        let job = if workspace.holds_memory() {
                            queue.recv_timeout(keep)
                        } else {
                            queue.recv().map_err(|_| flume::RecvTimeoutError::Disconnected)
                        };
                        match job {
                            Ok(job) => job(&mut workspace),
                            Err(flume::RecvTimeoutError::Timeout) => workspace.release(),
                            Err(flume::RecvTimeoutError::Disconnected) => return, // every hasher clone is gone
                        }
                    }
                })
                .map_err(internal)?;
        }
        // The dummy hash also gives the queue its first measure of a hash.
        let started = Instant::now();
        let dummy = Workspace::new(argon, Arc::new(AtomicU64::new(0)))
            .hash(b"no one's password: only here to spend the same time")?;
        let hash_us = started.elapsed().as_micros().max(1) as u64;
        let queue = Arc::new(Queue {
            threads: concurrency.max(1) as u64,
            outstanding: AtomicU64::new(0),
            round_us: AtomicU64::new(hash_us),
            last_wait_us: AtomicU64::new(0),
        });
        Ok(Self { jobs, queue, max_wait: None, dummy: dummy.into(), mapped })
    }

    /// The working memory the hashing threads hold now, in bytes.
    pub fn working_memory(&self) -> u64 {
        self.mapped.load(Ordering::Relaxed)
    }

    /// Refuses a hash that would wait longer than `max_wait` for a thread
    /// (`AUTHD_HASH_QUEUE_MAX_WAIT_MS`); `None` queues without bound.
    pub fn max_wait(mut self, max_wait: Option<Duration>) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Runs `f` on a hashing thread. With a [`max_wait`](Self::max_wait), a
    /// job whose foreseen wait is longer is refused before it is queued, and
    /// one queued behind others that has waited longer anyway (the foresight
    /// was wrong) is refused when its turn comes: no caller waits much past
    /// the limit. A job that finds a thread free always runs.
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&mut Workspace) -> T + Send + 'static) -> Result<T> {
        let ahead = self.queue.outstanding.fetch_add(1, Ordering::AcqRel);
        metrics::gauge!("authd_hash_queue_depth").set((ahead + 1) as f64);
        let place = Place(self.queue.clone());
        let rounds = self.queue.rounds_behind(ahead);
        self.refuse_past_bound(rounds)?;
        let max_wait = self.max_wait;
        let queued = Instant::now();
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |ws| {
                if tx.is_closed() {
                    return; // the caller has gone: no one would read the answer
                }
                let waited = queued.elapsed();
                place.0.last_wait_us.store(waited.as_micros().min(u64::MAX as u128) as u64, Ordering::Relaxed);
                metrics::histogram!("authd_hash_queue_wait_seconds").record(waited.as_secs_f64());
                if rounds > 0 {
                    place.0.observe_round(waited / rounds as u32);
                }
                // A hash that found a thread free is never refused: what it
                // waited is the thread waking up, not a queue.
                if rounds > 0 && max_wait.is_some_and(|max| waited > max) {
                    let _ = tx.send(Err(overloaded(place.0.wait(rounds))));
                    return;
                }
                let started = Instant::now();
                let out = f(ws);
                if rounds == 0 {
                    place.0.observe_round(started.elapsed());
                }
                drop(place); // before the answer, so the caller sees its place given back
                let _ = tx.send(Ok(out));
            }))
            .map_err(|_| domain::Error::internal("the hashing threads are gone"))?;
        rx.await.map_err(|_| domain::Error::internal("a hashing thread failed"))?
    }

    /// Refuses a hash `rounds` of hashing behind when its foreseen wait is
    /// past the bound.
    fn refuse_past_bound(&self, rounds: u64) -> Result<()> {
        let foreseen = self.queue.wait(rounds);
        match self.max_wait {
            Some(max) if foreseen > max => Err(overloaded(foreseen)),
            _ => Ok(()),
        }
    }
}

/// The refusal of a hash foreseen to wait `wait`: try again when the queue
/// ahead of it has drained, in whole seconds.
fn overloaded(wait: Duration) -> domain::Error {
    domain::Error::Overloaded { retry_after: Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64) }
}

/// Nice 19 (the lowest priority) for the calling thread: on Linux, PRIO_PROCESS with id 0 names
/// the calling thread only. Lowering one's own priority is always allowed.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority takes plain integers and touches no memory of ours.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

#[async_trait]
impl domain::ports::PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String> {
        let pw = SecretString::from(password.expose());
        self.blocking(move |ws| ws.hash(pw.expose_secret().as_bytes())).await?
    }

    async fn verify(&self, candidate: &SecretString, phc: &str) -> Result<bool> {
        let (candidate, phc) = (candidate.clone(), phc.to_owned());
        self.blocking(move |ws| ws.verify(candidate.expose_secret().as_bytes(), &phc)).await?
    }

    fn dummy_hash(&self) -> &str {
        &self.dummy
    }

    fn admit(&self) -> Result<()> {
        self.refuse_past_bound(self.queue.rounds_behind(self.queue.outstanding.load(Ordering::Acquire)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::PasswordHasher;

    #[tokio::test]
    async fn password_hash_is_argon2id_with_at_least_owasp_parameters_in_a_phc_string() {
        let h = Argon2Hasher::new(Argon2Cost::default(), 2).unwrap();
        let pw = Password::parse("quiet-lantern-harbour-88", &[]).unwrap();
        let phc = h.hash(&pw).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify(&SecretString::from("quiet-lantern-harbour-88"), &phc).await.unwrap());
        assert!(!h.verify(&SecretString::from("quiet-lantern-harbour-89"), &phc).await.unwrap());
    }

    #[tokio::test]
    async fn the_hashing_threads_give_their_working_memory_back_when_logins_stop() {
        let keep = Duration::from_millis(200);
        let h = Argon2Hasher::keeping_memory_for(Argon2Cost { m_kib: 1024, t: 1, p: 1 }, 2, keep).unwrap();
        assert_eq!(h.working_memory(), 0, "nothing held before the first hash");
        let pw = Password::parse("quiet-lantern-harbour-88", &[]).unwrap();
        let phc = h.hash(&pw).await.unwrap();
        assert_eq!(h.working_memory(), 1024 * 1024, "one thread's working memory, kept for the next hash");
        assert!(h.verify(&SecretString::from("quiet-lantern-harbour-88"), &phc).await.unwrap(), "still hashes");
        let deadline = Instant::now() + Duration::from_secs(10);
        while h.working_memory() > 0 {
            assert!(Instant::now() < deadline, "still held: {} bytes", h.working_memory());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(h.verify(&SecretString::from("quiet-lantern-harbour-88"), &phc).await.unwrap(), "maps it again");
    }

    #[tokio::test]
    async fn hashes_run_only_on_the_fixed_hashing_threads() {
        let h = Argon2Hasher::new(Argon2Cost { m_kib: 8 * 1024, t: 1, p: 1 }, 2).unwrap();
        let names = futures_names(&h, 16).await;
        assert!(names.iter().all(|n| n.starts_with("authd-hash-")), "{names:?}");
        let distinct: std::collections::BTreeSet<_> = names.into_iter().collect();
        assert!(distinct.len() <= 2, "{distinct:?}");
    }

    async fn futures_names(h: &Argon2Hasher, n: usize) -> Vec<String> {
        let calls: Vec<_> = (0..n)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(async move {
                    h.blocking(|_: &mut Workspace| std::thread::current().name().unwrap_or_default().to_owned())
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut names = Vec::new();
        for c in calls {
            names.push(c.await.unwrap());
        }
        names
    }

    /// One hashing thread at a cheap cost, with a queue bound of `max`.
    fn one_thread(max: Option<Duration>) -> Argon2Hasher {
        Argon2Hasher::new(Argon2Cost { m_kib: 8 * 1024, t: 1, p: 1 }, 1).unwrap().max_wait(max)
    }

    /// Holds the only hashing thread until the returned sender is dropped.
    async fn occupy(h: &Argon2Hasher) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let h2 = h.clone();
        let job = tokio::spawn(async move {
            h2.blocking(move |_| {
                let _ = started.send(());
                let _ = held.recv();
            })
            .await
            .unwrap();
        });
        running.await.unwrap();
        (release, job)
    }

    #[tokio::test]
    async fn a_hash_that_would_wait_past_the_queue_limit_is_refused_at_once_with_a_retry_time() {
        let pw = Password::parse("quiet-lantern-harbour-88", &[]).unwrap();
        let h = one_thread(Some(Duration::from_millis(1)));
        assert!(h.hash(&pw).await.is_ok(), "a free thread: no wait, no refusal");
        let (release, job) = occupy(&h).await;
        let refused = h.hash(&pw).await;
        assert!(
            matches!(refused, Err(domain::Error::Overloaded { retry_after }) if retry_after >= Duration::from_secs(1)),
            "{refused:?}"
        );
        drop(release);
        job.await.unwrap();
        assert_eq!(h.queue.outstanding.load(Ordering::Acquire), 0, "every place was given back");
        assert!(h.hash(&pw).await.is_ok(), "the queue is free again");
    }

    #[tokio::test]
    async fn a_hash_that_waited_past_the_queue_limit_anyway_is_refused_when_its_turn_comes() {
        let h = one_thread(Some(Duration::from_millis(5)));
        let (release, job) = occupy(&h).await;
        h.queue.round_us.store(0, Ordering::Relaxed); // foresee no wait: it is queued
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let late = tokio::spawn({
            let (h, ran) = (h.clone(), ran.clone());
            async move { h.blocking(move |_| ran.store(true, Ordering::SeqCst)).await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        drop(release);
        job.await.unwrap();
        let answer = late.await.unwrap();
        assert!(matches!(answer, Err(domain::Error::Overloaded { .. })), "{answer:?}");
        assert!(!ran.load(Ordering::SeqCst), "a refused hash is not computed");
        assert!(h.queue.round_us.load(Ordering::Relaxed) > 0, "the wait it saw was learned");
    }

    #[tokio::test]
    async fn a_queue_whose_last_hash_waited_past_the_limit_refuses_new_hashes_at_once() {
        let h = one_thread(Some(Duration::from_millis(5)));
        let (release, job) = occupy(&h).await;
        h.queue.round_us.store(0, Ordering::Relaxed); // the average foresees no wait,
        h.queue.last_wait_us.store(10_000, Ordering::Relaxed); // but the last hash to start waited 10 ms
        // Were it queued, it would wait for the held thread: the timeout would pass.
        let refused = tokio::time::timeout(Duration::from_secs(10), h.blocking(|_| ())).await;
        assert!(matches!(refused, Ok(Err(domain::Error::Overloaded { .. }))), "{refused:?}");
        drop(release);
        job.await.unwrap();
        assert!(h.blocking(|_| ()).await.is_ok(), "with no queue, a free thread takes it whatever the last wait was");
        assert!(h.queue.last_wait_us.load(Ordering::Relaxed) < 10_000, "and its own wait is what is seen next");
    }

    #[tokio::test]
    async fn a_hash_that_finds_a_thread_free_is_never_refused() {
        // A zero limit: any wait at all, even the thread waking up, is past it.
        let h = one_thread(Some(Duration::ZERO));
        for _ in 0..5 {
            assert!(h.blocking(|_| ()).await.is_ok(), "no queue ahead: it runs");
        }
    }

    #[tokio::test]
    async fn admission_is_refused_at_once_while_a_new_hash_would_wait_past_the_limit() {
        use domain::ports::PasswordHasher;
        let h = one_thread(Some(Duration::from_millis(1)));
        assert!(h.admit().is_ok(), "a free thread");
        let (release, job) = occupy(&h).await;
        h.queue.round_us.store(50_000, Ordering::Relaxed); // a round of hashing takes 50 ms
        assert!(matches!(h.admit(), Err(domain::Error::Overloaded { .. })), "one round ahead, 1 ms allowed");
        drop(release);
        job.await.unwrap();
        assert!(h.admit().is_ok(), "the thread is free again");
        let unbounded = one_thread(None);
        let (release, job) = occupy(&unbounded).await;
        assert!(unbounded.admit().is_ok(), "no bound: always admitted");
        drop(release);
        job.await.unwrap();
    }

    #[tokio::test]
    async fn without_a_limit_hashes_queue_and_all_finish() {
        let h = one_thread(None);
        let (release, job) = occupy(&h).await;
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(async move { h.hash(&Password::parse("quiet-lantern-harbour-88", &[]).unwrap()).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await; // let them queue behind the held thread
        drop(release);
        job.await.unwrap();
        for w in waiting {
            assert!(w.await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn a_hash_whose_caller_has_gone_is_never_computed() {
        let h = one_thread(None);
        let (release, job) = occupy(&h).await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let abandoned = {
            let ran = ran.clone();
            h.blocking(move |_| ran.store(true, Ordering::SeqCst))
        };
        assert!(tokio::time::timeout(Duration::from_millis(20), abandoned).await.is_err(), "it had to wait");
        drop(release);
        job.await.unwrap();
        h.blocking(|_| ()).await.unwrap(); // the one thread has passed the abandoned job
        assert!(!ran.load(Ordering::SeqCst), "the abandoned hash ran");
        assert_eq!(h.queue.outstanding.load(Ordering::Acquire), 0);
    }

    #[test]
    fn the_foreseen_wait_counts_whole_rounds_of_hashing_across_the_threads() {
        let q = Queue {
            threads: 2,
            outstanding: AtomicU64::new(0),
            round_us: AtomicU64::new(100),
            last_wait_us: AtomicU64::new(0),
        };
        let waits: Vec<u64> = (0..6).map(|ahead| q.wait(q.rounds_behind(ahead)).as_micros() as u64).collect();
        assert_eq!(waits, [0, 0, 100, 100, 200, 200]);
        q.observe_round(Duration::from_micros(900));
        assert_eq!(q.round_us.load(Ordering::Relaxed), 100 - 12 + 112);
    }

    #[test]
    fn the_retry_time_is_the_foreseen_wait_in_whole_seconds_and_at_least_one() {
        let secs = |ms| match overloaded(Duration::from_millis(ms)) {
            domain::Error::Overloaded { retry_after } => retry_after.as_secs(),
            other => panic!("{other:?}"),
        };
        assert_eq!([secs(0), secs(999), secs(1000), secs(1001), secs(2500)], [1, 1, 1, 2, 3]);
    }

    #[tokio::test]
    async fn dummy_hash_verifies_nothing_but_is_a_real_hash() {
        let h = Argon2Hasher::new(Argon2Cost::default(), 1).unwrap();
        assert!(h.dummy_hash().starts_with("$argon2id$"));
        assert!(!h.verify(&SecretString::from(""), h.dummy_hash()).await.unwrap());
    }

    #[tokio::test]
    async fn hash_of_another_strength_still_verifies() {
        let weak = Argon2Hasher::new(Argon2Cost { m_kib: 8 * 1024, t: 1, p: 1 }, 1).unwrap();
        let pw = Password::parse("quiet-lantern-harbour-88", &[]).unwrap();
        let old = weak.hash(&pw).await.unwrap();
        let strong = Argon2Hasher::new(Argon2Cost::default(), 1).unwrap();
        assert!(strong.verify(&SecretString::from("quiet-lantern-harbour-88"), &old).await.unwrap());
    }
}
