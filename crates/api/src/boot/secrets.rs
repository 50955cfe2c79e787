//! The server's secrets as configured: the HS256 secret (in dev generated
//! once into the data dir), the sealer of what must be read back, and the
//! key the pages' forms are signed with.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use infra::csrf::CsrfKey;
use infra::sealer::ChaChaSealer;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Settings;
use crate::http::csrf::FormSigner;

/// The HS256 secret: the configured one, or in dev one generated once
/// into `<data dir>/jwt_secret` (mode 0600) and reused after.
pub fn jwt_secret(settings: &Settings) -> anyhow::Result<SecretString> {
    if let Some(s) = &settings.tokens.jwt_secret {
        return Ok(s.clone());
    }
    if settings.server.production() {
        bail!("AUTHD_JWT_SECRET must be set when AUTHD_ENV=production");
    }
    let path = settings.server.data_dir.join("jwt_secret");
    let min = domain::token::MIN_SECRET_BYTES;
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= min {
            return Ok(existing.into());
        }
        bail!("{} holds a secret shorter than {min} bytes; delete it to generate a new one", path.display());
    }
    let mut raw = [0u8; 32];
    domain::rng::Rng::fill(&infra::rng::OsRng, &mut raw);
    let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, secret.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development signing secret");
    Ok(secret.into())
}

/// Seals what must be read back (authenticator secrets, signing keys):
/// under `AUTHD_ENCRYPTION_KEY`, or a key derived from the JWT secret.
pub fn sealer(settings: &Settings) -> anyhow::Result<Arc<ChaChaSealer>> {
    Ok(Arc::new(match &settings.tokens.encryption_key {
        Some(key) => ChaChaSealer::derived_from(key.expose_secret().as_bytes()),
        None => ChaChaSealer::derived_from(jwt_secret(settings)?.expose_secret().as_bytes()),
    }))
}

/// The key the pages' forms are signed with, derived from the JWT secret
/// under its own label.
pub fn form_signer(settings: &Settings) -> anyhow::Result<Arc<dyn FormSigner>> {
    Ok(Arc::new(CsrfKey::derived_from(jwt_secret(settings)?.expose_secret().as_bytes())))
}

impl FormSigner for CsrfKey {
    fn token(&self, cookie: &str, session: Option<uuid::Uuid>) -> String {
        CsrfKey::token(self, cookie, session)
    }

    fn verify(&self, cookie: &str, session: Option<uuid::Uuid>, token: &str) -> bool {
        CsrfKey::verify(self, cookie, session, token)
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_secret_is_generated_once_and_kept_private() {
        let dir = std::env::temp_dir().join(format!("authd-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = Settings::default();
        s.server.data_dir = dir.clone();
        let first = jwt_secret(&s).unwrap();
        let second = jwt_secret(&s).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt_secret")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
