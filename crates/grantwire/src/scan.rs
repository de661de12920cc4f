//! The JSON scanner behind [`crate::json::read_known`]: one pass over the body, each member of
//! the top-level object filed into its slot as it is read.
//!
//! It accepts exactly the JSON that `serde_json::from_slice` accepts (RFC 8259: UTF-8, strings
//! without raw control characters, `\u` escapes with paired surrogates, no leading zeros, only
//! space, tab, CR and LF as whitespace, nothing after the value), builds the same
//! [`Member`] values the serde reader built before it (integers as `u64`/`i64` where they fit,
//! every other number through `serde_json`'s own float reading), and fails the same way
//! ([`ReadError`]); a differential property test holds it to that. What it saves is the serde
//! machinery: no visitor per member, no scratch buffer for strings without escapes, and a string
//! scan that tests 32 bytes at a time.
//!
//! Work is linear in the body: every byte is looked at a bounded number of times, nesting is
//! bounded by the caller's depth limit (and by 127, `serde_json`'s own recursion limit, so the
//! answer for deep bodies is the same as before), and a string with escapes is decoded into a
//! buffer allocated once at its final size (so a secret in it is never left behind by a
//! reallocation).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::json::{Known, Member, ReadError};

/// Containers nested this deep are refused as not JSON (`serde_json`'s recursion limit: its
/// reader fails on the 128th nested `[` or `{`).
const RECURSION_LIMIT: usize = 128;

/// Reads a top-level JSON object into the slots of `names`, nesting at most `max_depth`.
#[cfg(test)]
pub(crate) fn read_known<'de, const N: usize>(
    body: &'de [u8],
    max_depth: usize,
    names: &[&'static str; N],
) -> Result<Known<'de, N>, ReadError> {
    let mut known = Known::empty();
    read_known_into(body, max_depth, names, &mut known)?;
    Ok(known)
}

/// [`read_known`] into a [`Known`] the caller holds (empty), so the slot table is never moved.
pub(crate) fn read_known_into<'de, const N: usize>(
    body: &'de [u8],
    max_depth: usize,
    names: &[&'static str; N],
    known: &mut Known<'de, N>,
) -> Result<(), ReadError> {
    let mut s = Scanner {
        b: body,
        i: 0,
        max_depth,
    };
    s.ws();
    match s.peek() {
        Some(b'{') => s.i += 1,
        _ => return Err(s.top_level_other()),
    }
    s.enter(1)?;
    s.ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
    } else {
        loop {
            // A name without escapes is looked up as bytes (equal to a known name, it is valid
            // UTF-8); any other is decoded and checked first, before its value is read.
            let (raw, escaped) = s.key_raw()?;
            let slot = match escaped {
                false => names.iter().position(|n| n.as_bytes() == raw),
                true => None,
            };
            let name = match slot {
                Some(i) => Name::Slot(i),
                None => Name::Other(finish_string(raw, escaped)?),
            };
            s.colon()?;
            match name {
                // Written straight into the slot: no copy of the value on the way.
                Name::Slot(i) => match known.claim_slot(names, i) {
                    Some(slot) if s.peek() == Some(b'"') => {
                        s.i += 1;
                        let (raw, escaped) = s.string_raw()?;
                        *slot = Some(Member::Str(finish_string(raw, escaped)?));
                    }
                    Some(slot) => *slot = Some(s.top_value()?),
                    None => drop(s.value(1)?),
                },
                Name::Other(key) => {
                    let value = s.value(1)?;
                    known.put(names, key, value);
                }
            }
            s.ws();
            match s.next() {
                Some(b',') => s.ws(),
                Some(b'}') => break,
                _ => return Err(ReadError::NotJson),
            }
        }
    }
    s.ws();
    if s.i != s.b.len() {
        return Err(ReadError::NotJson);
    }
    Ok(())
}

/// A member name of the top-level object: the slot of a known name, or any other name.
enum Name<'de> {
    Slot(usize),
    Other(Cow<'de, str>),
}

struct Scanner<'de> {
    b: &'de [u8],
    i: usize,
    max_depth: usize,
}

impl<'de> Scanner<'de> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    /// Skips JSON whitespace (RFC 8259 §2).
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Checks a container opened at `depth` (the top-level object is 1).
    fn enter(&self, depth: usize) -> Result<(), ReadError> {
        if depth >= RECURSION_LIMIT {
            Err(ReadError::NotJson)
        } else if depth > self.max_depth {
            Err(ReadError::TooDeep)
        } else {
            Ok(())
        }
    }

    /// A body that does not start with `{`: a JSON value of another type is
    /// [`ReadError::NotObject`] (only its first token is read, as `serde_json` does), anything
    /// else [`ReadError::NotJson`].
    fn top_level_other(&mut self) -> ReadError {
        let ok = match self.peek() {
            Some(b'[') => true,
            Some(b'n') => self.literal(b"null").is_ok(),
            Some(b't') => self.literal(b"true").is_ok(),
            Some(b'f') => self.literal(b"false").is_ok(),
            Some(b'-' | b'0'..=b'9') => self.number().is_ok(),
            Some(b'"') => {
                self.i += 1;
                self.string().is_ok()
            }
            _ => false,
        };
        if ok {
            ReadError::NotObject
        } else {
            ReadError::NotJson
        }
    }

    /// A member name and the `:` after it; the scanner is at the opening quote.
    fn key(&mut self) -> Result<Cow<'de, str>, ReadError> {
        let (raw, escaped) = self.key_raw()?;
        let key = finish_string(raw, escaped)?;
        self.colon()?;
        Ok(key)
    }

    /// The raw bytes of a member name (see [`Scanner::string_raw`]).
    fn key_raw(&mut self) -> Result<(&'de [u8], bool), ReadError> {
        if self.next() != Some(b'"') {
            return Err(ReadError::NotJson);
        }
        self.string_raw()
    }

    /// The `:` after a member name, with the whitespace around it.
    fn colon(&mut self) -> Result<(), ReadError> {
        self.ws();
        if self.next() != Some(b':') {
            return Err(ReadError::NotJson);
        }
        self.ws();
        Ok(())
    }

    /// A member value of the top-level object: [`Scanner::value`] with the common cases inline.
    #[inline(always)]
    fn top_value(&mut self) -> Result<Member<'de>, ReadError> {
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                let (raw, escaped) = self.string_raw()?;
                finish_string(raw, escaped).map(Member::Str)
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.value(1),
        }
    }

    /// A value inside a container at `depth`.
    fn value(&mut self, depth: usize) -> Result<Member<'de>, ReadError> {
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                self.string().map(Member::Str)
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'{') => {
                self.i += 1;
                self.enter(depth + 1)?;
                self.object(depth + 1).map(Member::Object)
            }
            Some(b'[') => {
                self.i += 1;
                self.enter(depth + 1)?;
                self.array(depth + 1).map(Member::Array)
            }
            Some(b't') => self.literal(b"true").map(|()| Member::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Member::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Member::Null),
            _ => Err(ReadError::NotJson),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ReadError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(ReadError::NotJson)
        }
    }

    /// A nested object (after its `{`), as a `serde_json` value: a repeated name keeps the last
    /// value, as `serde_json::Map` does. Duplicate refusal is for the top level only.
    fn object(&mut self, depth: usize) -> Result<Value, ReadError> {
        let mut map = Map::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(map));
        }
        loop {
            let key = self.key()?.into_owned();
            let value = self.value(depth)?;
            map.insert(key, value.into_value());
            self.ws();
            match self.next() {
                Some(b',') => self.ws(),
                Some(b'}') => return Ok(Value::Object(map)),
                _ => return Err(ReadError::NotJson),
            }
        }
    }

    /// A nested array (after its `[`).
    fn array(&mut self, depth: usize) -> Result<Vec<Member<'de>>, ReadError> {
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(items);
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.next() {
                Some(b',') => self.ws(),
                Some(b']') => return Ok(items),
                _ => return Err(ReadError::NotJson),
            }
        }
    }

    /// A number (RFC 8259 §6). Integers that fit `u64` (or, negative, `i64`) are read here;
    /// fractions, exponents, `-0` and integers too large for those go through `serde_json`'s own
    /// float reading of the same bytes, so they come out as they always did (and a float out of
    /// `f64`'s range is refused as before).
    #[inline(always)]
    fn number(&mut self) -> Result<Member<'de>, ReadError> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let digits_start = self.i;
        match self.next() {
            // RFC 8259 §6: no leading zeros.
            Some(b'0') if matches!(self.peek(), Some(b'0'..=b'9')) => {
                return Err(ReadError::NotJson)
            }
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(ReadError::NotJson),
        }
        let digits_end = self.i;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.one_or_more_digits()?;
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.one_or_more_digits()?;
            float = true;
        }
        if !float {
            let digits = &self.b[digits_start..digits_end];
            if let Some(n) = digits.iter().try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            }) {
                if !negative {
                    return Ok(Member::U64(n));
                }
                // As serde_json: negative and representable (not -0) is an i64.
                let neg = (n as i64).wrapping_neg();
                if neg < 0 {
                    return Ok(Member::I64(neg));
                }
            }
        }
        read_float(&self.b[start..self.i])
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> Result<(), ReadError> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            _ => Err(ReadError::NotJson),
        }
    }

    /// A string (RFC 8259 §7), after its opening quote: borrowed from the body when it has no
    /// escape, else decoded into a buffer of the raw length (never reallocated).
    fn string(&mut self) -> Result<Cow<'de, str>, ReadError> {
        let (raw, escaped) = self.string_raw()?;
        finish_string(raw, escaped)
    }

    /// The raw bytes of a string after its opening quote, up to its closing one (consumed), and
    /// whether they hold an escape. Raw control characters and an unterminated string are
    /// refused here; escapes and UTF-8 are checked by [`finish_string`].
    #[inline(always)]
    fn string_raw(&mut self) -> Result<(&'de [u8], bool), ReadError> {
        let start = self.i;
        let mut escaped = false;
        loop {
            self.skip_plain();
            match self.next() {
                Some(b'"') => break,
                Some(b'\\') => {
                    // The escaped character cannot end the string; `decode` checks it.
                    if self.next().is_none() {
                        return Err(ReadError::NotJson);
                    }
                    escaped = true;
                }
                // A raw control character, or the end of the body.
                _ => return Err(ReadError::NotJson),
            }
        }
        Ok((&self.b[start..self.i - 1], escaped))
    }

    /// Skips string bytes that need no attention (not `"`, `\` or a control character), 32 at
    /// a time while it can: the test of a whole chunk has no early exit, so the compiler turns
    /// it into a few vector comparisons. In the chunk that holds the stop, the first byte to
    /// stop at is found 8 bytes at a time ([`stop_bytes`]); only a body's last bytes (fewer
    /// than 32) go one by one.
    #[inline(always)]
    fn skip_plain(&mut self) {
        let rest = &self.b[self.i..];
        let mut skipped = 0;
        for chunk in rest.chunks_exact(32) {
            // `c ^ 2 <= 0x20` is `c < 0x20 || c == b'"'` (0x22 ^ 2 is 0x20; flipping bit 1
            // keeps every other byte below 0x20 or above it): one comparison fewer.
            let special = chunk.iter().fold(0u8, |acc, &c| {
                acc | u8::from((c ^ 0x02) <= 0x20) | u8::from(c == b'\\')
            });
            if special != 0 {
                for word in chunk.chunks_exact(8) {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(word);
                    let stops = stop_bytes(u64::from_le_bytes(w));
                    if stops != 0 {
                        self.i += skipped + (stops.trailing_zeros() / 8) as usize;
                        return;
                    }
                    skipped += 8;
                }
                // Not reached (the chunk holds a stop); the byte loop below finds it anyway.
                skipped -= 32;
                break;
            }
            skipped += 32;
        }
        self.i += skipped;
        while let Some(c) = self.peek() {
            if STRING_SPECIAL[usize::from(c)] {
                break;
            }
            self.i += 1;
        }
    }
}

/// Bit 7 set in the byte of `w` (little-endian) that is the first `"`, `\` or control
/// character, and possibly in bytes after it, none before it: the classic "has a zero byte"
/// test (`(x - 0x01..) & !x & 0x80..`, whose lowest flag is exact) applied to `w ^ '"'`,
/// `w ^ '\\'`, and as "has a byte below 0x20" to `w` itself.
fn stop_bytes(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let quote = w ^ (LO * u64::from(b'"'));
    let backslash = w ^ (LO * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(LO) & !quote;
    let zero_backslash = backslash.wrapping_sub(LO) & !backslash;
    let control = w.wrapping_sub(LO * 0x20) & !w;
    (zero_quote | zero_backslash | control) & HI
}

/// The bytes a string scan stops at: `"`, `\` and the control characters.
const STRING_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c < 0x20 || c == b'"' as usize || c == b'\\' as usize;
        c += 1;
    }
    t
};

/// A string's value from its raw bytes: borrowed when it has no escape (after the UTF-8
/// check), else decoded.
#[inline(always)]
fn finish_string(raw: &[u8], escaped: bool) -> Result<Cow<'_, str>, ReadError> {
    if escaped {
        decode(raw).map(Cow::Owned)
    } else {
        std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| ReadError::NotJson)
    }
}

/// A number that is not a `u64`/`i64`, read by `serde_json` as it always was.
#[cold]
fn read_float(number: &[u8]) -> Result<Member<'_>, ReadError> {
    serde_json::from_slice::<f64>(number)
        .map(Member::F64)
        .map_err(|_| ReadError::NotJson)
}

/// Decodes the raw bytes of a string with escapes (between its quotes, already checked to hold
/// no raw control character and no unescaped quote). The output is never longer than the input.
#[cold]
fn decode(raw: &[u8]) -> Result<String, ReadError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = raw.get(i).copied().ok_or(ReadError::NotJson)?;
        i += 1;
        let byte = match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = unicode_escape(raw, &mut i)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            _ => return Err(ReadError::NotJson),
        };
        out.push(byte);
    }
    String::from_utf8(out).map_err(|e| {
        // The bytes may be a secret: wipe them before they are freed.
        crate::secret::wipe_vec(&mut e.into_bytes());
        ReadError::NotJson
    })
}

/// A `\u` escape, `i` just after the `u`: a character of the Basic Multilingual Plane, or a
/// UTF-16 surrogate pair written as two escapes (RFC 8259 §7). A lone surrogate is refused, as
/// a string of valid UTF-8 cannot hold it.
fn unicode_escape(raw: &[u8], i: &mut usize) -> Result<char, ReadError> {
    let n = hex4(raw, i)?;
    let code = match n {
        0xDC00..=0xDFFF => return Err(ReadError::NotJson),
        0xD800..=0xDBFF => {
            if raw.get(*i..*i + 2) != Some(b"\\u") {
                return Err(ReadError::NotJson);
            }
            *i += 2;
            let low = hex4(raw, i)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return Err(ReadError::NotJson);
            }
            0x1_0000 + ((u32::from(n) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
        }
        _ => u32::from(n),
    };
    char::from_u32(code).ok_or(ReadError::NotJson)
}

fn hex4(raw: &[u8], i: &mut usize) -> Result<u16, ReadError> {
    let digits = raw.get(*i..*i + 4).ok_or(ReadError::NotJson)?;
    *i += 4;
    digits.iter().try_fold(0u16, |n, &d| {
        let v = (d as char).to_digit(16).ok_or(ReadError::NotJson)?;
        Ok((n << 4) | v as u16)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::reference::read_known_serde;

    const NAMES: [&str; 4] = ["access_token", "token_type", "expires_in", "scope"];

    /// The scanner and the serde reader it replaced agree: the same slots, the same unknown
    /// members, the same duplicate, or the same failure.
    fn same_as_serde(body: &[u8], max_depth: usize) {
        let new = read_known(body, max_depth, &NAMES);
        let old = read_known_serde(body, max_depth, &NAMES);
        match (new, old) {
            (Ok(n), Ok(o)) => {
                assert_eq!(
                    n.slots,
                    o.slots,
                    "slots of {:?}",
                    String::from_utf8_lossy(body)
                );
                assert_eq!(
                    n.extra,
                    o.extra,
                    "extra of {:?}",
                    String::from_utf8_lossy(body)
                );
                assert_eq!(n.duplicate(), o.duplicate());
            }
            (Err(n), Err(o)) => assert_eq!(n, o, "failure for {:?}", String::from_utf8_lossy(body)),
            (n, o) => panic!(
                "scanner {:?}, serde {:?} for {:?}",
                n.map(|_| ()),
                o.map(|_| ()),
                String::from_utf8_lossy(body)
            ),
        }
    }

    fn read(body: &str) -> Result<Known<'_, 4>, ReadError> {
        same_as_serde(body.as_bytes(), 16);
        read_known(body.as_bytes(), 16, &NAMES)
    }

    fn token_of(body: &str) -> Member<'_> {
        read(body)
            .ok()
            .and_then(|k| k.slots[0].clone())
            .expect("access_token")
    }

    #[test]
    fn escapes_and_surrogates() {
        let s = |m: Member<'_>| match m {
            Member::Str(s) => s.into_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            s(token_of(r#"{"access_token":"a\"b\\c\/d\b\f\n\r\t"}"#)),
            "a\"b\\c/d\u{8}\u{c}\n\r\t"
        );
        assert_eq!(
            s(token_of(r#"{"access_token":"\u00e9\u20AC\ud83d\ude00"}"#)),
            "é€😀"
        );
        assert_eq!(s(token_of("{\"access_token\":\"é€😀\"}")), "é€😀");
        // Borrowed when there is no escape.
        assert!(matches!(
            token_of(r#"{"access_token":"plain"}"#),
            Member::Str(Cow::Borrowed("plain"))
        ));
        for bad in [
            r#"{"access_token":"\ud83d"}"#,       // lone high surrogate
            r#"{"access_token":"\ude00"}"#,       // lone low surrogate
            r#"{"access_token":"\ud83d\u0041"}"#, // high then not low
            r#"{"access_token":"\ud83dx"}"#,
            r#"{"access_token":"\ud83d\n"}"#,
            r#"{"access_token":"\u12"}"#,
            r#"{"access_token":"\u12g4"}"#,
            r#"{"access_token":"\x"}"#,
            "{\"access_token\":\"a\u{1}b\"}", // raw control character
            "{\"access_token\":\"a\nb\"}",
            "{\"access_token\":\"a\\",
            "{\"access_token\":\"abc",
        ] {
            assert_eq!(read(bad).err(), Some(ReadError::NotJson), "{bad}");
        }
        // Invalid UTF-8, with and without escapes beside it.
        for bad in [
            &b"{\"access_token\":\"a\xffb\"}"[..],
            b"{\"access_token\":\"\\n\xc3\"}",
        ] {
            same_as_serde(bad, 16);
            assert_eq!(read_known(bad, 16, &NAMES).err(), Some(ReadError::NotJson));
        }
    }

    #[test]
    fn duplicates_compare_decoded_names() {
        let k = read(r#"{"access_token":"a","acc\u0065ss_token":"b"}"#)
            .ok()
            .unwrap();
        assert_eq!(k.duplicate().as_deref(), Some("access_token"));
        let k = read(r#"{"x":1,"y":2,"\u0078":3}"#).ok().unwrap();
        assert_eq!(k.duplicate().as_deref(), Some("x"));
        // Only the top level: a nested object keeps the last value.
        let k = read(r#"{"x":{"a":1,"a":2}}"#).ok().unwrap();
        assert!(k.duplicate().is_none());
        assert_eq!(k.extra[0].1, Member::Object(serde_json::json!({"a": 2})));
    }

    #[test]
    fn numbers() {
        fn n(body: &str) -> Member<'static> {
            match read(body).ok().unwrap().slots[2].clone().unwrap() {
                Member::Str(_) => panic!("a string"),
                Member::U64(n) => Member::U64(n),
                Member::I64(n) => Member::I64(n),
                Member::F64(n) => Member::F64(n),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(n(r#"{"expires_in":3600}"#), Member::U64(3600));
        assert_eq!(
            n(r#"{"expires_in":18446744073709551615}"#),
            Member::U64(u64::MAX)
        );
        assert_eq!(
            n(r#"{"expires_in":18446744073709551616}"#),
            Member::F64(18446744073709551616.0)
        );
        assert_eq!(
            n(r#"{"expires_in":-9223372036854775808}"#),
            Member::I64(i64::MIN)
        );
        assert!(matches!(
            n(r#"{"expires_in":-9223372036854775809}"#),
            Member::F64(_)
        ));
        assert!(
            matches!(n(r#"{"expires_in":-0}"#), Member::F64(f) if f == 0.0 && f.is_sign_negative())
        );
        assert_eq!(n(r#"{"expires_in":1.5e3}"#), Member::F64(1500.0));
        assert_eq!(n(r#"{"expires_in":1E-2}"#), Member::F64(0.01));
        let huge = |digits: usize| format!(r#"{{"expires_in":{}}}"#, "9".repeat(digits));
        assert!(matches!(n(&huge(300)), Member::F64(_)));
        // Beyond f64's range: refused, as serde_json refuses it.
        assert_eq!(read(&huge(400)).err(), Some(ReadError::NotJson));
        for bad in [
            r#"{"expires_in":01}"#,
            r#"{"expires_in":1.}"#,
            r#"{"expires_in":.5}"#,
            r#"{"expires_in":1e}"#,
            r#"{"expires_in":1e+}"#,
            r#"{"expires_in":+1}"#,
            r#"{"expires_in":-}"#,
            r#"{"expires_in":1e400}"#,
            r#"{"expires_in":0x10}"#,
        ] {
            assert_eq!(read(bad).err(), Some(ReadError::NotJson), "{bad}");
        }
    }

    #[test]
    fn structure_whitespace_and_truncation() {
        assert!(read(" \t\r\n{ \"scope\" \n:\t\"a b\" , \"x\" : [ 1 , { } , [ ] , null , true , false ] }\r\n").is_ok());
        assert!(read("{}").is_ok());
        for (bad, want) in [
            ("", ReadError::NotJson),
            ("   ", ReadError::NotJson),
            ("{", ReadError::NotJson),
            ("{\"a\"", ReadError::NotJson),
            ("{\"a\":", ReadError::NotJson),
            ("{\"a\":1", ReadError::NotJson),
            ("{\"a\":1,}", ReadError::NotJson),
            ("{,}", ReadError::NotJson),
            ("{\"a\" 1}", ReadError::NotJson),
            ("{1:2}", ReadError::NotJson),
            ("{\"a\":[1,]}", ReadError::NotJson),
            ("{\"a\":nul}", ReadError::NotJson),
            ("{\"a\":1}x", ReadError::NotJson),
            ("{\"a\":1}\u{a0}", ReadError::NotJson),
            ("\u{feff}{}", ReadError::NotJson),
            ("[", ReadError::NotObject),
            ("[1, garbage", ReadError::NotObject),
            ("\"s\"", ReadError::NotObject),
            ("\"s", ReadError::NotJson),
            ("1 2", ReadError::NotObject),
            ("01", ReadError::NotJson),
            ("null", ReadError::NotObject),
            ("nul", ReadError::NotJson),
            ("x", ReadError::NotJson),
        ] {
            assert_eq!(read(bad).err(), Some(want), "{bad:?}");
        }
    }

    #[test]
    fn depth() {
        let nested = |n: usize| format!("{{\"x\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        // The top-level object is depth 1.
        assert!(read_known(nested(15).as_bytes(), 16, &NAMES).is_ok());
        assert_eq!(
            read_known(nested(16).as_bytes(), 16, &NAMES).err(),
            Some(ReadError::TooDeep)
        );
        assert_eq!(read_known(b"{}", 0, &NAMES).err(), Some(ReadError::TooDeep));
        // Far deeper than the limit: refused on the way in, without reading the rest.
        let deep = format!("{{\"x\":{}", "[{\"y\":".repeat(100_000));
        assert_eq!(
            read_known(deep.as_bytes(), 16, &NAMES).err(),
            Some(ReadError::TooDeep)
        );
        for n in [15, 16, 17, 126, 127, 128, 200] {
            for limit in [16, 126, 127, 128, 1000] {
                same_as_serde(nested(n).as_bytes(), limit);
            }
        }
        // Unknown members, however nested (within the limit), are read and kept.
        let k = read(r#"{"x":{"a":[{"b":{"c":[null]}}]},"access_token":"t"}"#)
            .ok()
            .unwrap();
        assert_eq!(k.extra.len(), 1);
    }

    /// Pieces of JSON, valid and not, that a random body is made of.
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\n",
        "\"",
        "\\",
        "\"access_token\"",
        "\"acc\\u0065ss_token\"",
        "\"token_type\"",
        "\"scope\"",
        "\"expires_in\"",
        "\"x\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\udc00\"",
        "\"\\u00e9\"",
        "\"é\"",
        "\"a\\nb\"",
        "\"a\u{1}\"",
        "1",
        "0",
        "-0",
        "-1",
        "01",
        "1.5",
        "1e3",
        "1e400",
        "-",
        ".",
        "18446744073709551616",
        "-9223372036854775809",
        "true",
        "false",
        "null",
        "nul",
        "x",
    ];

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop::collection::vec(prop::sample::select(PIECES), 0..24)
            .prop_map(|p| format!("{{{}}}", p.concat()).into_bytes());
        let leaf = prop_oneof![
            any::<u64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(6, 40, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z_]{0,3}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let name = prop_oneof![
            prop::sample::select(&NAMES[..]).prop_map(String::from),
            "[a-z_]{0,3}"
        ];
        let objects = (
            prop::collection::vec((name, value), 0..6),
            any::<usize>(),
            any::<u8>(),
            any::<bool>(),
        )
            .prop_map(|(members, cut, byte, mutate)| {
                let mut out = b"{".to_vec();
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).unwrap());
                    out.push(b':');
                    out.extend(serde_json::to_vec(v).unwrap());
                }
                out.push(b'}');
                if mutate && !out.is_empty() {
                    // Truncate, or replace one byte.
                    let at = cut % out.len();
                    if byte < 64 {
                        out.truncate(at);
                    } else {
                        out[at] = byte;
                    }
                }
                out
            });
        // Well-formed objects whose names and values are the tricky pieces.
        let members = prop::collection::vec(
            (prop::sample::select(PIECES), prop::sample::select(PIECES)),
            0..6,
        )
        .prop_map(|m| {
            let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("{{{}}}", pairs.join(",")).into_bytes()
        });
        prop_oneof![
            pieces,
            members,
            objects,
            prop::collection::vec(any::<u8>(), 0..32)
        ]
    }

    /// The index of the first byte `skip_plain` must stop at, by the table.
    fn first_stop(bytes: &[u8]) -> Option<usize> {
        bytes.iter().position(|&c| STRING_SPECIAL[usize::from(c)])
    }

    #[test]
    fn stop_bytes_flags_exactly_the_first_stop_of_a_word() {
        // Every byte value at every position, after plain bytes and before every kind of byte
        // (a stop after the first one must not move it, a byte >= 0x80 before it must not stop).
        for pos in 0..8 {
            for v in 0..=255u8 {
                for fill_before in [b'a', 0x7F, 0x80, 0xFF, b' '] {
                    for fill_after in [b'a', b'"', 0x00, 0xFF] {
                        let mut w = [fill_before; 8];
                        w[pos] = v;
                        for b in &mut w[pos + 1..] {
                            *b = fill_after;
                        }
                        let stops = stop_bytes(u64::from_le_bytes(w));
                        let got = (stops != 0).then(|| (stops.trailing_zeros() / 8) as usize);
                        assert_eq!(got, first_stop(&w), "{w:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn skip_plain_stops_at_the_first_stop_at_every_offset() {
        // Every byte value after 0 to 79 plain bytes (whole 32-byte chunks, the 8-byte words
        // inside the chunk that holds the stop, and the byte-by-byte tail).
        for len in 0..80 {
            for v in 0..=255u8 {
                let mut body = vec![b'x'; len];
                body.push(v);
                body.extend_from_slice(&[b'"'; 40]);
                let mut s = Scanner {
                    b: &body,
                    i: 0,
                    max_depth: 1,
                };
                s.skip_plain();
                assert_eq!(Some(s.i), first_stop(&body), "len {len}, byte {v:#x}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn scanner_agrees_with_serde(body in body(), depth in 0usize..8) {
            same_as_serde(&body, depth);
            same_as_serde(&body, 16);
        }
    }
}
