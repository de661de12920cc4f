//! `--cache`: an access token reused across invocations, so a script calling the command in a
//! loop does not burn a provider's token quota.
//!
//! One file per key in `$XDG_CACHE_HOME/grantwire` (else `~/.cache/grantwire`), created with
//! mode 0600 in a 0700 directory, named by the SHA-256 of the key: the server (issuer, else
//! token endpoint), the token endpoint, the client id, the method, the grant, the scope, the
//! audiences and the resources. The file holds the access token, its type, scope, quirks and
//! expiry, and nothing else: never a client secret, a key, an assertion or a refresh token.
//! An entry that is expired (or within a tenth of its lifetime, at most 30 s, of expiring),
//! unreadable or malformed is simply fetched again and overwritten.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// What a cached token is keyed by.
pub(crate) struct CacheKey {
    pub(crate) server: String,
    pub(crate) token_endpoint: String,
    pub(crate) client_id: String,
    pub(crate) method: String,
    pub(crate) grant: String,
    pub(crate) scope: String,
    pub(crate) audience: Vec<String>,
    pub(crate) resource: Vec<String>,
}

impl CacheKey {
    /// The file name: the hex SHA-256 of the key's parts, each length-prefixed so no two keys
    /// collide by concatenation.
    fn file_name(&self) -> String {
        let mut h = Sha256::new();
        let mut part = |s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        part("grantwire-cache-v1");
        for s in [
            &self.server,
            &self.token_endpoint,
            &self.client_id,
            &self.method,
            &self.grant,
            &self.scope,
        ] {
            part(s);
        }
        part(&self.audience.len().to_string());
        self.audience.iter().for_each(|a| part(a));
        part(&self.resource.len().to_string());
        self.resource.iter().for_each(|r| part(r));
        let digest = h.finalize();
        let mut name = String::with_capacity(69);
        for b in digest {
            name.push_str(&format!("{b:02x}"));
        }
        name.push_str(".json");
        name
    }
}

/// A cached token.
pub(crate) struct Cached {
    pub(crate) access_token: Zeroizing<String>,
    pub(crate) token_type: String,
    pub(crate) received_at: SystemTime,
    pub(crate) expires_at: SystemTime,
    pub(crate) scope: Option<String>,
    pub(crate) quirks: Vec<String>,
}

/// The cache directory: `$XDG_CACHE_HOME/grantwire`, else `$HOME/.cache/grantwire`.
pub(crate) fn dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("grantwire"))
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A fresh cached token for `key`, or `None` (absent, unreadable, malformed, or expiring).
pub(crate) fn load(key: &CacheKey, now: SystemTime) -> Option<Cached> {
    use std::io::Read;
    let path = dir()?.join(key.file_name());
    let mut text = Zeroizing::new(String::new());
    std::fs::File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    let v: Zeroizing<ValueBox> = Zeroizing::new(ValueBox(serde_json::from_str(&text).ok()?));
    let v = &v.0;
    let received_at = UNIX_EPOCH + Duration::from_secs(v["received_at"].as_u64()?);
    let expires_at = UNIX_EPOCH + Duration::from_secs(v["expires_at"].as_u64()?);
    let lifetime = expires_at.duration_since(received_at).ok()?;
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    if now + margin >= expires_at {
        return None;
    }
    Some(Cached {
        access_token: Zeroizing::new(v["access_token"].as_str()?.to_owned()),
        token_type: v["token_type"].as_str()?.to_owned(),
        received_at,
        expires_at,
        scope: v["scope"].as_str().map(str::to_owned),
        quirks: v["quirks"]
            .as_array()?
            .iter()
            .filter_map(|q| q.as_str().map(str::to_owned))
            .collect(),
    })
}

/// A JSON value that holds a token: its strings are overwritten when dropped.
struct ValueBox(Value);

impl zeroize::Zeroize for ValueBox {
    fn zeroize(&mut self) {
        if let Value::Object(o) = &mut self.0 {
            for (_, v) in o.iter_mut() {
                if let Value::String(s) = v {
                    s.zeroize();
                }
            }
        }
    }
}

/// Stores `token` for `key`: written to a temporary 0600 file, then renamed over the entry.
pub(crate) fn store(key: &CacheKey, token: &Cached) -> std::io::Result<()> {
    use std::io::Write;
    let dir = dir().ok_or_else(|| std::io::Error::other("no cache directory"))?;
    create_private_dir(&dir)?;
    let path = dir.join(key.file_name());
    let tmp = dir.join(format!("{}.{}.tmp", key.file_name(), std::process::id()));
    let body = Zeroizing::new(
        json!({
            "access_token": token.access_token.as_str(),
            "token_type": token.token_type,
            "received_at": secs(token.received_at),
            "expires_at": secs(token.expires_at),
            "scope": token.scope,
            "quirks": token.quirks,
        })
        .to_string(),
    );
    let mut file = open_private(&tmp)?;
    let written = file
        .write_all(body.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CacheKey {
        CacheKey {
            server: "https://as.example".into(),
            token_endpoint: "https://as.example/token".into(),
            client_id: "svc".into(),
            method: "client_secret_basic".into(),
            grant: "client_credentials".into(),
            scope: "read".into(),
            audience: vec![],
            resource: vec!["https://api.example".into()],
        }
    }

    #[test]
    fn every_part_changes_the_file_name() {
        let base = key().file_name();
        let mut k = key();
        k.scope = "write".into();
        assert_ne!(k.file_name(), base);
        let mut k = key();
        k.audience = vec!["https://api.example".into()];
        k.resource = vec![];
        assert_ne!(k.file_name(), base, "audience and resource are told apart");
        let mut k = key();
        k.client_id = "other".into();
        assert_ne!(k.file_name(), base);
        assert_eq!(key().file_name(), base);
    }
}
