//! argon2id password hashing, run on the blocking pool behind a semaphore so a
//! storm of logins queues for CPU instead of starving the async workers.

use std::sync::{Arc, Mutex};

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

/// A hashing thread's argon2 instance and working memory. The memory is
/// allocated once and reused: argon2 needs 19 MiB per hash, and going through
/// the allocator each time either keeps that much per thread in glibc's
/// arenas or, with the memory returned, faults it in afresh on every hash.
pub struct Workspace {
    argon: Argon2<'static>,
    blocks: Vec<Block>,
}

fn internal(e: impl std::fmt::Display) -> domain::Error {
    domain::Error::internal(e.to_string())
}

impl Workspace {
    fn new(argon: Argon2<'static>) -> Self {
        Self { argon, blocks: Vec::new() }
    }

    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let n = params.block_count();
        if self.blocks.len() < n {
            self.blocks.resize(n, Block::new());
        }
        &mut self.blocks[..n]
    }

    /// A PHC string for `password` with a fresh random salt.
    fn hash(&mut self, password: &[u8]) -> Result<String> {
        let params = self.argon.params().clone();
        let salt = Salt::generate();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let argon = self.argon.clone();
        argon.hash_password_into_with_memory(password, &salt, &mut out, self.blocks(&params)).map_err(internal)?;
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
            .hash_password_into_with_memory(password, salt.as_ref(), &mut out, self.blocks(&params))
            .map_err(internal)?;
        Ok(out.ct_eq(expected.as_bytes()).into())
    }
}

/// Hashes run on `concurrency` dedicated threads, not tokio's blocking pool,
/// each with its own [`Workspace`]: memory stays at one workspace per thread
/// however many logins queue up. The threads run at a lower CPU priority so
/// token checks are served first during a login storm.
#[derive(Clone)]
pub struct Argon2Hasher {
    jobs: std::sync::mpsc::Sender<Job>,
    dummy: Arc<str>,
}

impl Argon2Hasher {
    /// `concurrency` hashes may run at once (usually the number of cores).
    pub fn new(cost: Argon2Cost, concurrency: usize) -> Result<Self> {
        let params = Params::new(cost.m_kib, cost.t, cost.p, None).map_err(internal)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency.max(1) {
            let (queue, argon) = (queue.clone(), argon.clone());
            std::thread::Builder::new()
                .name(format!("authd-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    let mut workspace = Workspace::new(argon);
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = queue.lock().map(|q| q.recv());
                        match job {
                            Ok(Ok(job)) => job(&mut workspace),
                            _ => return, // every hasher clone is gone
                        }
                    }
                })
                .map_err(internal)?;
        }
        let mut hasher = Self { jobs, dummy: Arc::from("") };
        let dummy = Workspace::new(argon).hash(b"no one's password: only here to spend the same time")?;
        hasher.dummy = dummy.into();
        Ok(hasher)
    }

    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&mut Workspace) -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |ws| {
                let _ = tx.send(f(ws));
            }))
            .map_err(|_| domain::Error::internal("the hashing threads are gone"))?;
        rx.await.map_err(|_| domain::Error::internal("a hashing thread failed"))
    }
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
