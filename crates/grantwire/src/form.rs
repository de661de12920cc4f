//! `application/x-www-form-urlencoded` bodies (RFC 6749 Appendix B).
//!
//! [`Form`] writes a body, refusing a parameter name twice; [`parse`] reads one back (for the
//! lenient profile, test servers and property tests).

use zeroize::Zeroize;

use crate::Error;

/// A form body under construction. Each parameter name may appear once; a second
/// [`Form::append`] of the same name is [`Error::DuplicateParameter`], so nothing is silently
/// overridden.
///
/// The body may hold secrets, so the buffer is wiped when the form is dropped, and it never
/// grows by a plain reallocation (which would free an unwiped copy): when a value does not fit,
/// a new buffer is allocated, the bytes are copied and the old buffer is zeroed before it is
/// freed. Request builders size the buffer once from [`Form::measuring`] and
/// [`crate::ClientAuthentication::form_size_hint`], so a request body is written without
/// growing.
#[derive(Clone, Default)]
pub struct Form {
    body: Vec<u8>,
    /// `Some(bytes needed so far)` for a form that only measures (see [`Form::measuring`]).
    measure: Option<usize>,
    /// How many times the buffer had to grow.
    grew: u32,
}

impl Drop for Form {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets (client_secret, assertions): list names only.
        f.debug_list().entries(self.names()).finish()
    }
}

/// Bytes sent as themselves: RFC 3986 unreserved characters. Everything else, space included,
/// is percent-encoded, so `%20` is read as a space by form decoders and plain percent decoders
/// alike (RFC 6749 §2.3.1 note).
fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

/// [`is_unreserved`] as a table, so the encoder's loops have no branch per byte.
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    t
};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The length of `s` once percent-encoded with [`Form`]'s encoding.
pub fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| if is_unreserved(b) { 1 } else { 3 })
        .sum()
}

/// [`encode_into`] when the encoded length is known: a string with nothing to encode is
/// copied in one go.
fn encode_sized(out: &mut Vec<u8>, s: &str, encoded: usize) {
    if encoded == s.len() {
        out.extend_from_slice(s.as_bytes());
    } else {
        encode_into(out, s);
    }
}

/// Percent-encodes `s` onto `out` with [`Form`]'s encoding.
pub fn encode_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !is_unreserved(b) {
            // Copy the run of plain bytes before this one in one go.
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Percent-encodes `s` with [`Form`]'s encoding.
pub fn encode(s: &str) -> String {
    let mut v = Vec::with_capacity(s.len());
    encode_into(&mut v, s);
    // Only ASCII bytes are pushed.
    String::from_utf8(v).unwrap_or_default()
}

impl Form {
    /// An empty form with room for a typical token request.
    pub fn new() -> Self {
        Self::with_capacity(256)
    }

    /// An empty form whose buffer holds `capacity` bytes before it must grow.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            body: Vec::with_capacity(capacity),
            measure: None,
            grew: 0,
        }
    }

    /// A form that writes nothing and only adds up the bytes its parameters need
    /// ([`Form::measured`]), so a builder can size the real form once. It does not check
    /// for duplicate names (the real form does).
    pub fn measuring() -> Self {
        Self {
            body: Vec::new(),
            measure: Some(0),
            grew: 0,
        }
    }

    /// The bytes the parameters given to a [`Form::measuring`] form need, separators included
    /// (for a writing form: its length).
    pub fn measured(&self) -> usize {
        self.measure.unwrap_or(self.body.len())
    }

    /// The size of the buffer.
    pub fn capacity(&self) -> usize {
        self.body.capacity()
    }

    /// How many times the buffer grew past the capacity it was created with (each time into a
    /// new buffer, the old one wiped). A request builder's body has `0`.
    pub fn growths(&self) -> u32 {
        self.grew
    }

    /// Appends `name=value`, or fails if `name` is already present.
    pub fn append(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if self.measure.is_none() && self.contains(name) {
            return Err(Error::DuplicateParameter {
                name: name.to_owned(),
            });
        }
        self.push_pair(name, value);
        Ok(())
    }

    /// Makes room for `additional` more bytes without a plain reallocation: a new buffer,
    /// then the old one is zeroed before it is freed.
    fn reserve_wiping(&mut self, additional: usize) {
        let needed = self.body.len().saturating_add(additional);
        if needed <= self.body.capacity() {
            return;
        }
        let mut grown = Vec::with_capacity(needed.max(self.body.capacity().saturating_mul(2)));
        grown.extend_from_slice(&self.body);
        let mut old = std::mem::replace(&mut self.body, grown);
        old.zeroize();
        self.grew += 1;
    }

    /// Appends parameters already encoded (`name=value` pairs joined by `&`, written by
    /// [`Form::push_pair`] into another form), without the uniqueness check: for a builder that
    /// encodes its fixed parameters once and copies them into every request.
    pub(crate) fn push_encoded(&mut self, encoded: &[u8]) {
        if encoded.is_empty() {
            return;
        }
        let sep = usize::from(self.measured() != 0);
        if let Some(m) = &mut self.measure {
            *m += sep + encoded.len();
            return;
        }
        self.reserve_wiping(sep + encoded.len());
        if sep == 1 {
            self.body.push(b'&');
        }
        self.body.extend_from_slice(encoded);
    }

    /// Appends without the uniqueness check, for parameters the RFCs allow to repeat
    /// (`resource`, `audience`).
    pub(crate) fn push_pair(&mut self, name: &str, value: &str) {
        let len = self.measured();
        let sep = usize::from(len != 0);
        let (name_len, value_len) = (encoded_len(name), encoded_len(value));
        let needed = sep + name_len + 1 + value_len;
        if let Some(m) = &mut self.measure {
            *m += needed;
            return;
        }
        // Exactly what is written below, so the encoding itself never grows the buffer.
        self.reserve_wiping(needed);
        if sep == 1 {
            self.body.push(b'&');
        }
        encode_sized(&mut self.body, name, name_len);
        self.body.push(b'=');
        encode_sized(&mut self.body, value, value_len);
    }

    /// Whether a parameter called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.body
            .split(|&b| b == b'&')
            .filter(|p| !p.is_empty())
            .any(|pair| {
                let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
                encoded_eq(key, name)
            })
    }

    /// The (decoded) parameter names present, in order.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.body
            .split(|&b| b == b'&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
                decode_component(key).unwrap_or_default()
            })
    }

    /// The encoded body. The form no longer wipes it: wrap it (as builders do, in a
    /// [`crate::request::SecretBody`]) or wipe it yourself.
    pub fn into_bytes(mut self) -> Vec<u8> {
        // Leaves an empty buffer for `Drop`.
        std::mem::take(&mut self.body)
    }

    /// The encoded body so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.body
    }
}

/// Compares an encoded key with a plain name without allocating.
fn encoded_eq(encoded: &[u8], name: &str) -> bool {
    let mut i = 0;
    for &b in name.as_bytes() {
        if is_unreserved(b) {
            if encoded.get(i) != Some(&b) {
                return false;
            }
            i += 1;
        } else {
            let want = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
            if encoded.get(i..i + 3) != Some(&want[..]) {
                return false;
            }
            i += 3;
        }
    }
    i == encoded.len()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode_component(s: &[u8]) -> Result<String, Error> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex_val);
                let lo = s.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 2;
                    }
                    _ => return Err(Error::InvalidForm),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Error::InvalidForm)
}

/// Decodes a percent-encoded string where `+` stays `+` (RFC 3986 percent-decoding, as servers
/// that do not form-decode read it).
pub fn percent_decode(s: &[u8]) -> Result<String, Error> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hi = s.get(i + 1).copied().and_then(hex_val);
            let lo = s.get(i + 2).copied().and_then(hex_val);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(Error::InvalidForm),
            }
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::InvalidForm)
}

/// Parses an `application/x-www-form-urlencoded` body into name/value pairs, in order.
///
/// ```
/// let pairs = grantwire::form::parse(b"grant_type=client_credentials&scope=a%20b+c").unwrap();
/// assert_eq!(pairs[1], ("scope".to_string(), "a b c".to_string()));
/// ```
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, Error> {
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = decode_component(it.next().unwrap_or_default())?;
            let v = decode_component(it.next().unwrap_or_default())?;
            Ok((k, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_refuses_duplicates_and_encodes() {
        let mut f = Form::new();
        f.append("grant_type", "client_credentials").unwrap();
        f.append("scope", "a b+c%").unwrap();
        f.append("na me", "v").unwrap();
        assert_eq!(
            f.as_bytes(),
            b"grant_type=client_credentials&scope=a%20b%2Bc%25&na%20me=v"
        );
        assert!(f.contains("na me"));
        assert!(!f.contains("grant"));
        assert_eq!(
            f.append("scope", "x"),
            Err(Error::DuplicateParameter {
                name: "scope".into()
            })
        );
        let back = parse(f.as_bytes()).unwrap();
        assert_eq!(back[1].1, "a b+c%");
        assert_eq!(format!("{f:?}"), r#"["grant_type", "scope", "na me"]"#);
    }

    #[test]
    fn measuring_matches_writing_and_growth_is_counted() {
        let fill = |f: &mut Form| {
            f.append("grant_type", "refresh_token").unwrap();
            f.append("refresh_token", "a b/c~").unwrap();
            f.push_pair("resource", "https://x.example/");
        };
        let mut m = Form::measuring();
        fill(&mut m);
        assert!(m.as_bytes().is_empty());
        let mut exact = Form::with_capacity(m.measured());
        fill(&mut exact);
        assert_eq!(exact.as_bytes().len(), m.measured());
        assert_eq!(exact.capacity(), m.measured());
        assert_eq!(exact.growths(), 0);
        // Too small: it grows into a new buffer, keeping the content.
        let mut small = Form::with_capacity(8);
        fill(&mut small);
        assert_eq!(small.as_bytes(), exact.as_bytes());
        assert!(small.growths() > 0);
        assert_eq!(encoded_len("a b/c~"), 10);
    }

    #[test]
    fn decode_errors_are_typed() {
        assert_eq!(decode_component(b"%4"), Err(Error::InvalidForm));
        assert_eq!(decode_component(b"%ff"), Err(Error::InvalidForm));
        assert_eq!(percent_decode(b"a+b%20").unwrap(), "a+b ");
    }
}
