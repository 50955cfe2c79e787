//! argon2id password hashing, run on the blocking pool behind a semaphore so a
//! storm of logins queues for CPU instead of starving the async workers.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use domain::Result;
use domain::password::Password;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

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

#[derive(Clone)]
pub struct Argon2Hasher {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    dummy: String,
}

impl Argon2Hasher {
    /// `concurrency` hashes may run at once (usually the number of cores).
    pub fn new(cost: Argon2Cost, concurrency: usize) -> Result<Self> {
        let params = Params::new(cost.m_kib, cost.t, cost.p, None).map_err(domain::Error::internal)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = argon
            .hash_password(b"no one's password: only here to spend the same time")
            .map_err(domain::Error::internal)?
            .to_string();
        Ok(Self { argon, permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy })
    }

    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&Argon2<'static>) -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(domain::Error::internal)?;
        let argon = self.argon.clone();
        tokio::task::spawn_blocking(move || f(&argon)).await.map_err(domain::Error::internal)
    }
}

#[async_trait]
impl domain::ports::PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String> {
        let pw = SecretString::from(password.expose());
        self.blocking(move |a| a.hash_password(pw.expose_secret().as_bytes()).map(|h| h.to_string()))
            .await?
            .map_err(domain::Error::internal)
    }

    async fn verify(&self, candidate: &SecretString, phc: &str) -> Result<bool> {
        let candidate = candidate.clone();
        let phc = phc.to_owned();
        self.blocking(move |a| {
            let parsed = PasswordHash::new(&phc).map_err(domain::Error::internal)?;
            Ok(a.verify_password(candidate.expose_secret().as_bytes(), &parsed).is_ok())
        })
        .await?
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
