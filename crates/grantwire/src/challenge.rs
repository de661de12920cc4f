//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1, RFC 6750 §3) and `Retry-After`
//! (RFC 9110 §10.2.3).

use std::time::{Duration, SystemTime};

use crate::Error;

/// Longest header value the challenge parser reads.
pub const MAX_CHALLENGE_HEADER: usize = 8 * 1024;
const MAX_CHALLENGES: usize = 16;
const MAX_PARAMS: usize = 32;

/// One authentication challenge: a scheme with either a `token68` or auth-parameters
/// (RFC 9110 §11.6.1). Parameter names are lower-cased (they are case-insensitive).
///
/// ```
/// use grantwire::challenge::parse_www_authenticate;
/// let c = parse_www_authenticate(r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#).unwrap();
/// assert!(c[0].scheme_is("bearer"));
/// assert_eq!(c[0].param("error"), Some("invalid_token"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The auth-scheme as sent (compare with [`Challenge::scheme_is`]).
    pub scheme: String,
    /// The token68 form, when used instead of parameters.
    pub token68: Option<String>,
    /// The auth-params, names lower-cased, quoted values unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// Case-insensitive comparison of the scheme.
    pub fn scheme_is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The value of a parameter (name compared case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

const BAD: Error = Error::InvalidHeader {
    name: "WWW-Authenticate",
    reason: "not a list of RFC 9110 §11.6.1 challenges",
};

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn skip_ows_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> Option<&str> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        if self.i == start {
            None
        } else {
            std::str::from_utf8(&self.s[start..self.i]).ok()
        }
    }
    fn quoted(&mut self) -> Result<String, Error> {
        // Caller saw the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(BAD),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let c = self.s.get(self.i + 1).copied().ok_or(BAD)?;
                    out.push(c);
                    self.i += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| BAD)
    }
    /// At a comma/end after optional whitespace, without consuming.
    fn at_list_end(&self) -> bool {
        let mut j = self.i;
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        matches!(self.s.get(j), None | Some(b','))
    }
    /// After commas, does an auth-param (`token BWS "="`) follow (rather than a new scheme)?
    fn param_follows(&self) -> bool {
        let mut j = self.i;
        while matches!(self.s.get(j), Some(b' ' | b'\t' | b',')) {
            j += 1;
        }
        let start = j;
        while self.s.get(j).copied().is_some_and(is_tchar) {
            j += 1;
        }
        if j == start {
            return false;
        }
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        self.s.get(j) == Some(&b'=')
    }
}

/// Parses a `WWW-Authenticate` header value into its challenges.
pub fn parse_www_authenticate(value: &str) -> Result<Vec<Challenge>, Error> {
    if value.len() > MAX_CHALLENGE_HEADER {
        return Err(Error::InvalidHeader {
            name: "WWW-Authenticate",
            reason: "longer than 8 KiB",
        });
    }
    let mut c = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    loop {
        c.skip_ows_commas();
        if c.peek().is_none() {
            break;
        }
        if out.len() == MAX_CHALLENGES {
            return Err(Error::InvalidHeader {
                name: "WWW-Authenticate",
                reason: "more than 16 challenges",
            });
        }
        let scheme = c.token().ok_or(BAD)?.to_owned();
        let mut ch = Challenge {
            scheme,
            token68: None,
            params: Vec::new(),
        };
        let before_ws = c.i;
        c.skip_ows();
        if c.i == before_ws || c.at_list_end() {
            // No parameters.
            if !c.at_list_end() {
                return Err(BAD);
            }
            out.push(ch);
            continue;
        }
        // token68: 1*tchar68 *"=" followed by end or comma.
        let start = c.i;
        while c.peek().is_some_and(is_token68_char) {
            c.i += 1;
        }
        let body_end = c.i;
        while c.peek() == Some(b'=') {
            c.i += 1;
        }
        if body_end > start && c.at_list_end() {
            ch.token68 = Some(String::from_utf8_lossy(&c.s[start..c.i]).into_owned());
            out.push(ch);
            continue;
        }
        c.i = start;
        loop {
            if ch.params.len() == MAX_PARAMS {
                return Err(Error::InvalidHeader {
                    name: "WWW-Authenticate",
                    reason: "more than 32 parameters in one challenge",
                });
            }
            let name = c.token().ok_or(BAD)?.to_ascii_lowercase();
            c.skip_ows();
            if c.peek() != Some(b'=') {
                return Err(BAD);
            }
            c.i += 1;
            c.skip_ows();
            let value = if c.peek() == Some(b'"') {
                c.quoted()?
            } else {
                c.token().ok_or(BAD)?.to_owned()
            };
            ch.params.push((name, value));
            if !c.at_list_end() {
                return Err(BAD);
            }
            if c.param_follows() {
                c.skip_ows_commas();
                continue;
            }
            break;
        }
        out.push(ch);
    }
    Ok(out)
}

/// The longest wait [`parse_retry_after`] returns: one day. A server that asks for more (or for
/// `18446744073709551615` seconds, or a date decades away) gets this instead, so a caller may
/// add the result to any realistic `SystemTime` or `Instant` without overflow or panic.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date turned into
/// the time left from `now` (zero when the date has passed). Either form is capped at
/// [`MAX_RETRY_AFTER`]; a number too long for `u64` is capped too rather than refused.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use grantwire::challenge::{parse_retry_after, MAX_RETRY_AFTER};
/// assert_eq!(parse_retry_after("120", UNIX_EPOCH).unwrap(), Duration::from_secs(120));
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_777 - 30); // 30 s before the date
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now).unwrap(), Duration::from_secs(30));
/// assert_eq!(parse_retry_after("18446744073709551615", UNIX_EPOCH).unwrap(), MAX_RETRY_AFTER);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Result<Duration, Error> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // delta-seconds = 1*DIGIT with no upper bound; as RFC 9111 §1.2.2 has caches do, read
        // an overlong number as the greatest representable, then cap.
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Ok(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    if v.len() > 64 {
        return Err(Error::InvalidHeader {
            name: "Retry-After",
            reason: "neither delta-seconds nor an HTTP-date",
        });
    }
    let at = httpdate::parse_http_date(v).map_err(|_| Error::InvalidHeader {
        name: "Retry-After",
        reason: "neither delta-seconds nor an HTTP-date",
    })?;
    Ok(at
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
        .min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6750_examples() {
        // RFC 6750 §3 examples.
        let c = parse_www_authenticate(r#"Bearer realm="example""#).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("realm"), Some("example"));
        let c = parse_www_authenticate(
            "Bearer realm=\"example\",\n error=\"invalid_token\",\n error_description=\"The access token expired\""
                .replace('\n', "")
                .as_str(),
        )
        .unwrap();
        assert_eq!(
            c[0].param("error_description"),
            Some("The access token expired")
        );
    }

    #[test]
    fn multiple_challenges_and_token68() {
        let c = parse_www_authenticate(
            r#"Basic realm="as", Bearer error="invalid_token", scope="a b", DPoP algs="ES256 PS256""#,
        )
        .unwrap();
        assert_eq!(c.len(), 3);
        assert!(c[0].scheme_is("basic"));
        assert_eq!(c[1].param("scope"), Some("a b"));
        assert_eq!(c[2].param("algs"), Some("ES256 PS256"));
        let c = parse_www_authenticate("Negotiate abc+/==, Basic").unwrap();
        assert_eq!(c[0].token68.as_deref(), Some("abc+/=="));
        assert!(c[1].scheme_is("Basic") && c[1].params.is_empty());
        let c = parse_www_authenticate(r#"Bearer ERROR = "x\"y""#).unwrap();
        assert_eq!(c[0].param("error"), Some("x\"y"));
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [
            r#"Bearer realm="x"#,
            "=x",
            "Bearer a=b=c",
            "Bearer a=b c",
            "Bearer a b",
        ] {
            assert!(parse_www_authenticate(bad).is_err(), "{bad}");
        }
        assert!(parse_retry_after("soon", SystemTime::UNIX_EPOCH).is_err());
        assert!(parse_retry_after("-5", SystemTime::UNIX_EPOCH).is_err());
        let past = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", SystemTime::now()).unwrap();
        assert_eq!(past, Duration::ZERO);
    }
}
