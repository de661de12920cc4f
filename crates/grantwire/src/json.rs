//! Bounded JSON reading shared by the response parsers: size and depth limits, a borrowed view
//! of each member, duplicate detection, and a redacted snippet for bodies that are not JSON.

use std::borrow::Cow;

use serde_json::Value;

/// A JSON value as a parser sees it, borrowing strings from the body where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Null,
    Array(Vec<Member<'de>>),
    Object(Value),
}

impl Member<'_> {
    pub(crate) fn into_value(self) -> Value {
        match self {
            Member::Str(s) => Value::String(s.into_owned()),
            Member::U64(n) => Value::from(n),
            Member::I64(n) => Value::from(n),
            Member::F64(n) => Value::from(n),
            Member::Bool(b) => Value::Bool(b),
            Member::Null => Value::Null,
            Member::Array(a) => Value::Array(a.into_iter().map(Member::into_value).collect()),
            Member::Object(v) => v,
        }
    }
}

/// The members of a top-level JSON object, in order, names borrowed where possible.
pub(crate) type Members<'de> = Vec<(Cow<'de, str>, Member<'de>)>;

/// A top-level object read against a table of known member names: each known member lands in
/// its slot as the body is read (no member list, no second pass); unknown members go to `extra`.
///
/// Every parser, under every profile, reads its body into one of these, so duplicate members
/// are found one way everywhere: a known name seen twice while reading, an unknown one by a sort
/// of the unknown names afterwards ([`Known::duplicate`], O(n log n)).
pub(crate) struct Known<'de, const N: usize> {
    /// One slot per known name, in the table's order.
    pub(crate) slots: [Option<Member<'de>>; N],
    /// The first repeat of a known name: its position among the members, and the name.
    known_duplicate: Option<(usize, &'static str)>,
    /// Members not in the table, in the order sent.
    pub(crate) extra: Members<'de>,
    /// The position of each member of `extra` among all members.
    extra_at: Vec<usize>,
    /// Members filed so far.
    count: usize,
}

impl<'de, const N: usize> Known<'de, N> {
    pub(crate) fn empty() -> Self {
        Self {
            slots: std::array::from_fn(|_| None),
            known_duplicate: None,
            extra: Vec::new(),
            extra_at: Vec::new(),
            count: 0,
        }
    }

    /// Files one member.
    pub(crate) fn put(
        &mut self,
        names: &[&'static str; N],
        key: Cow<'de, str>,
        value: Member<'de>,
    ) {
        let at = self.count;
        self.count += 1;
        match names.iter().position(|n| *n == key) {
            Some(i) if self.slots[i].is_some() => {
                self.known_duplicate.get_or_insert((at, names[i]));
            }
            Some(i) => self.slots[i] = Some(value),
            None => {
                self.extra.push((key, value));
                self.extra_at.push(at);
            }
        }
    }

    /// Counts one member whose name is `names[i]` and gives its slot to fill, or `None` (the
    /// duplicate noted) when the name came before.
    #[inline]
    pub(crate) fn claim_slot(
        &mut self,
        names: &[&'static str; N],
        i: usize,
    ) -> Option<&mut Option<Member<'de>>> {
        let at = self.count;
        self.count += 1;
        if self.slots[i].is_some() {
            self.known_duplicate.get_or_insert((at, names[i]));
            None
        } else {
            Some(&mut self.slots[i])
        }
    }

    /// Files members read another way (form bodies).
    pub(crate) fn from_members(names: &[&'static str; N], members: Members<'de>) -> Self {
        let mut k = Self::empty();
        for (key, value) in members {
            k.put(names, key, value);
        }
        k
    }

    /// The name of the first member (in the order sent) whose name came before, if any: the
    /// answer does not depend on which names the parser's table knows. O(n log n) in the number
    /// of unknown members.
    pub(crate) fn duplicate(&self) -> Option<Cow<'_, str>> {
        let mut first = self
            .known_duplicate
            .map(|(at, name)| (at, Cow::Borrowed(name)));
        if self.extra.len() >= 2 {
            let mut order: Vec<usize> = (0..self.extra.len()).collect();
            // Stable: equal names keep their order, so every one after the first is a repeat.
            order.sort_by(|&a, &b| self.extra[a].0.cmp(&self.extra[b].0));
            for w in order.windows(2) {
                let (prev, this) = (w[0], w[1]);
                let at = self.extra_at[this];
                if self.extra[prev].0 == self.extra[this].0
                    && first.as_ref().is_none_or(|(f, _)| at < *f)
                {
                    first = Some((at, Cow::Borrowed(&*self.extra[this].0)));
                }
            }
        }
        first.map(|(_, name)| name)
    }

    /// The member in the slot of `name`, if sent.
    pub(crate) fn get(&self, names: &[&'static str; N], name: &str) -> Option<&Member<'de>> {
        names
            .iter()
            .position(|n| *n == name)
            .and_then(|i| self.slots[i].as_ref())
    }

    /// All members as a list: the filled slots (in table order), then the unknown members.
    pub(crate) fn into_members(self, names: &[&'static str; N]) -> Members<'de> {
        let mut out: Members<'de> = Vec::with_capacity(N + self.extra.len());
        for (name, slot) in names.iter().zip(self.slots) {
            if let Some(v) = slot {
                out.push((Cow::Borrowed(*name), v));
            }
        }
        out.extend(self.extra);
        out
    }
}

/// Reads a top-level JSON object into the slots of `names`, nesting at most `max_depth`
/// (the scanner in [`crate::scan`]).
pub(crate) fn read_known_into<'de, const N: usize>(
    body: &'de [u8],
    max_depth: usize,
    names: &[&'static str; N],
    known: &mut Known<'de, N>,
) -> Result<(), ReadError> {
    crate::scan::read_known_into(body, max_depth, names, known)
}

/// How reading a JSON object failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// Not JSON at all (syntax error, trailing garbage, empty).
    NotJson,
    /// JSON, but not an object.
    NotObject,
    /// Nested deeper than the limit.
    TooDeep,
}

/// Reads a form-encoded body as members whose values are all strings.
pub(crate) fn read_form(body: &[u8]) -> Option<Members<'static>> {
    let pairs = crate::form::parse(body).ok()?;
    if pairs.is_empty() {
        return None;
    }
    Some(
        pairs
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k), Member::Str(Cow::Owned(v))))
            .collect(),
    )
}

/// Longest snippet of a non-JSON body kept in an error.
pub const SNIPPET_LEN: usize = 120;

/// The start of a body, safe to log: at most [`SNIPPET_LEN`] characters, control characters
/// turned into spaces, and every run of 16 or more token-like characters (letters, digits,
/// `-._~+/%`) replaced by `[redacted]`, so no token or secret in the body can leak through.
pub fn redacted_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * SNIPPET_LEN)]);
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 16 {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-._~+/%".contains(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(if c.is_control() { ' ' } else { c });
        }
        if out.chars().count() >= SNIPPET_LEN {
            break;
        }
    }
    flush(&mut run, &mut out);
    out.chars().take(SNIPPET_LEN).collect()
}

/// The serde-based reader the scanner replaced, kept as the reference the scanner is tested
/// against (same values, same failures).
#[cfg(test)]
pub(crate) mod reference {
    use std::borrow::Cow;
    use std::cell::Cell;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    use super::{Known, Member, ReadError};

    /// Depth bookkeeping shared by the visitors: the current depth, the limit, and a flag raised when
    /// the limit was hit (so the caller can tell "too deep" from "not JSON").
    #[derive(Clone, Copy)]
    struct Depth<'a> {
        depth: usize,
        limit: usize,
        too_deep: &'a Cell<bool>,
    }

    impl Depth<'_> {
        fn enter<E: de::Error>(self) -> Result<Self, E> {
            if self.depth + 1 > self.limit {
                self.too_deep.set(true);
                return Err(E::custom("nesting too deep"));
            }
            Ok(Self {
                depth: self.depth + 1,
                ..self
            })
        }
    }

    struct MemberVisitor<'a>(Depth<'a>);

    impl<'de> Visitor<'de> for MemberVisitor<'_> {
        type Value = Member<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Member::Str(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Member::Str(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Member::Str(Cow::Owned(v)))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Member::U64(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Member::I64(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Member::F64(v))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Member::Bool(v))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Member::Null)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Member::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let inner = self.0.enter()?;
            let mut out = Vec::new();
            while let Some(m) = seq.next_element_seed(MemberSeed(inner))? {
                out.push(m);
            }
            Ok(Member::Array(out))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let inner = self.0.enter()?;
            let mut obj = serde_json::Map::new();
            while let Some(k) = map.next_key::<String>()? {
                let v = map.next_value_seed(MemberSeed(inner))?;
                obj.insert(k, v.into_value());
            }
            Ok(Member::Object(Value::Object(obj)))
        }
    }

    struct MemberSeed<'a>(Depth<'a>);

    impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
        type Value = Member<'de>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(MemberVisitor(self.0))
        }
    }

    struct KeyVisitor;

    impl<'de> Visitor<'de> for KeyVisitor {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a member name")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
    }

    struct KeySeed;

    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Cow<'de, str>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(KeyVisitor)
        }
    }

    /// Files members straight into a [`Known`] owned by the caller, so the (large) slot table is
    /// never moved through serde's return values.
    struct KnownVisitor<'a, 'de, const N: usize> {
        names: &'a [&'static str; N],
        depth: Depth<'a>,
        out: &'a mut Known<'de, N>,
    }

    impl<'de, const N: usize> Visitor<'de> for KnownVisitor<'_, 'de, N> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let inner = self.depth.enter()?;
            while let Some(k) = map.next_key_seed(KeySeed)? {
                let v = map.next_value_seed(MemberSeed(inner))?;
                self.out.put(self.names, k, v);
            }
            Ok(())
        }
    }

    /// Reads a top-level JSON object into the slots of `names`, nesting at most `max_depth`.
    pub(crate) fn read_known_serde<'de, const N: usize>(
        body: &'de [u8],
        max_depth: usize,
        names: &[&'static str; N],
    ) -> Result<Known<'de, N>, ReadError> {
        let too_deep = Cell::new(false);
        let depth = Depth {
            depth: 0,
            limit: max_depth,
            too_deep: &too_deep,
        };
        let mut known = Known::empty();
        let mut de = serde_json::Deserializer::from_slice(body);
        let visitor = KnownVisitor {
            names,
            depth,
            out: &mut known,
        };
        match de::Deserializer::deserialize_map(&mut de, visitor) {
            Ok(()) => {}
            Err(_) if too_deep.get() => return Err(ReadError::TooDeep),
            Err(e) if e.is_data() => return Err(ReadError::NotObject),
            Err(_) => return Err(ReadError::NotJson),
        };
        de.end().map_err(|_| ReadError::NotJson)?;
        Ok(known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_object(body: &[u8], max_depth: usize) -> Result<Known<'_, 0>, ReadError> {
        crate::scan::read_known(body, max_depth, &[])
    }

    #[test]
    fn depth_and_snippets() {
        assert!(read_object(b"{\"a\":[[[1]]]}", 4).is_ok());
        assert!(matches!(
            read_object(b"{\"a\":[[[[1]]]]}", 4),
            Err(ReadError::TooDeep)
        ));
        assert!(matches!(
            read_object(b"{\"a\":{\"b\":{\"c\":{}}}}", 3),
            Err(ReadError::TooDeep)
        ));
        assert!(read_object(b"{\"a\":\"[[[[[[\\\"[[[[\"}", 1).is_ok());
        assert!(matches!(read_object(b"[1]", 4), Err(ReadError::NotObject)));
        assert!(matches!(
            read_object(b"{\"a\":1} x", 4),
            Err(ReadError::NotJson)
        ));
        let s = redacted_snippet(b"<html>access_token=2YotnFZFEjr1zCsicMWpAA&x=1</html>\n");
        assert_eq!(s, "<html>access_token=[redacted]&x=1</html> ");
        assert!(redacted_snippet(&[b'a'; 10_000]).len() <= SNIPPET_LEN);
    }
}
