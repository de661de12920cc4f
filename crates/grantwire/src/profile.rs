//! How forgiving the response parsers are: the [`Profile`], the [`ParseOptions`] limits, and the
//! [`Quirk`]s a profile tolerated, each with a stable name.

use std::fmt;

/// How forgiving a parser is. Chosen by the caller; the parsed value lists the
/// [`Quirk`]s that were needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// Every deviation from RFC 6749 §5.1 is an error: HTTP 200 only, `Content-Type:
    /// application/json`, `Cache-Control: no-store`, `expires_in` a JSON integer, no `null`
    /// members, access tokens of VSCHAR only (Appendix A.12).
    Strict,
    /// Tolerates harmless deviations: `expires_in` as a decimal string (Azure AD v1, PayPal),
    /// any 2xx status, any content type, `null` for optional members.
    #[default]
    Default,
    /// Also accepts `scope` as a JSON array or comma-separated list, and form-encoded bodies
    /// (some older providers).
    Lenient,
}

/// Limits and profile for the response parsers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// The profile.
    pub profile: Profile,
    /// Accept plain-`http` endpoint URLs to any host in a metadata document (RFC 8414 §2
    /// members such as `token_endpoint`). Off by default: then `http` is accepted only for
    /// loopback hosts, whatever the issuer's scheme, so a document fetched from a loopback
    /// issuer cannot send credentials in clear text to another host. Only for test rigs and
    /// networks the caller controls. The other parsers ignore it.
    pub danger_allow_http_endpoints: bool,
    /// Largest body accepted, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted (default 16).
    pub max_depth: usize,
    /// Largest `expires_in` accepted, in seconds (default ten years).
    pub max_expires_in: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            profile: Profile::Default,
            danger_allow_http_endpoints: false,
            max_body_bytes: 1024 * 1024,
            max_depth: 16,
            max_expires_in: 10 * 365 * 24 * 3600,
        }
    }
}

impl ParseOptions {
    /// Default limits with `profile`.
    pub fn with_profile(profile: Profile) -> Self {
        Self {
            profile,
            ..Self::default()
        }
    }
}

/// A deviation from the RFC that a profile tolerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Quirk {
    /// `expires_in` came as a decimal string.
    ExpiresInString = 0,
    /// A 2xx status other than 200.
    NonOkSuccessStatus = 1,
    /// A `Content-Type` other than `application/json`.
    ContentTypeNotJson = 2,
    /// An optional member was `null`.
    NullMember = 3,
    /// `scope` came as a JSON array (lenient).
    ScopeArray = 4,
    /// `scope` came comma-separated (lenient).
    ScopeCommaSeparated = 5,
    /// The body was form-encoded (lenient).
    FormEncodedBody = 6,
}

impl Quirk {
    /// Every quirk, in the order [`Quirks::iter`] lists them.
    pub const ALL: [Quirk; 7] = ALL_QUIRKS;

    /// The stable snake_case name of the quirk: what `Display` prints and serde writes. A name
    /// never changes once released; a CLI or log can match on it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Quirk::ExpiresInString => "expires_in_string",
            Quirk::NonOkSuccessStatus => "non_ok_success_status",
            Quirk::ContentTypeNotJson => "content_type_not_json",
            Quirk::NullMember => "null_member",
            Quirk::ScopeArray => "scope_array",
            Quirk::ScopeCommaSeparated => "scope_comma_separated",
            Quirk::FormEncodedBody => "form_encoded_body",
        }
    }

    /// The quirk named `name` (as [`Quirk::as_str`] spells it), if any.
    pub fn from_name(name: &str) -> Option<Quirk> {
        ALL_QUIRKS.into_iter().find(|q| q.as_str() == name)
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Quirk {
    type Err = UnknownQuirk;
    fn from_str(s: &str) -> Result<Self, UnknownQuirk> {
        Quirk::from_name(s).ok_or(UnknownQuirk)
    }
}

/// A name that is not one of [`Quirk::as_str`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown quirk name")]
pub struct UnknownQuirk;

impl serde::Serialize for Quirk {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Quirk {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Quirk::from_name(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, &QUIRK_NAMES))
    }
}

const QUIRK_NAMES: [&str; 7] = {
    let mut names = [""; 7];
    let mut i = 0;
    while i < 7 {
        names[i] = ALL_QUIRKS[i].as_str();
        i += 1;
    }
    names
};

const ALL_QUIRKS: [Quirk; 7] = [
    Quirk::ExpiresInString,
    Quirk::NonOkSuccessStatus,
    Quirk::ContentTypeNotJson,
    Quirk::NullMember,
    Quirk::ScopeArray,
    Quirk::ScopeCommaSeparated,
    Quirk::FormEncodedBody,
];

/// The set of [`Quirk`]s applied while parsing (no allocation).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Quirks(u8);

impl Quirks {
    pub(crate) fn add(&mut self, q: Quirk) {
        self.0 |= 1 << (q as u8);
    }
    /// Whether `q` was applied.
    pub fn contains(&self, q: Quirk) -> bool {
        self.0 & (1 << (q as u8)) != 0
    }
    /// Whether the response needed no quirk at all.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    /// The quirks applied.
    pub fn iter(&self) -> impl Iterator<Item = Quirk> + '_ {
        ALL_QUIRKS.into_iter().filter(|q| self.contains(*q))
    }
}

/// A list of names, as [`Quirk::as_str`] spells them.
impl serde::Serialize for Quirks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl fmt::Debug for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
