//! Where a code goes ([`Destination`]), and how events and answers show a
//! destination: masked, enough to recognise and not to use.

use super::challenge::OtpChallenge;
use super::link::LinkToken;
use crate::audit::Detail;
use crate::notify::{Channel, MessageKind};
use crate::subject::Subject;

/// Where a code goes, and why: the message's wording follows `kind`.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub channel: Channel,
    /// An email address for mail, the E.164 number otherwise.
    pub to: &'a str,
    pub kind: MessageKind,
    /// Who the message says it is from: an application's name, for its
    /// verifications; `None` for authd's own messages.
    pub sender: Option<&'a str>,
    /// The token of the link the message carries (email proofs, resets).
    pub link: Option<&'a LinkToken>,
}

/// What an event about an application's challenge adds: which verification,
/// and where it went, masked. A user's events need neither.
pub(crate) fn about(challenge: &OtpChallenge) -> Vec<(&'static str, Detail)> {
    match (challenge.owner, challenge.destination.as_deref()) {
        (Subject::App(_), Some(to)) => vec![("verification", challenge.id.to_string().into()), ("to", mask(to).into())],
        _ => Vec::new(),
    }
}

/// A destination as events and answers show it: enough to recognise, not
/// to use. `ada@example.com` → `a***@example.com`, `+4915112345678` →
/// `+49*******5678`.
pub fn mask(to: &str) -> String {
    if let Some((local, domain)) = to.rsplit_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = to.chars().collect();
    let (head, tail) = (3.min(chars.len()), 4.min(chars.len().saturating_sub(3)));
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn a_destination_is_masked_to_its_first_letter_or_its_country_and_last_four_digits() {
        assert_eq!(mask("ada@example.com"), "a***@example.com");
        assert_eq!(mask("+4915112345678"), "+49*******5678");
        assert_eq!(mask("+14155550100"), "+14*****0100");
        assert!(!mask("+4915112345678").contains("1511234"));
    }
}
