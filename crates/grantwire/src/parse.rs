//! What every response parser shares: the [`ResponseView`] they read, the body reader (size,
//! JSON, duplicate members, an `error` member turned into [`Error::OAuth`]), content-type and
//! status checks, `Retry-After`, and the member helpers. One place, so the parsers cannot drift
//! apart.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};

use crate::challenge::{parse_retry_after, parse_www_authenticate};
use crate::error::{bounded_text, ErrorCode, ErrorResponse, ResponseInfo, MAX_ERROR_TEXT};
use crate::json::{self, Member, Members, ReadError};
use crate::profile::{ParseOptions, Profile, Quirk, Quirks};
use crate::{Error, Scope};

/// A response as the parsers read it: status, headers and body bytes, borrowed.
///
/// Every parser takes `impl Into<ResponseView>`: an `&http::Response<B>` for any body
/// `B: AsRef<[u8]>`, or a `(StatusCode, &HeaderMap, &body)` tuple for a transport that keeps
/// the parts apart. `Debug` prints the status and the body length, never the body.
///
/// ```
/// use grantwire::{parse::ResponseView, TokenResponse};
/// let body = br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer"}"#;
/// let response = http::Response::new(&body[..]);
/// let now = std::time::UNIX_EPOCH;
/// let a = TokenResponse::parse(&response, now)?;
/// let b = TokenResponse::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), now)?;
/// assert_eq!(a.access_token(), b.access_token());
/// assert_eq!(format!("{:?}", ResponseView::from(&response)), "ResponseView { status: 200, body_len: 56 }");
/// # Ok::<(), grantwire::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct ResponseView<'a> {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: &'a HeaderMap,
    /// The body bytes, as received (the parsers enforce [`ParseOptions::max_body_bytes`]).
    pub body: &'a [u8],
}

impl<'a> ResponseView<'a> {
    /// A view of parts a transport keeps apart.
    pub fn new(status: StatusCode, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The status and sanitised content type, as errors from this response carry them.
    pub fn info(&self) -> ResponseInfo {
        ResponseInfo::new(self.status, self.headers)
    }
}

impl fmt::Debug for ResponseView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseView")
            .field("status", &self.status.as_u16())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<'a, B: AsRef<[u8]>> From<&'a http::Response<B>> for ResponseView<'a> {
    fn from(r: &'a http::Response<B>) -> Self {
        Self::new(r.status(), r.headers(), r.body().as_ref())
    }
}

impl<'a, B: AsRef<[u8]> + ?Sized> From<(StatusCode, &'a HeaderMap, &'a B)> for ResponseView<'a> {
    fn from((status, headers, body): (StatusCode, &'a HeaderMap, &'a B)) -> Self {
        Self::new(status, headers, body.as_ref())
    }
}

pub(crate) fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

pub(crate) fn is_json_content_type(headers: &HeaderMap) -> bool {
    // The first `Content-Type` value, as `HeaderMap::get` gives it: a walk over the few headers
    // of a response is cheaper than a hashed lookup.
    let Some((_, value)) = headers.iter().find(|(name, _)| *name == CONTENT_TYPE) else {
        return false;
    };
    // The common value, compared as bytes: no UTF-8 check, split or trim (the general path
    // below gives the same answer for it).
    if value.as_bytes().eq_ignore_ascii_case(b"application/json") {
        return true;
    }
    value.to_str().ok().is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
            || (essence.len() > 5
                && essence[..essence.len() - 5].contains('/')
                && essence.to_ascii_lowercase().ends_with("+json"))
    })
}

fn is_form_content_type(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// `Retry-After` (RFC 9110 §10.2.3) as a duration from `now`, when present and valid.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now).ok())
}

/// The failure for a non-2xx response that carries no OAuth error.
pub(crate) fn unexpected_status(r: ResponseView<'_>, now: SystemTime) -> Error {
    Error::UnexpectedStatus {
        response: r.info(),
        retry_after: retry_after(r.headers, now),
    }
}

/// Reads any response body into the slots of `names`, the same way under every profile, before
/// any member is interpreted: size and status checks, JSON (the lenient profile also takes form
/// bodies), then duplicate members refused ([`Error::DuplicateMember`]), then an `error` member
/// turned into [`Error::OAuth`] whatever the status. `names` must hold `error`,
/// `error_description` and `error_uri`.
pub(crate) fn read_body<'b, const N: usize>(
    r: ResponseView<'b>,
    now: SystemTime,
    opts: &ParseOptions,
    names: &[&'static str; N],
    quirks: &mut Quirks,
) -> Result<json::Known<'b, N>, Error> {
    let mut known = json::Known::empty();
    read_body_into(r, now, opts, names, quirks, &mut known)?;
    Ok(known)
}

/// [`read_body`] into a [`json::Known`] the caller holds (empty), so the slot table is never
/// moved.
pub(crate) fn read_body_into<'b, const N: usize>(
    r: ResponseView<'b>,
    now: SystemTime,
    opts: &ParseOptions,
    names: &[&'static str; N],
    quirks: &mut Quirks,
    known: &mut json::Known<'b, N>,
) -> Result<(), Error> {
    let (status, headers, body) = (r.status, r.headers, r.body);
    if body.len() > opts.max_body_bytes {
        return Err(Error::BodyTooLarge {
            limit: opts.max_body_bytes,
            length: body.len(),
            response: None,
        });
    }
    if status.is_informational() || status.is_redirection() {
        return Err(unexpected_status(r, now));
    }
    let not_json = || Error::NotJson {
        response: r.info(),
        snippet: json::redacted_snippet(body),
        retry_after: retry_after(headers, now),
    };
    let lenient = opts.profile == Profile::Lenient;
    if lenient && is_form_content_type(headers) {
        quirks.add(Quirk::FormEncodedBody);
        *known = json::Known::from_members(names, json::read_form(body).ok_or_else(not_json)?);
    } else {
        match json::read_known_into(body, opts.max_depth, names, known) {
            Ok(()) => {}
            Err(ReadError::TooDeep) => {
                return Err(Error::NestingTooDeep {
                    limit: opts.max_depth,
                    response: None,
                })
            }
            Err(ReadError::NotObject) if status.is_success() => {
                return Err(Error::wrong_type("(body)", "a JSON object"))
            }
            Err(_) if lenient => match json::read_form(body) {
                Some(m) if m.iter().any(|(k, _)| k == "access_token" || k == "error") => {
                    quirks.add(Quirk::FormEncodedBody);
                    *known = json::Known::from_members(names, m);
                }
                _ => return Err(not_json()),
            },
            Err(ReadError::NotObject) => return Err(unexpected_status(r, now)),
            Err(ReadError::NotJson) => return Err(not_json()),
        }
    };
    // RFC 8259 §4: with duplicate names, what a reader sees is unpredictable; refuse them before
    // reading any value, so no profile can come to a different answer.
    if let Some(name) = known.duplicate() {
        return Err(Error::DuplicateMember {
            member: bounded_text(&name, MAX_NAME_CHARS),
            response: None,
        });
    }
    if known.get(names, "error").is_some() {
        let get = |name: &str| known.get(names, name);
        return Err(Error::OAuth(Box::new(error_response(&get, r, now, opts)?)));
    }
    Ok(())
}

/// Longest member name kept in [`Error::DuplicateMember`].
const MAX_NAME_CHARS: usize = 64;

/// [`read_body`] for parsers that walk the members as a list: the members of RFC 6749 §5.2 in
/// their slots, every other member in the list.
pub(crate) fn read_members<'b>(
    r: ResponseView<'b>,
    now: SystemTime,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Members<'b>, Error> {
    read_body(r, now, opts, &ERROR_MEMBERS, quirks).map(|k| k.into_members(&ERROR_MEMBERS))
}

/// The members of an RFC 6749 §5.2 error response.
const ERROR_MEMBERS: [&str; 3] = ["error", "error_description", "error_uri"];

/// Builds the [`ErrorResponse`] of RFC 6749 §5.2 from members that include `error`; `get` looks
/// a member up.
fn error_response<'m, 'b: 'm>(
    get: &dyn Fn(&str) -> Option<&'m Member<'b>>,
    r: ResponseView<'_>,
    now: SystemTime,
    opts: &ParseOptions,
) -> Result<ErrorResponse, Error> {
    let strict = opts.profile == Profile::Strict;
    let code = match get("error") {
        Some(Member::Str(s)) if !s.is_empty() => s,
        Some(Member::Str(_)) => return Err(Error::invalid_value("error", "empty")),
        _ => return Err(Error::wrong_type("error", "a string")),
    };
    // RFC 6749 §5.2: error, error_description and error_uri use restricted character sets.
    let nqschar = |s: &str| {
        s.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    };
    if strict && !nqschar(code) {
        return Err(Error::strict(
            "RFC 6749 §5.2: `error` must be %x20-21 / %x23-5B / %x5D-7E",
        ));
    }
    let text = |name: &'static str| -> Result<Option<String>, Error> {
        match get(name) {
            None => Ok(None),
            Some(Member::Str(s)) => {
                if strict && !nqschar(s) {
                    return Err(Error::strict("RFC 6749 §5.2: error_description and error_uri use %x20-21 / %x23-5B / %x5D-7E"));
                }
                // Server text: bounded and stripped of control characters, so a hostile
                // server can neither make errors huge nor drive a terminal or log.
                Ok(Some(bounded_text(s, MAX_ERROR_TEXT)))
            }
            Some(_) if strict => Err(Error::wrong_type(name, "a string")),
            Some(_) => Ok(None),
        }
    };
    let mut resp = ErrorResponse::new(ErrorCode::parse(code), r.status.as_u16());
    resp.content_type = r.info().content_type;
    resp.error_description = text("error_description")?;
    resp.error_uri = text("error_uri")?;
    resp.challenges = r
        .headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| parse_www_authenticate(v).ok())
        .flatten()
        .collect();
    resp.retry_after = retry_after(r.headers, now);
    Ok(resp)
}

/// Status and content-type checks for a successful answer. `rules` are the strict profile's
/// messages, with their RFC section, for a status other than 200 and for a content type other
/// than JSON; the other profiles note [`Quirk::NonOkSuccessStatus`] and
/// [`Quirk::ContentTypeNotJson`] instead.
pub(crate) fn success_checks(
    r: ResponseView<'_>,
    opts: &ParseOptions,
    rules: [&'static str; 2],
    quirks: &mut Quirks,
) -> Result<(), Error> {
    let strict = opts.profile == Profile::Strict;
    if r.status != StatusCode::OK {
        if strict {
            return Err(Error::strict(rules[0]));
        }
        quirks.add(Quirk::NonOkSuccessStatus);
    }
    if !quirks.contains(Quirk::FormEncodedBody) && !is_json_content_type(r.headers) {
        if strict {
            return Err(Error::strict(rules[1]));
        }
        quirks.add(Quirk::ContentTypeNotJson);
    }
    Ok(())
}

/// Reads an optional string member; `null` is absent outside the strict profile.
pub(crate) fn opt_str(
    m: Member<'_>,
    name: &'static str,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<String>, Error> {
    match m {
        Member::Str(s) => Ok(Some(s.into_owned())),
        Member::Null if opts.profile != Profile::Strict => {
            quirks.add(Quirk::NullMember);
            Ok(None)
        }
        _ => Err(Error::wrong_type(name, "a string")),
    }
}

/// Reads `scope` under the profile.
pub(crate) fn read_scope(
    m: Member<'_>,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<Scope>, Error> {
    let lenient = opts.profile == Profile::Lenient;
    match m {
        Member::Str(s) => {
            if lenient && s.contains(',') && !s.contains(' ') {
                quirks.add(Quirk::ScopeCommaSeparated);
                return Scope::from_tokens(s.split(',').map(str::trim).filter(|t| !t.is_empty()))
                    .map(Some);
            }
            match s {
                Cow::Owned(o) => Scope::from_owned(o).map(Some),
                Cow::Borrowed(b) => Scope::from_owned(b.to_owned()).map(Some),
            }
        }
        Member::Array(items) if lenient => {
            quirks.add(Quirk::ScopeArray);
            if items.len() > Scope::MAX_TOKENS {
                return Err(Error::TooManyScopeTokens {
                    limit: Scope::MAX_TOKENS,
                    response: None,
                });
            }
            let tokens = items
                .iter()
                .map(|item| match item {
                    Member::Str(t) => Ok(&**t),
                    _ => Err(Error::wrong_type("scope", "an array of strings")),
                })
                .collect::<Result<Vec<&str>, Error>>()?;
            Scope::from_tokens(tokens).map(Some)
        }
        Member::Null if opts.profile != Profile::Strict => {
            quirks.add(Quirk::NullMember);
            Ok(None)
        }
        _ => Err(Error::wrong_type("scope", "a space-delimited string")),
    }
}

/// Parses a response that is expected to be an OAuth error (RFC 6749 §5.2) — for example the
/// answer to a revocation or introspection request — returning the [`ErrorResponse`] or the
/// typed reason it is not one (carrying the response's status and content type).
pub fn parse_error_response<'a>(
    response: impl Into<ResponseView<'a>>,
    now: SystemTime,
    opts: &ParseOptions,
) -> Result<ErrorResponse, Error> {
    let r = response.into();
    let mut quirks = Quirks::default();
    match read_members(r, now, opts, &mut quirks) {
        Err(Error::OAuth(e)) => Ok(*e),
        Err(e) => Err(e),
        Ok(_) => Err(Error::missing("error")),
    }
    .map_err(|e| e.with_response(|| r.info()))
}
