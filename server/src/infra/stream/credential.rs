//! The credential in the OFREP `eventStreams` URL.
//!
//! Browsers' `EventSource` cannot send an `Authorization` header, so the URL itself must
//! authenticate. Putting the SDK key there would leak an evaluation credential into
//! proxy and access logs; instead the URL carries a *stream credential* derived from the
//! key: `<token id>.<HMAC-SHA256(stored digest of the secret, label ‖ id)>` (128 bits,
//! hex). It is
//! - stable: the same for every replica and across restarts (it depends only on the
//!   stored record), so a reconnecting `EventSource` keeps working;
//! - revoked with the key (the record is gone, so nothing verifies);
//! - good only for the notification stream of the key's environment, which says nothing
//!   but "something changed at revision N" — a leaked URL cannot evaluate flags, read the
//!   ruleset or report exposures.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::infra::auth::{TokenIndex, TokenKind, TokenRecord, Unauthenticated};

const LABEL: &[u8] = b"rollgate event stream v1:";
/// Bytes of the MAC kept in the credential.
const MAC_BYTES: usize = 16;

fn mac(record: &TokenRecord) -> Option<[u8; MAC_BYTES]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(record.secret_sha256.as_bytes()).ok()?;
    mac.update(LABEL);
    mac.update(record.id.as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_BYTES];
    out.copy_from_slice(full.get(..MAC_BYTES)?);
    Some(out)
}

/// The stream credential of an SDK or frontend key's record.
pub(crate) fn issue(record: &TokenRecord) -> Option<String> {
    matches!(record.kind, TokenKind::Sdk | TokenKind::Frontend).then_some(())?;
    Some(format!("{}.{}", record.id, hex::encode(mac(record)?)))
}

/// The SDK or frontend key record behind a stream credential.
pub(crate) fn verify(
    tokens: &TokenIndex,
    credential: &str,
) -> Result<std::sync::Arc<TokenRecord>, Unauthenticated> {
    const UNKNOWN: Unauthenticated = Unauthenticated::UnknownStreamCredential;
    let (id, presented) = credential.split_once('.').ok_or(UNKNOWN)?;
    let presented = hex::decode(presented).map_err(|_| UNKNOWN)?;
    let record = tokens
        .get(id)
        .filter(|r| matches!(r.kind, TokenKind::Sdk | TokenKind::Frontend))
        .ok_or(UNKNOWN)?;
    let expected = mac(&record).ok_or(UNKNOWN)?;
    if presented.len() == MAC_BYTES && bool::from(expected.as_slice().ct_eq(&presented)) {
        Ok(record)
    } else {
        Err(UNKNOWN)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::infra::auth::issue as issue_token;

    #[test]
    fn a_credential_verifies_for_its_key_only_until_the_key_is_revoked() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let key = issue_token(
            TokenKind::Sdk,
            "k".into(),
            None,
            Some("production".into()),
            "t".into(),
            now,
        );
        let other = issue_token(
            TokenKind::Sdk,
            "o".into(),
            None,
            Some("production".into()),
            "t".into(),
            now,
        );
        let index = TokenIndex::default();
        index.replace([key.record.clone(), other.record.clone()]);
        let credential = issue(&key.record).unwrap();
        assert!(
            !credential.contains(&key.token),
            "the secret never appears in the URL"
        );
        assert_eq!(verify(&index, &credential).unwrap().id, key.record.id);
        let forged = format!(
            "{}.{}",
            other.record.id,
            credential.split_once('.').unwrap().1
        );
        assert!(verify(&index, &forged).is_err());
        assert!(verify(&index, "nonsense").is_err());
        index.remove(&key.record.id);
        assert!(verify(&index, &credential).is_err());
        let admin = issue_token(TokenKind::Admin, "a".into(), None, None, "t".into(), now);
        assert!(issue(&admin.record).is_none());
    }
}
