//! Scope: a set of scope tokens, space-delimited on the wire (RFC 6749 §3.3).

use std::fmt;

use crate::Error;

/// An access-token scope (RFC 6749 §3.3): a set of case-sensitive tokens, each
/// `1*( %x21 / %x23-5B / %x5D-7E )`, sent space-delimited.
///
/// Stored as one normalized string (tokens in first-seen order, duplicates removed), so building
/// a request costs no allocation per token.
///
/// ```
/// use grantwire::Scope;
/// let scope = Scope::parse("read write read").unwrap();
/// assert_eq!(scope.as_str(), "read write");
/// assert!(scope.contains("write"));
/// assert!(Scope::parse("bad\"token").is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope(String);

/// Whether `b` may appear in a scope token (RFC 6749 §3.3 `scope-token`).
fn is_scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// Checks one scope token.
pub(crate) fn validate_token(token: &str) -> Result<(), Error> {
    if token.is_empty() || !token.bytes().all(is_scope_char) {
        return Err(Error::InvalidScope {
            reason: "a scope token must be 1 or more of the characters %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3)",
            response: None,
        });
    }
    Ok(())
}

impl Scope {
    /// The most tokens a scope may hold, counted as sent (duplicates included). Real grants
    /// carry a handful to a few hundred tokens; ten thousand is far beyond any provider, while it
    /// keeps the work on a hostile `scope` (a 1 MiB body holds ~250,000 two-byte tokens) small
    /// and predictable. More is [`Error::TooManyScopeTokens`].
    pub const MAX_TOKENS: usize = 10_000;

    /// The empty scope.
    pub fn empty() -> Self {
        Self(String::new())
    }

    /// Parses a space-delimited scope string. Runs of spaces are tolerated; any other character
    /// outside RFC 6749 §3.3 is an [`Error::InvalidScope`], more than [`Scope::MAX_TOKENS`]
    /// tokens [`Error::TooManyScopeTokens`]. Work is O(n log n) in the number of tokens.
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::from_tokens(s.split(' ').filter(|t| !t.is_empty()))
    }

    /// Builds a scope from individual tokens, validating each and removing duplicates (the first
    /// occurrence keeps its place). At most [`Scope::MAX_TOKENS`] tokens; O(n log n).
    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<Self, Error> {
        let mut list: Vec<&str> = Vec::new();
        for token in tokens {
            validate_token(token)?;
            if list.len() == Self::MAX_TOKENS {
                return Err(too_many());
            }
            list.push(token);
        }
        let keep = first_occurrences(&list);
        let mut out = String::with_capacity(list.iter().map(|t| t.len() + 1).sum());
        for (token, _) in list.iter().zip(&keep).filter(|(_, k)| **k) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(token);
        }
        Ok(Scope(out))
    }

    /// Adds one token (no-op when already present). Costs O(n) in the tokens already held: to
    /// build a large scope, use [`Scope::from_tokens`].
    pub fn insert(&mut self, token: &str) -> Result<(), Error> {
        validate_token(token)?;
        if !self.contains(token) {
            if self.len() >= Self::MAX_TOKENS {
                return Err(too_many());
            }
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(token);
        }
        Ok(())
    }

    /// Whether the scope holds `token` (one linear scan).
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// Whether every token of `other` is in `self`. O((n + m) log n) for large scopes.
    pub fn is_superset_of(&self, other: &Scope) -> bool {
        if other.len() <= 8 {
            return other.iter().all(|t| self.contains(t));
        }
        let mut mine: Vec<&str> = self.iter().collect();
        mine.sort_unstable();
        other.iter().all(|t| mine.binary_search(&t).is_ok())
    }

    /// The tokens, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split(' ').filter(|t| !t.is_empty())
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        // Normalized: tokens are separated by exactly one space.
        if self.0.is_empty() {
            0
        } else {
            self.0.bytes().filter(|&b| b == b' ').count() + 1
        }
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The wire form: tokens joined by single spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Same set of tokens, whatever the order.
    pub fn set_eq(&self, other: &Scope) -> bool {
        self.len() == other.len() && self.is_superset_of(other)
    }

    /// Takes a scope string as received, without copying when it is already normalized (one
    /// pass: valid characters, single spaces, token count; then a duplicate check that is
    /// pairwise for a handful of tokens and a sort beyond).
    pub(crate) fn from_owned(s: String) -> Result<Self, Error> {
        let b = s.as_bytes();
        let mut tokens = 0usize;
        let mut normalized = true;
        let mut prev_space = true;
        // Where the first tokens start, for the duplicate check (no second split).
        let mut starts = [0usize; PAIRWISE_MAX];
        for (at, &c) in b.iter().enumerate() {
            if c == b' ' {
                if prev_space {
                    normalized = false;
                }
                prev_space = true;
            } else if is_scope_char(c) {
                if prev_space {
                    if let Some(start) = starts.get_mut(tokens) {
                        *start = at;
                    }
                    tokens += 1;
                    if tokens > Self::MAX_TOKENS {
                        return Err(too_many());
                    }
                }
                prev_space = false;
            } else {
                // Let the full parser name the problem.
                return Self::parse(&s);
            }
        }
        if !b.is_empty() && prev_space {
            normalized = false;
        }
        if !normalized {
            return Self::parse(&s);
        }
        if tokens > 1 && has_duplicate(b, &starts, tokens) {
            return Self::parse(&s);
        }
        Ok(Scope(s))
    }
}

fn too_many() -> Error {
    Error::TooManyScopeTokens {
        limit: Scope::MAX_TOKENS,
        response: None,
    }
}

/// Up to this many tokens, duplicates are found by comparing every pair (at most 120
/// comparisons, no allocation); beyond, by sorting.
const PAIRWISE_MAX: usize = 16;

/// Whether the normalized scope `b` (`tokens` tokens separated by single spaces) repeats a
/// token. Up to [`PAIRWISE_MAX`] tokens, `starts` holds where each begins (a token ends one
/// byte before the next begins); beyond, they are split and sorted: O(n log n) comparisons.
fn has_duplicate(b: &[u8], starts: &[usize; PAIRWISE_MAX], tokens: usize) -> bool {
    if tokens <= PAIRWISE_MAX {
        let starts = &starts[..tokens];
        let token = |i: usize| &b[starts[i]..starts.get(i + 1).map_or(b.len(), |&next| next - 1)];
        return (1..tokens).any(|i| {
            let t = token(i);
            (0..i).any(|j| token(j) == t)
        });
    }
    let mut all: Vec<&[u8]> = b.split(|&c| c == b' ').collect();
    all.sort_unstable();
    all.windows(2).any(|w| w[0] == w[1])
}

/// For each token, whether it is the first occurrence of its value. O(n log n) comparisons.
fn first_occurrences(list: &[&str]) -> Vec<bool> {
    let n = list.len();
    if n <= PAIRWISE_MAX {
        return (0..n).map(|i| !list[..i].contains(&list[i])).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    // Stable: equal tokens stay in input order, so the first of each run is the first seen.
    order.sort_by(|&a, &b| list[a].cmp(list[b]));
    let mut keep = vec![false; n];
    for (j, &i) in order.iter().enumerate() {
        keep[i] = j == 0 || list[order[j - 1]] != list[i];
    }
    keep
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scope").field(&self.0).finish()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalizes_and_rejects() {
        assert_eq!(Scope::parse("  a  b a ").unwrap().as_str(), "a b");
        assert!(Scope::parse("a\\b").is_err());
        assert!(Scope::parse("caf\u{e9}").is_err());
        assert!(Scope::parse("").unwrap().is_empty());
        assert!(Scope::from_owned("x y x".into())
            .unwrap()
            .set_eq(&Scope::parse("y x").unwrap()));
        assert_eq!(Scope::from_owned("x y".into()).unwrap().as_str(), "x y");
        let many: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        assert_eq!(Scope::from_owned(many.join(" ")).unwrap().len(), 20);
        let dup20 = format!("{} t3", many.join(" "));
        assert_eq!(Scope::from_owned(dup20).unwrap().len(), 20);
        assert_eq!(
            Scope::from_owned("a b c b".into()).unwrap().as_str(),
            "a b c"
        );
        assert!(Scope::from_owned("x\ty".into()).is_err());
    }

    #[test]
    fn from_owned_agrees_with_parse_on_every_small_scope() {
        // Tokens that are prefixes of one another, every sequence of one to four of them, and
        // lists around the pairwise limit with a repeat at each end.
        let words = ["a", "ab", "b", "ba", "aa"];
        let mut scopes: Vec<String> = Vec::new();
        let mut current: Vec<Vec<&str>> = vec![Vec::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for seq in &current {
                for w in words {
                    let mut longer = seq.clone();
                    longer.push(w);
                    scopes.push(longer.join(" "));
                    next.push(longer);
                }
            }
            current = next;
        }
        for n in [PAIRWISE_MAX - 1, PAIRWISE_MAX, PAIRWISE_MAX + 1] {
            let distinct: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
            scopes.push(distinct.join(" "));
            for (at, repeat) in [(0, n - 1), (n - 2, n - 1), (0, 1)] {
                let mut list = distinct.clone();
                list[repeat] = list[at].clone();
                scopes.push(list.join(" "));
            }
        }
        for s in scopes {
            let owned = Scope::from_owned(s.clone()).unwrap();
            assert_eq!(owned.as_str(), Scope::parse(&s).unwrap().as_str(), "{s}");
        }
    }
}
