//! Issued tokens and codes, keyed by the SHA-256 of their value (the raw values are never kept).

use std::collections::{BTreeSet, HashMap};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use grantwire::Entropy;
use sha2::{Digest, Sha256};

pub(crate) type Key = [u8; 32];

/// The SHA-256 of a token value.
pub(crate) fn key_of(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

/// 32 random bytes, base64url: an opaque token, code or identifier.
pub(crate) fn random_token(entropy: &mut dyn Entropy) -> String {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    entropy.fill_bytes(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(&bytes[..])
}

/// What a token (access or refresh) stands for.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) subject: String,
    /// Space-delimited scope.
    pub(crate) scope: String,
    pub(crate) audiences: Vec<String>,
    /// The acting party (RFC 8693 §4.1 `act`), for exchanged tokens.
    pub(crate) actor: Option<String>,
    /// The grant family: every token descended from one authorization (code, refresh chain).
    pub(crate) family: u64,
}

/// An access token record (RFC 7662 §2.2 members).
#[derive(Clone, Debug)]
pub(crate) struct AccessRecord {
    pub(crate) grant: Grant,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: u64,
    pub(crate) jti: String,
    pub(crate) revoked: bool,
}

/// A refresh token record.
#[derive(Clone, Debug)]
pub(crate) struct RefreshRecord {
    pub(crate) grant: Grant,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: Option<u64>,
    pub(crate) jti: String,
    /// Exchanged for a new refresh token already (RFC 6749 §6 rotation, RFC 9700 §4.14.2).
    pub(crate) rotated: bool,
}

/// An authorization code record (RFC 6749 §4.1.2, RFC 7636 §4.4).
#[derive(Clone, Debug)]
pub(crate) struct CodeRecord {
    pub(crate) grant: Grant,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) challenge: Option<String>,
    pub(crate) expires_at: u64,
    pub(crate) used: bool,
}

/// Everything the server has issued.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) access: HashMap<Key, AccessRecord>,
    pub(crate) refresh: HashMap<Key, RefreshRecord>,
    pub(crate) codes: HashMap<Key, CodeRecord>,
    revoked_families: BTreeSet<u64>,
    next_family: u64,
}

impl Store {
    pub(crate) fn new_family(&mut self) -> u64 {
        self.next_family += 1;
        self.next_family
    }

    /// Revokes every token of a family (RFC 7009 §2.1: revoking a refresh token revokes the
    /// access tokens of the same authorization grant).
    pub(crate) fn revoke_family(&mut self, family: u64) {
        self.revoked_families.insert(family);
    }

    pub(crate) fn family_revoked(&self, family: u64) -> bool {
        self.revoked_families.contains(&family)
    }

    /// An access token that is neither expired nor revoked.
    pub(crate) fn active_access(&self, token: &str, now: u64) -> Option<&AccessRecord> {
        self.access
            .get(&key_of(token))
            .filter(|r| !r.revoked && now < r.expires_at && !self.family_revoked(r.grant.family))
    }

    /// A refresh token that is neither expired, revoked nor rotated away.
    pub(crate) fn active_refresh(&self, token: &str, now: u64) -> Option<&RefreshRecord> {
        self.refresh.get(&key_of(token)).filter(|r| {
            !r.rotated
                && !matches!(r.expires_at, Some(e) if now >= e)
                && !self.family_revoked(r.grant.family)
        })
    }
}
