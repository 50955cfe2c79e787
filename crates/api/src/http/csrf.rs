//! What the pages' forms are signed with against cross-site request forgery
//! (the signed double-submit cookie of OWASP's CSRF cheat sheet). The pages
//! see this trait; `boot/` gives them infra's HMAC key
//! (`infra::csrf::CsrfKey`).

/// Signs and checks the token every form carries.
pub trait FormSigner: Send + Sync {
    /// The token for forms shown to the browser holding `cookie`, in `session` (if any).
    fn token(&self, cookie: &str, session: Option<uuid::Uuid>) -> String;
    /// Whether `token` is the one [`token`](Self::token) makes for this cookie and session.
    fn verify(&self, cookie: &str, session: Option<uuid::Uuid>, token: &str) -> bool;
}
