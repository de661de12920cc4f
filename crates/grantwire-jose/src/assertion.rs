//! Client assertions for `client_secret_jwt` and `private_key_jwt` (RFC 7523 §2.2 and §3,
//! OpenID Connect Core §9, draft-ietf-oauth-rfc7523bis).
//!
//! Claims: `iss` = `sub` = client_id; `aud` one JSON string (the issuer by default); `exp` =
//! now + 60 s (configurable up to 5 minutes); `iat` = now; optional `nbf` = now; `jti` = 128
//! random bits from the caller's entropy, base64url. Extra claims never override these.
//!
//! Form parameters: `client_assertion_type`, `client_assertion`, and `client_id`. RFC 7521
//! §4.2 makes `client_id` optional; we send it by default because several servers look the
//! client up by it before reading the assertion (and it must equal `sub`, so it adds nothing an
//! attacker could use). [`ClientAssertion::without_client_id_param`] leaves it out.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, TryLockError};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use grantwire::{
    AssertionAudience, AuthMethod, AuthParts, AuthTarget, AuthorizationServer,
    ClientAuthentication, ClientId, ClientSecret, Context, Entropy, SecretString,
};
use zeroize::Zeroize as _;

use crate::alg::Algorithm;
use crate::backend::{MacState, PrefixMac, MAX_TAG};
use crate::error::Error;
use crate::material::B64;
use crate::remote::PreparedAssertion;
use crate::signer::{x5t_s256, Header, SigningKey};
use crate::time::unix;

/// `client_assertion_type` for JWT client authentication (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The explicit `typ` of draft-ietf-oauth-rfc7523bis.
pub const CLIENT_AUTH_TYP: &str = "client-authentication+jwt";
/// Default assertion lifetime.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Longest assertion lifetime accepted.
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);

/// The name of the first claim after the constant ones.
const EXP: &[u8] = b"\"exp\":";
/// The base64url characters of `:"` and the `jti` value (24 bytes).
const JTI_CHARS: usize = 32;
/// The name of the claim after the per-second ones.
const JTI: &[u8] = b"\"jti\"";
/// The longest per-second segment: two 19-digit numbers, or three with `nbf`, their names,
/// the `,`, two spaces and `"jti"`.
const SEGMENT_MAX: usize = 3 * 19 + 3 * 7 + 1 + 2 + 3 * ALIGN_GROUPS + 5;
/// At most this many groups of 3 spaces also go before `"jti"` of an HS* assertion, so that
/// what each assertion MACs (its `jti` and the tail) ends in as few hash blocks as it can.
const ALIGN_GROUPS: usize = 8;
/// How many per-second states an HS* assertion keeps: each thread starts at its own (see
/// [`home_slot`]) and tries the others when it is taken (see [`Constant`]).
const SHARDS: usize = 4;

/// The slot a thread tries first: threads take the slots in turn as they first mint, so that up
/// to [`SHARDS`] threads rarely meet on one, and one thread keeps using the same state (warm in
/// its cache).
fn home_slot() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static HOME: Cell<Option<usize>> = const { Cell::new(None) });
    HOME.with(|home| match home.get() {
        Some(slot) => slot,
        None => {
            let slot = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
            home.set(Some(slot));
            slot
        }
    })
}

const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"];

/// Which value goes into `aud`. Always one JSON string, never an array.
///
/// Real servers want three different things (RFC 7523 §3 left it open), so each has a name:
///
/// | rule | token endpoint | introspection, revocation | servers |
/// |---|---|---|---|
/// | [`Issuer`](Audience::Issuer) (default) | issuer | issuer | draft-ietf-oauth-rfc7523bis, oidc-provider, Authlib |
/// | [`TokenEndpoint`](Audience::TokenEndpoint) | token endpoint URL | token endpoint URL | Okta, Entra ID, Google, Authlib |
/// | [`CalledEndpoint`](Audience::CalledEndpoint) | token endpoint URL | that endpoint's URL | Glewlwyd (nothing else) |
///
/// Every value comes from the one [`AuthorizationServer`] of the [`grantwire::Client`], so the
/// rule holds at every endpoint. When the server value lacks what a rule needs (no issuer for
/// [`Audience::Issuer`]), [`grantwire::Client::new`] fails with
/// [`grantwire::Error::AudienceUnavailable`] (through
/// [`ClientAuthentication::check_server`]), never falling back to another rule.
/// [`grantwire::AssertionAudience`] (the provider presets' field) converts into this type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// The authorization server's issuer identifier ([`AuthorizationServer::issuer`]), at every
    /// endpoint (the default). draft-ietf-oauth-rfc7523bis: the audience MUST be the issuer and
    /// the token endpoint MUST NOT be used, closing the 2025 audience-injection attack.
    Issuer,
    /// The token endpoint URL ([`AuthorizationServer::token_endpoint`]), at every endpoint:
    /// introspection and revocation requests name the token endpoint too. Okta, Entra ID and
    /// Authlib require it. Replaces `LegacyTokenEndpoint`, which despite its name sent the URL
    /// of whichever endpoint was called.
    TokenEndpoint,
    /// The URL of the endpoint the request is sent to ([`AuthTarget::endpoint`]): the token
    /// endpoint for token requests, the introspection endpoint for introspection, and so on.
    /// Glewlwyd accepts nothing else.
    CalledEndpoint,
    /// A fixed value.
    Fixed(String),
}

impl From<AssertionAudience> for Audience {
    fn from(rule: AssertionAudience) -> Self {
        match rule {
            AssertionAudience::TokenEndpoint => Self::TokenEndpoint,
            AssertionAudience::CalledEndpoint => Self::CalledEndpoint,
            // The default, also for rules added to the core later.
            _ => Self::Issuer,
        }
    }
}

/// Mints client assertions and authenticates requests with them. Built once; each request
/// gets a fresh `jti`, `iat` and `exp`.
#[derive(Clone)]
pub struct ClientAssertion {
    client_id: ClientId,
    key: SigningKey,
    header: Header,
    typ: bool,
    x5t: Option<String>,
    /// `{"iss":…,"sub":…,"aud":` precomputed.
    prefix: String,
    /// `,"name":value…` for extra claims, precomputed.
    extra: String,
    extra_names: Vec<String>,
    audience: Audience,
    lifetime: u64,
    nbf: bool,
    client_id_param: bool,
    /// The constant start of the signing input for the first audience minted for (shared by
    /// clones; every option that changes the bytes after it resets it).
    constant: OnceLock<Arc<Constant>>,
}

/// What every assertion for one audience shares: the signing input up to the `exp` value,
/// `base64url(header) "." base64url({"iss":…,"sub":…,"aud":…, "exp":)`, the base64url of the
/// claims after the `jti` value, and for an HS* key of a built-in backend the per-second MAC
/// states. Computed when the first assertion for an audience is minted (the audience comes from
/// the server value at request time) and reset by every option that changes the bytes.
///
/// The payload is laid out so that what changes falls on whole base64 groups (3 bytes):
/// `{"iss":…,"sub":…,"aud":…,` + 0–2 spaces + `"exp":` (constant), then
/// `…,"iat":…[,"nbf":…],` + spaces + `"jti"` (changes once a second; the spaces: see
/// `write_segment`), then `:"` and the 22
/// characters of the `jti` (24 bytes: 32 base64 characters of their own), then `"`, the extra
/// claims and `}` (constant again). RFC 7519 §7.1 step 1 and RFC 8259 §2 allow the whitespace
/// after the `,`. So an HS* assertion absorbs the first part once, the second once a second
/// per shard, and per call MACs only the 32 `jti` characters and the tail.
struct Constant {
    audience: Box<str>,
    encoded: String,
    /// base64url(`"` extra `}`): it starts on a group boundary.
    tail: String,
    /// HS* keys: [`SHARDS`] slots, each behind its own lock (aws-lc-rs's HMAC context is `Send`
    /// but not `Sync`), held while one assertion is built and MACed.
    slots: Option<[Mutex<Slot>; SHARDS]>,
}

/// One shard of an HS* assertion's MAC cache.
#[derive(Default)]
struct Slot {
    /// The HMAC state after [`Constant::encoded`].
    constant: Option<Box<dyn MacState>>,
    /// The second it was last used for, [`Second`] for it.
    second: Option<Second>,
}

/// A slot's cache for one second.
struct Second {
    iat: i64,
    /// The signing input up to the `jti` block ([`Constant::encoded`] and the segment), then
    /// [`Constant::tail`]: what goes before and after the 32 `jti` characters, side by side.
    text: String,
    /// Where the tail starts in `text`.
    start: usize,
    /// The HMAC state after `text[..start]`.
    state: Box<dyn MacState>,
}

impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertion")
            .field("client_id", &self.client_id)
            .field("key", &self.key)
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Where assertion JSON is written: a `String` at build time, a stack buffer per assertion.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for String {
    fn put(&mut self, bytes: &[u8]) {
        // Only ASCII escapes and whole UTF-8 slices of a `&str` are ever put.
        self.push_str(&String::from_utf8_lossy(bytes));
    }
}

/// A fixed buffer that records overflow instead of growing (the caller then retries on the
/// heap), so the common assertion is built without an allocation for its payload.
struct StackSink<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl Sink for StackSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Appends `s` as a JSON string literal (RFC 8259 §7).
fn push_json_str(out: &mut impl Sink, s: &str) {
    out.put(b"\"");
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.put(s.as_bytes());
        out.put(b"\"");
        return;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b if b < 0x20 => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ],
            _ => continue,
        };
        out.put(&s.as_bytes()[start..i]);
        out.put(escaped);
        start = i + 1;
    }
    out.put(&s.as_bytes()[start..]);
    out.put(b"\"");
}

/// The length of `n` bytes in unpadded base64url (RFC 7515 §2).
fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64url character of bits `shift..shift + 6` of `v` (RFC 4648 §5).
#[inline(always)]
fn sextet(v: u32, shift: u32) -> u8 {
    ALPHABET[(v >> shift) as usize & 63]
}

/// Writes the unpadded base64url of `src` (RFC 4648 §5, RFC 7515 §2) to the start of `dst`,
/// which holds at least [`base64_len`] of it, and returns the length written: for the few
/// fixed-size pieces of the per-assertion path, without the general encoder's setup.
fn b64_into(src: &[u8], dst: &mut [u8]) -> usize {
    let mut groups = src.chunks_exact(3);
    let mut n = 0;
    for g in &mut groups {
        let v = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
        dst[n..n + 4].copy_from_slice(&[sextet(v, 18), sextet(v, 12), sextet(v, 6), sextet(v, 0)]);
        n += 4;
    }
    match *groups.remainder() {
        [a] => {
            let v = u32::from(a) << 16;
            dst[n..n + 2].copy_from_slice(&[sextet(v, 18), sextet(v, 12)]);
            n + 2
        }
        [a, b] => {
            let v = u32::from(a) << 16 | u32::from(b) << 8;
            dst[n..n + 3].copy_from_slice(&[sextet(v, 18), sextet(v, 12), sextet(v, 6)]);
            n + 3
        }
        _ => n,
    }
}

/// [`b64_into`] inlined, for the fixed-size pieces (the compiler unrolls it).
#[inline(always)]
fn b64_groups<const N: usize>(src: &[u8; N], dst: &mut [u8]) {
    let mut groups = src.chunks_exact(3);
    for (g, out) in (&mut groups).zip(dst.chunks_exact_mut(4)) {
        let v = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
        out.copy_from_slice(&[sextet(v, 18), sextet(v, 12), sextet(v, 6), sextet(v, 0)]);
    }
    let n = N / 3 * 4;
    match (groups.remainder(), dst.get_mut(n..)) {
        ([a], Some(out)) if out.len() >= 2 => {
            let v = u32::from(*a) << 16;
            out[..2].copy_from_slice(&[sextet(v, 18), sextet(v, 12)]);
        }
        ([a, b], Some(out)) if out.len() >= 3 => {
            let v = u32::from(*a) << 16 | u32::from(*b) << 8;
            out[..3].copy_from_slice(&[sextet(v, 18), sextet(v, 12), sextet(v, 6)]);
        }
        _ => {}
    }
}

/// The base64url of the first `n` bytes of `tag` (an HMAC tag: 32, 48 or 64 bytes, encoded
/// unrolled) written to the start of `dst` (86 bytes or more); its length.
fn b64_tag(tag: &[u8; MAX_TAG], n: usize, dst: &mut [u8]) -> usize {
    match n {
        32 => b64_groups::<32>(tag.first_chunk().unwrap_or(&[0; 32]), dst),
        48 => b64_groups::<48>(tag.first_chunk().unwrap_or(&[0; 48]), dst),
        64 => b64_groups::<64>(tag, dst),
        _ => return b64_into(&tag[..n.min(MAX_TAG)], dst),
    }
    base64_len(n)
}

/// `bytes` (base64url characters) as a `&str`.
fn ascii(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|_| Error::SigningFailed {
        backend: "grantwire-jose",
        reason: "the assertion is not ASCII",
    })
}

/// Wipes a stack buffer that held part of an assertion. Through the slice: zeroize's slice
/// impl is one `fill` behind an optimization barrier, its array impl one volatile store a byte.
#[inline(always)]
fn wipe(buf: &mut [u8]) {
    buf.zeroize();
}

/// The number of decimal digits of `v` (its sign not counted).
fn digits(v: i64) -> usize {
    v.unsigned_abs()
        .checked_ilog10()
        .map_or(1, |d| d as usize + 1)
}

/// Appends the base64url of `bytes` (RFC 7515 §2) to `out`, encoded in place: `out` must have
/// the room, so that it never reallocates and leaves a copy of a credential behind.
fn push_b64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    debug_assert!(out.capacity() - start >= base64_len(bytes.len()));
    out.resize(start + base64_len(bytes.len()), 0);
    let n = B64.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + n);
}

/// The assertion bytes (ASCII: base64url and dots) as a `String`, checked once.
fn into_string(bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        e.into_bytes().zeroize();
        Error::SigningFailed {
            backend: "grantwire-jose",
            reason: "the assertion is not ASCII",
        }
    })
}

/// The seconds since 1970 of `now`; an error before 1970.
fn checked_unix(now: SystemTime) -> Result<i64, Error> {
    let iat = unix(now);
    if iat < 0 {
        return Err(Error::InvalidOption {
            name: "now",
            reason: "the time passed in is before 1970",
        });
    }
    Ok(iat)
}

/// Appends a non-negative integer in decimal (cheaper than the `fmt` machinery); a negative
/// one would be written without its sign.
fn push_u64(out: &mut impl Sink, v: i64) {
    let mut v = v.unsigned_abs();
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.put(&buf[i..]);
}

impl ClientAssertion {
    /// Assertions for `client_id` signed with `key`. An HMAC key gives `client_secret_jwt`, any
    /// other `private_key_jwt`.
    pub fn new(client_id: ClientId, key: SigningKey) -> Self {
        let mut prefix = String::with_capacity(2 * client_id.as_str().len() + 24);
        prefix.push_str("{\"iss\":");
        push_json_str(&mut prefix, client_id.as_str());
        prefix.push_str(",\"sub\":");
        push_json_str(&mut prefix, client_id.as_str());
        prefix.push_str(",\"aud\":");
        let header = Header::new(&key, None, None);
        Self {
            client_id,
            key,
            header,
            typ: false,
            x5t: None,
            prefix,
            extra: String::new(),
            extra_names: Vec::new(),
            audience: Audience::Issuer,
            lifetime: DEFAULT_LIFETIME.as_secs(),
            nbf: false,
            client_id_param: true,
            constant: OnceLock::new(),
        }
    }

    fn rebuild_header(&mut self) {
        self.header = Header::new(
            &self.key,
            self.typ.then_some(CLIENT_AUTH_TYP),
            self.x5t.as_deref(),
        );
        self.constant = OnceLock::new();
    }

    /// The claims up to the `exp` value, `{"iss":…,"sub":…,"aud":…,` then `"exp":`, with 0 to 2
    /// spaces before `"exp"` so that their length is a multiple of 3: then their base64url
    /// ends on a whole group and does not depend on what follows (RFC 7519 §7.1 step 1
    /// allows whitespace in the claims set; RFC 8259 §2 allows it around the `,`).
    fn constant_claims(&self, out: &mut Vec<u8>, audience: &str) {
        out.put(self.prefix.as_bytes());
        push_json_str(out, audience);
        out.put(b",");
        let pad = (3 - (out.len() + EXP.len()) % 3) % 3;
        out.put(&b"  "[..pad]);
        out.put(EXP);
    }

    /// The [`Constant`] for `audience`; with `mac`, the slots of the per-second MAC states too
    /// (filled when first used).
    fn build_constant(&self, audience: &str, mac: bool) -> Constant {
        let mut claims = Vec::with_capacity(self.prefix.len() + audience.len() + 12);
        self.constant_claims(&mut claims, audience);
        let mut encoded =
            String::with_capacity(self.header.encoded.len() + 1 + base64_len(claims.len()));
        encoded.push_str(&self.header.encoded);
        encoded.push('.');
        B64.encode_string(&claims, &mut encoded);
        let mut tail = Vec::with_capacity(self.extra.len() + 2);
        self.write_tail(&mut tail);
        let slots = (mac && self.key.prefix_mac().is_some())
            .then(|| std::array::from_fn(|_| Mutex::new(Slot::default())));
        Constant {
            audience: audience.into(),
            encoded,
            tail: B64.encode(tail),
            slots,
        }
    }

    /// Chooses the `aud` value (default [`Audience::Issuer`]).
    pub fn audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }

    /// Sets the lifetime (`exp - iat`): more than zero and at most 5 minutes.
    pub fn lifetime(mut self, lifetime: Duration) -> Result<Self, Error> {
        if lifetime.as_secs() == 0 || lifetime > MAX_LIFETIME {
            return Err(Error::InvalidOption {
                name: "lifetime",
                reason: "a client assertion lives between 1 second and 5 minutes",
            });
        }
        self.lifetime = lifetime.as_secs();
        self.constant = OnceLock::new();
        Ok(self)
    }

    /// Adds `nbf` = now.
    pub fn with_nbf(mut self) -> Self {
        self.nbf = true;
        self.constant = OnceLock::new();
        self
    }

    /// Adds the header `typ: client-authentication+jwt` (draft-ietf-oauth-rfc7523bis). Off by
    /// default, since servers that predate the draft may reject an unknown `typ`.
    pub fn with_typ(mut self) -> Self {
        self.typ = true;
        self.rebuild_header();
        self
    }

    /// Adds the header `x5t#S256`, the SHA-256 thumbprint of the key's certificate (DER).
    pub fn with_x5t_s256(mut self, certificate_der: &[u8]) -> Self {
        self.x5t = Some(x5t_s256(certificate_der));
        self.rebuild_header();
        self
    }

    /// Adds an extra claim. The registered claims this type sets (`iss`, `sub`, `aud`, `exp`,
    /// `iat`, `nbf`, `jti`) cannot be overridden, and a name can be added once.
    pub fn claim(mut self, name: &str, value: serde_json::Value) -> Result<Self, Error> {
        if REGISTERED.contains(&name) {
            return Err(Error::InvalidOption {
                name: "claim",
                reason: "iss, sub, aud, exp, iat, nbf and jti are set by the assertion and cannot be overridden",
            });
        }
        if self.extra_names.iter().any(|n| n == name) {
            return Err(Error::InvalidOption {
                name: "claim",
                reason: "this extra claim was already added",
            });
        }
        self.extra.push(',');
        push_json_str(&mut self.extra, name);
        self.extra.push(':');
        self.extra.push_str(&value.to_string());
        self.extra_names.push(name.to_owned());
        self.constant = OnceLock::new();
        Ok(self)
    }

    /// Leaves `client_id` out of the form (RFC 7521 §4.2 makes it optional).
    pub fn without_client_id_param(mut self) -> Self {
        self.client_id_param = false;
        self
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The method this assertion authenticates with.
    pub fn method(&self) -> AuthMethod {
        if self.key.algorithm().is_symmetric() {
            AuthMethod::ClientSecretJwt
        } else {
            AuthMethod::PrivateKeyJwt
        }
    }

    /// The core rule behind [`ClientAssertion::audience`], or the fixed value.
    fn rule(&self) -> Result<AssertionAudience, &str> {
        match &self.audience {
            Audience::Issuer => Ok(AssertionAudience::Issuer),
            Audience::TokenEndpoint => Ok(AssertionAudience::TokenEndpoint),
            Audience::CalledEndpoint => Ok(AssertionAudience::CalledEndpoint),
            Audience::Fixed(value) => Err(value),
        }
    }

    /// The `aud` value for a request to `target`, derived from its
    /// [`AuthorizationServer`], or [`grantwire::Error::AudienceUnavailable`] when the server
    /// value lacks what the rule needs.
    pub fn audience_for<'a>(
        &'a self,
        target: &AuthTarget<'a>,
    ) -> Result<&'a str, grantwire::Error> {
        match self.rule() {
            Ok(rule) => target.audience(rule),
            Err(fixed) => Ok(fixed),
        }
    }

    /// Whether [`ClientAssertion::audience`] can be derived from `server` at every endpoint:
    /// [`grantwire::Error::AudienceUnavailable`] for [`Audience::Issuer`] and a server value
    /// without an issuer. What [`grantwire::Client::new`] calls.
    pub fn check_server(&self, server: &AuthorizationServer) -> Result<(), grantwire::Error> {
        match self.rule() {
            Ok(rule) => server.check_assertion_audience(rule),
            Err(_fixed) => Ok(()),
        }
    }

    /// An upper bound of the length of an assertion for `audience` minted by
    /// [`ClientAssertion::mint`]: exact but for the three timestamps, counted at their widest
    /// (19 digits, `i64::MAX`), and the spaces before `"jti"`, counted at their most, so a
    /// request body sized with it never grows.
    pub fn max_assertion_len(&self, audience: &str) -> usize {
        // The timestamps are non-negative `i64` values (`iat` is checked, `exp` saturates).
        const NUMBER: usize = 19;
        let aud = 2 + audience
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' => 2,
                b if b < 0x20 => 6,
                _ => 1,
            })
            .sum::<usize>();
        let stamp = ",\"exp\":".len() + NUMBER;
        let payload = self.prefix.len()
            + aud
            + 2 // the spaces that align the constant claims
            + 2 + 3 * ALIGN_GROUPS // the spaces that align the per-second ones
            + stamp * if self.nbf { 3 } else { 2 }
            + ",\"jti\":\"".len()
            + 22
            + 1
            + self.extra.len()
            + 1;
        self.header.encoded.len()
            + 1
            + base64_len(payload)
            + 1
            + base64_len(self.key.signature_len())
    }

    /// An upper bound of the bytes [`ClientAuthentication::authenticate`] adds to a form body
    /// for `target` (`0` when no audience can be chosen, as authentication then fails).
    pub fn form_size_hint(&self, target: &AuthTarget<'_>) -> usize {
        let Ok(audience) = self.audience_for(target) else {
            return 0;
        };
        // The assertion is base64url and dots: percent-encoding leaves it as it is.
        let assertion = 1 + "client_assertion".len() + 1 + self.max_assertion_len(audience);
        let id = if self.client_id_param {
            grantwire::auth::form_param_len("client_id", self.client_id.as_str())
        } else {
            0
        };
        grantwire::auth::form_param_len("client_assertion_type", CLIENT_ASSERTION_TYPE)
            + assertion
            + id
    }

    /// Mints one assertion for `audience` at `now`, with a `jti` from `entropy`.
    pub fn mint(
        &self,
        audience: &str,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Result<SecretString, Error> {
        let iat = checked_unix(now)?;
        let constant = self
            .constant
            .get_or_init(|| Arc::new(self.build_constant(audience, true)));
        if let (Some(slots), Some(mac)) = (&constant.slots, self.key.prefix_mac()) {
            if *constant.audience == *audience {
                if let Some(jwt) = self.mint_cached(constant, slots, mac, iat, entropy) {
                    return Ok(SecretString::new(jwt));
                }
            }
        }
        let mut jti = [0u8; 16];
        entropy.fill_bytes(&mut jti);
        let jwt = self.mint_from_scratch(constant, audience, iat, &jti, entropy);
        wipe(&mut jti);
        Ok(SecretString::new(jwt?))
    }

    /// [`ClientAssertion::mint`] without a cached MAC state: for another audience than the
    /// first (CalledEndpoint at a second endpoint), a key without a prefix MAC, or when every
    /// slot is taken by another thread. The same bytes.
    #[cold]
    #[inline(never)]
    fn mint_from_scratch(
        &self,
        constant: &Constant,
        audience: &str,
        iat: i64,
        jti: &[u8; 16],
        entropy: &mut dyn Entropy,
    ) -> Result<String, Error> {
        let fresh;
        let constant = if *constant.audience == *audience {
            constant
        } else {
            fresh = self.build_constant(audience, false);
            &fresh
        };
        let input = self.signing_input(&constant.encoded, iat, jti);
        self.key.finish(into_string(input)?, entropy)
    }

    /// [`ClientAssertion::mint`] for an HS* key from the MAC state of a free slot: `None` when
    /// every slot is taken (then nothing was drawn from `entropy`).
    fn mint_cached(
        &self,
        constant: &Constant,
        slots: &[Mutex<Slot>; SHARDS],
        mac: &dyn PrefixMac,
        iat: i64,
        entropy: &mut dyn Entropy,
    ) -> Option<String> {
        let first = home_slot();
        for k in 0..SHARDS {
            let mut guard = match slots[(first + k) % SHARDS].try_lock() {
                Ok(guard) => guard,
                // A slot is only ever replaced whole: a panic elsewhere leaves it usable.
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            return self.mint_in(&mut guard, constant, mac, iat, entropy).ok();
        }
        None
    }

    /// The assertion from `slot`: its state for second `iat` (brought up to date first) MACs
    /// the `jti` characters and the tail. What does not depend on the `jti` (the state, the
    /// output and its prefix) is ready before the `jti` is drawn: a draw from the OS is a
    /// system call, which leaves caches colder for what follows it.
    fn mint_in(
        &self,
        slot: &mut Slot,
        constant: &Constant,
        mac: &dyn PrefixMac,
        iat: i64,
        entropy: &mut dyn Entropy,
    ) -> Result<String, Error> {
        let second = match slot.second {
            Some(ref second) if second.iat == iat => second,
            ref mut stale => stale.insert(self.second(&mut slot.constant, constant, mac, iat)),
        };
        let (prefix, tail) = second.text.split_at(second.start);
        let signed = second.text.len() + JTI_CHARS;
        let mut out = String::with_capacity(signed + 1 + base64_len(self.key.signature_len()));
        out.push_str(prefix);
        let mut jti = [0u8; 16];
        entropy.fill_bytes(&mut jti);
        // `:"` and the jti's 22 characters: 24 bytes, 32 base64 characters that depend on the
        // jti alone (see `Constant`). The signature's characters follow them in `var`, so both
        // are checked and wiped once.
        let mut block = [0u8; 24];
        block[..2].copy_from_slice(b":\"");
        b64_groups(&jti, &mut block[2..]);
        wipe(&mut jti);
        let mut var = [0u8; JTI_CHARS + 86];
        b64_groups(&block, &mut var[..JTI_CHARS]);
        wipe(&mut block);
        let (chars, sig) = var.split_at_mut(JTI_CHARS);
        let mut tag = [0u8; MAX_TAG];
        let n = second.state.finish(chars, tail.as_bytes(), &mut tag);
        let m = b64_tag(&tag, n, sig);
        wipe(&mut tag[..n]);
        let built = ascii(&var[..JTI_CHARS + m]).map(|text| {
            let (chars, sig) = text.split_at(JTI_CHARS);
            out.push_str(chars);
            out.push_str(tail);
            out.push('.');
            out.push_str(sig);
        });
        wipe(&mut var);
        match built {
            Ok(()) => Ok(out),
            Err(e) => {
                out.zeroize();
                Err(e)
            }
        }
    }

    /// A slot's entry for second `iat`, from the slot's state after the [`Constant`] (computed
    /// first if need be).
    #[cold]
    #[inline(never)]
    fn second(
        &self,
        base: &mut Option<Box<dyn MacState>>,
        constant: &Constant,
        mac: &dyn PrefixMac,
        iat: i64,
    ) -> Second {
        let base = base.get_or_insert_with(|| mac.absorb(constant.encoded.as_bytes()));
        let mut raw = Vec::with_capacity(SEGMENT_MAX);
        self.write_segment(&mut raw, iat, constant.encoded.len());
        let mut text = String::with_capacity(
            constant.encoded.len() + base64_len(SEGMENT_MAX) + constant.tail.len(),
        );
        text.push_str(&constant.encoded);
        B64.encode_string(&raw, &mut text);
        let state = base.extend(&text.as_bytes()[constant.encoded.len()..]);
        let start = text.len();
        text.push_str(&constant.tail);
        Second {
            iat,
            text,
            start,
            state,
        }
    }

    /// Prepares one assertion for `audience` at `now`, with a `jti` from `entropy`, for a
    /// signer outside the process: [`PreparedAssertion::signing_input`] is what the signer signs
    /// (RFC 7515 §5.1 step 5), [`PreparedAssertion::finish`] appends its signature. The claims
    /// and header are exactly those [`ClientAssertion::mint`] would sign.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use grantwire::ClientId;
    /// use grantwire_jose::{Algorithm, ClientAssertion, PrivateKey, SigningKey};
    /// # let jwk = br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
    /// let local = SigningKey::new(Algorithm::ES256, &PrivateKey::from_jwk(jwk)?)?; // stands in for the KMS
    /// let key = SigningKey::remote(Algorithm::ES256, local.public_jwk().as_ref())?;
    /// let assertion = ClientAssertion::new(ClientId::new("svc"), key);
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let prepared = assertion.prepare("https://as.example", now, &mut |b: &mut [u8]| b.fill(7))?;
    /// // ... the KMS signs `prepared.signing_input()` (ES256: return the 64-byte R || S) ...
    /// let signature = local.sign_raw(prepared.signing_input(), &mut |b: &mut [u8]| b.fill(1))?;
    /// let signed = prepared.finish(signature.as_bytes())?;
    /// assert_eq!(signed.audience(), "https://as.example");
    /// assert!(local.verifying_key().is_some());
    /// # Ok::<(), grantwire_jose::Error>(())
    /// ```
    pub fn prepare(
        &self,
        audience: &str,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Result<PreparedAssertion, Error> {
        let iat = checked_unix(now)?;
        let mut jti = [0u8; 16];
        entropy.fill_bytes(&mut jti);
        let input = self.signing_input(&self.build_constant(audience, false).encoded, iat, &jti);
        wipe(&mut jti);
        Ok(PreparedAssertion::new(
            &self.key,
            into_string(input)?,
            audience,
        ))
    }

    /// `header.payload` (base64url, RFC 7515 §7.1) at second `iat` with `jti`: `constant`
    /// (the encoded start, [`Constant::encoded`]), then the rest of the claims, sized for the
    /// signature that will be appended.
    fn signing_input(&self, constant: &str, iat: i64, jti: &[u8; 16]) -> Vec<u8> {
        let mut stack = [0u8; 256];
        let mut sink = StackSink {
            buf: &mut stack,
            len: 0,
            overflow: false,
        };
        self.write_variable(&mut sink, iat, jti, constant.len());
        let sink_len = sink.len;
        let mut heap = Vec::new();
        let rest: &[u8] = if sink.overflow {
            // Never regrown (a regrowth would leave an unwiped copy): the variable claims take
            // at most 120 bytes besides the extra ones.
            heap.reserve_exact(self.extra.len() + 128);
            self.write_variable(&mut heap, iat, jti, constant.len());
            &heap
        } else {
            &stack[..sink_len]
        };
        // Exactly the final size: the assertion is zeroized on drop, capacity included.
        let mut out = Vec::with_capacity(
            constant.len() + base64_len(rest.len()) + 1 + base64_len(self.key.signature_len()),
        );
        out.extend_from_slice(constant.as_bytes());
        push_b64(&mut out, rest);
        // The claims are part of a credential: no copy outlives this call (only the bytes
        // written need wiping; the rest of the buffer was never touched).
        stack[..sink_len].zeroize();
        heap.zeroize();
        out
    }

    /// The per-second segment after the [`Constant`] (`before` characters of signing input):
    /// `exp,"iat":…[,"nbf":…],` + spaces + `"jti"`, a multiple of 3 bytes long: 0–2 spaces for
    /// that, and for an HS* key up to [`ALIGN_GROUPS`] groups of 3 more, the fewest that put
    /// the rest of the signing input (the `jti` and the tail) in as few hash blocks as any.
    fn write_segment(&self, out: &mut impl Sink, iat: i64, before: usize) {
        let exp = iat.saturating_add(self.lifetime as i64);
        let stamps = if self.nbf { 2 } else { 1 };
        let len = digits(exp) + stamps * (",\"iat\":".len() + digits(iat)) + 1 + JTI.len();
        let pad = (3 - len % 3) % 3;
        let groups = self.align_groups(before + base64_len(len + pad));
        push_u64(out, exp);
        out.put(b",\"iat\":");
        push_u64(out, iat);
        if self.nbf {
            out.put(b",\"nbf\":");
            push_u64(out, iat);
        }
        out.put(b",");
        out.put(&b"  "[..pad]);
        for _ in 0..groups {
            out.put(b"   ");
        }
        out.put(JTI);
    }

    /// How many groups of 3 spaces (4 base64 characters each) to add before `"jti"` when the
    /// signing input before the `jti` block is `start` characters long: for an HMAC (SHA-2
    /// pads a message with a 1 bit and its 64- or 128-bit length, FIPS 180-4 §5.1), the fewest
    /// that leave the last inner hash block count as low as any count up to [`ALIGN_GROUPS`];
    /// 0 for other algorithms.
    fn align_groups(&self, start: usize) -> usize {
        let (block, length) = match self.key.algorithm() {
            Algorithm::HS256 => (64, 8),
            Algorithm::HS384 | Algorithm::HS512 => (128, 16),
            _ => return 0,
        };
        // The jti block and the base64url of `"`, the extra claims and `}`.
        let rest = 32 + base64_len(self.extra.len() + 2);
        let blocks = |k: usize| ((start + 4 * k) % block + rest + 1 + length).div_ceil(block);
        (0..=ALIGN_GROUPS)
            .min_by_key(|&k| (blocks(k), k))
            .unwrap_or(0)
    }

    /// `"`, the extra claims and `}`: what follows the `jti` value.
    fn write_tail(&self, out: &mut impl Sink) {
        out.put(b"\"");
        out.put(self.extra.as_bytes());
        out.put(b"}");
    }

    /// What follows the [`Constant`]: the segment, `:"`, the `jti`, the tail, so the whole
    /// payload is `{"iss":…,"sub":…,"aud":…, "exp":…,"iat":…[,"nbf":…], "jti":"…"[,extra]}`.
    fn write_variable(&self, out: &mut impl Sink, iat: i64, jti: &[u8; 16], before: usize) {
        self.write_segment(out, iat, before);
        out.put(b":\"");
        let mut enc = [0u8; 22];
        // 16 bytes encode to exactly 22 base64url characters.
        let n = b64_into(jti, &mut enc);
        out.put(&enc[..n]);
        wipe(&mut enc);
        self.write_tail(out);
    }

    fn authenticate_inner(
        &self,
        parts: &mut AuthParts<'_>,
        audience: &str,
        ctx: &mut Context<'_>,
    ) -> Result<(), Error> {
        let now = ctx.now();
        let mut entropy = |b: &mut [u8]| ctx.fill_random(b);
        let jwt = self.mint(audience, now, &mut entropy)?;
        self.append_params(parts, &jwt)
    }

    /// Adds `client_assertion_type`, `client_assertion` = `jwt` and (unless left out)
    /// `client_id` to the form (RFC 7523 §2.2, RFC 7521 §4.2).
    pub(crate) fn append_params(
        &self,
        parts: &mut AuthParts<'_>,
        jwt: &SecretString,
    ) -> Result<(), Error> {
        let append = |form: &mut grantwire::form::Form, n: &str, v: &str| {
            form.append(n, v).map_err(|_| Error::InvalidOption {
                name: "form",
                reason: "the request already carries this client-authentication parameter",
            })
        };
        append(parts.form, "client_assertion_type", CLIENT_ASSERTION_TYPE)?;
        append(parts.form, "client_assertion", jwt.secret())?;
        if self.client_id_param {
            append(parts.form, "client_id", self.client_id.as_str())?;
        }
        Ok(())
    }
}

impl ClientAuthentication for ClientAssertion {
    fn method(&self) -> AuthMethod {
        ClientAssertion::method(self)
    }

    fn client_id(&self) -> Option<&ClientId> {
        Some(&self.client_id)
    }

    fn form_size_hint(&self, target: &AuthTarget<'_>) -> usize {
        ClientAssertion::form_size_hint(self, target)
    }

    fn check_server(&self, server: &AuthorizationServer) -> Result<(), grantwire::Error> {
        ClientAssertion::check_server(self, server)
    }

    fn authenticate(
        &self,
        parts: &mut AuthParts<'_>,
        target: &AuthTarget<'_>,
        ctx: &mut Context<'_>,
    ) -> Result<(), grantwire::Error> {
        // A missing audience is the core's typed configuration error, passed on unchanged.
        let audience = self.audience_for(target)?;
        self.authenticate_inner(parts, audience, ctx)
            .map_err(|e| e.into_core(self.method()))
    }
}

macro_rules! method_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(ClientAssertion);

        impl $name {
            /// See [`ClientAssertion::audience`].
            pub fn audience(self, audience: Audience) -> Self {
                Self(self.0.audience(audience))
            }
            /// See [`ClientAssertion::lifetime`].
            pub fn lifetime(self, lifetime: Duration) -> Result<Self, Error> {
                Ok(Self(self.0.lifetime(lifetime)?))
            }
            /// See [`ClientAssertion::with_nbf`].
            pub fn with_nbf(self) -> Self {
                Self(self.0.with_nbf())
            }
            /// See [`ClientAssertion::with_typ`].
            pub fn with_typ(self) -> Self {
                Self(self.0.with_typ())
            }
            /// See [`ClientAssertion::with_x5t_s256`].
            pub fn with_x5t_s256(self, certificate_der: &[u8]) -> Self {
                Self(self.0.with_x5t_s256(certificate_der))
            }
            /// See [`ClientAssertion::claim`].
            pub fn claim(self, name: &str, value: serde_json::Value) -> Result<Self, Error> {
                Ok(Self(self.0.claim(name, value)?))
            }
            /// See [`ClientAssertion::without_client_id_param`].
            pub fn without_client_id_param(self) -> Self {
                Self(self.0.without_client_id_param())
            }
            /// The underlying assertion minter.
            pub fn assertion(&self) -> &ClientAssertion {
                &self.0
            }
        }

        impl ClientAuthentication for $name {
            fn method(&self) -> AuthMethod {
                self.0.method()
            }
            fn client_id(&self) -> Option<&ClientId> {
                Some(self.0.client_id())
            }
            fn form_size_hint(&self, target: &AuthTarget<'_>) -> usize {
                self.0.form_size_hint(target)
            }
            fn check_server(
                &self,
                server: &AuthorizationServer,
            ) -> Result<(), grantwire::Error> {
                self.0.check_server(server)
            }
            fn authenticate(
                &self,
                parts: &mut AuthParts<'_>,
                target: &AuthTarget<'_>,
                ctx: &mut Context<'_>,
            ) -> Result<(), grantwire::Error> {
                self.0.authenticate(parts, target, ctx)
            }
        }
    };
}

method_type!(
    /// `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): an HS256/384/512
    /// assertion keyed with the client secret.
    ///
    /// ```
    /// use grantwire::{ClientId, ClientSecret};
    /// use grantwire_jose::{Algorithm, ClientSecretJwt};
    /// let secret = ClientSecret::new("a-client-secret-of-at-least-32-bytes!");
    /// let auth = ClientSecretJwt::new(ClientId::new("client-1"), &secret, Algorithm::HS256)?;
    /// # Ok::<(), grantwire_jose::Error>(())
    /// ```
    ClientSecretJwt
);

method_type!(
    /// `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): an RS*, PS* or ES*
    /// assertion signed with the client's private key.
    PrivateKeyJwt
);

impl ClientSecretJwt {
    /// HMAC assertions keyed with `secret` (its UTF-8 bytes), for an HS* algorithm. The secret
    /// must be at least as long as the hash output (RFC 7518 §3.2).
    pub fn new(client_id: ClientId, secret: &ClientSecret, alg: Algorithm) -> Result<Self, Error> {
        let key = SigningKey::hmac(alg, secret.secret().as_bytes())?;
        Ok(Self(ClientAssertion::new(client_id, key)))
    }

    /// From an HMAC [`SigningKey`].
    pub fn from_key(client_id: ClientId, key: SigningKey) -> Result<Self, Error> {
        if !key.algorithm().is_symmetric() {
            return Err(Error::mismatch(key.algorithm(), "an asymmetric"));
        }
        Ok(Self(ClientAssertion::new(client_id, key)))
    }
}

impl PrivateKeyJwt {
    /// Assertions signed with `key` (an RS*, PS* or ES* [`SigningKey`]).
    pub fn new(client_id: ClientId, key: SigningKey) -> Result<Self, Error> {
        if key.algorithm().is_symmetric() {
            return Err(Error::KeyAlgorithmMismatch {
                alg: key.algorithm(),
                key: "private_key_jwt with a symmetric",
                hint: "use ClientSecretJwt for HS* or give an RSA/EC key",
            });
        }
        Ok(Self(ClientAssertion::new(client_id, key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_base64url_encoders_match_the_base64_crate() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..=66 {
            for start in [0, 1, 2, 100, 250, 400] {
                let src = &bytes[start..start + len];
                let mut out = [0u8; 88];
                let n = b64_into(src, &mut out);
                assert_eq!(&out[..n], B64.encode(src).as_bytes(), "{len} at {start}");
            }
        }
        let jti: [u8; 16] = std::array::from_fn(|i| (i as u8).wrapping_mul(97) ^ 0xf3);
        let mut out = [0u8; 22];
        b64_groups(&jti, &mut out);
        assert_eq!(&out[..], B64.encode(jti).as_bytes());
        let block: [u8; 24] = std::array::from_fn(|i| 255 - i as u8 * 11);
        let mut out = [0u8; 32];
        b64_groups(&block, &mut out);
        assert_eq!(&out[..], B64.encode(block).as_bytes());
        // Every tag length, the unrolled HMAC ones (32, 48, 64) included.
        for start in [0, 3, 190] {
            let tag: [u8; MAX_TAG] = std::array::from_fn(|i| bytes[start + i]);
            for n in 0..=MAX_TAG {
                let mut out = [0xaa; 86];
                let m = b64_tag(&tag, n, &mut out);
                assert_eq!(
                    &out[..m],
                    B64.encode(&tag[..n]).as_bytes(),
                    "{n} at {start}"
                );
            }
        }
    }
}
