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
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use grantwire::{
    AssertionAudience, AuthMethod, AuthParts, AuthTarget, AuthorizationServer,
    ClientAuthentication, ClientId, ClientSecret, Context, Entropy, SecretString,
};
use zeroize::Zeroize as _;

use crate::alg::Algorithm;
use crate::backend::MacState;
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
    /// The constant start of the signing input for the first audience minted for.
    constant: OnceLock<Constant>,
}

/// What every assertion for one audience shares: the signing input up to the `exp` value,
/// `base64url(header) "." base64url({"iss":…,"sub":…,"aud":…, "exp":)`, and for an HS* key of
/// a built-in backend the HMAC state after absorbing it. Only `exp`, `iat` (`nbf`) and `jti`
/// change between assertions; they and the extra claims follow, so each assertion encodes and
/// MACs only its own ~70 bytes. Computed when the first assertion for an audience is minted
/// (the audience comes from the server value at request time) and reset by the options that
/// change the header.
#[derive(Clone)]
struct Constant {
    audience: Box<str>,
    encoded: String,
    mac: Option<Arc<dyn MacState>>,
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

    /// The [`Constant`] for `audience`; with `mac`, the HMAC state after it too.
    fn build_constant(&self, audience: &str, mac: bool) -> Constant {
        let mut claims = Vec::with_capacity(self.prefix.len() + audience.len() + 12);
        self.constant_claims(&mut claims, audience);
        let mut encoded =
            String::with_capacity(self.header.encoded.len() + 1 + base64_len(claims.len()));
        encoded.push_str(&self.header.encoded);
        encoded.push('.');
        B64.encode_string(&claims, &mut encoded);
        let mac = match self.key.prefix_mac() {
            Some(m) if mac => Some(Arc::from(m.absorb(encoded.as_bytes()))),
            _ => None,
        };
        Constant {
            audience: audience.into(),
            encoded,
            mac,
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
        Ok(self)
    }

    /// Adds `nbf` = now.
    pub fn with_nbf(mut self) -> Self {
        self.nbf = true;
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
    /// (20 digits), so a request body sized with it never grows.
    pub fn max_assertion_len(&self, audience: &str) -> usize {
        const NUMBER: usize = 20;
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
        let fresh;
        let constant = match self
            .constant
            .get_or_init(|| self.build_constant(audience, true))
        {
            c if *c.audience == *audience => c,
            // Another audience than the first (CalledEndpoint at a second endpoint): the same
            // bytes from scratch.
            _ => {
                fresh = self.build_constant(audience, false);
                &fresh
            }
        };
        let mut input = self.signing_input(constant, now, entropy)?;
        let jwt = match &constant.mac {
            Some(mac) => {
                let sig = mac.finish(&input[constant.encoded.len()..]);
                input.push(b'.');
                push_b64(&mut input, sig.as_bytes());
                into_string(input)?
            }
            None => self.key.finish(into_string(input)?, entropy)?,
        };
        Ok(SecretString::new(jwt))
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
        let input = self.signing_input(&self.build_constant(audience, false), now, entropy)?;
        Ok(PreparedAssertion::new(
            &self.key,
            into_string(input)?,
            audience,
        ))
    }

    /// `header.payload` (base64url, RFC 7515 §7.1) at `now`: the `constant` start, then the
    /// rest of the claims, sized for the signature that will be appended.
    fn signing_input(
        &self,
        constant: &Constant,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Result<Vec<u8>, Error> {
        let iat = unix(now);
        if iat < 0 {
            return Err(Error::InvalidOption {
                name: "now",
                reason: "the time passed in is before 1970",
            });
        }
        let mut jti = [0u8; 16];
        entropy.fill_bytes(&mut jti);
        let mut stack = [0u8; 256];
        let mut sink = StackSink {
            buf: &mut stack,
            len: 0,
            overflow: false,
        };
        self.write_variable(&mut sink, iat, &jti);
        let sink_len = sink.len;
        let mut heap = Vec::new();
        let rest: &[u8] = if sink.overflow {
            // Never regrown (a regrowth would leave an unwiped copy): the variable claims take
            // at most 110 bytes besides the extra ones.
            heap.reserve_exact(self.extra.len() + 128);
            self.write_variable(&mut heap, iat, &jti);
            &heap
        } else {
            &stack[..sink_len]
        };
        jti.zeroize();
        // Exactly the final size: the assertion is zeroized on drop, capacity included.
        let mut out = Vec::with_capacity(
            constant.encoded.len()
                + base64_len(rest.len())
                + 1
                + base64_len(self.key.signature_len()),
        );
        out.extend_from_slice(constant.encoded.as_bytes());
        push_b64(&mut out, rest);
        // The claims are part of a credential: no copy outlives this call (only the bytes
        // written need wiping; the rest of the buffer was never touched).
        stack[..sink_len].zeroize();
        heap.zeroize();
        Ok(out)
    }

    /// What follows the [`Constant`]: `exp,"iat":…[,"nbf":…],"jti":"…"[,extra]}`, so the whole
    /// payload is `{"iss":…,"sub":…,"aud":…, "exp":…,"iat":…[,"nbf":…],"jti":…[,extra]}`.
    fn write_variable(&self, out: &mut impl Sink, iat: i64, jti: &[u8; 16]) {
        push_u64(out, iat.saturating_add(self.lifetime as i64));
        out.put(b",\"iat\":");
        push_u64(out, iat);
        if self.nbf {
            out.put(b",\"nbf\":");
            push_u64(out, iat);
        }
        out.put(b",\"jti\":\"");
        let mut enc = [0u8; 22];
        // 16 bytes encode to exactly 22 base64url characters.
        let n = B64.encode_slice(jti, &mut enc).unwrap_or(0);
        out.put(&enc[..n]);
        enc.zeroize();
        out.put(b"\"");
        out.put(self.extra.as_bytes());
        out.put(b"}");
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
