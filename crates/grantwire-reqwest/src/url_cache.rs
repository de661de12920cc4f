//! [`LastUrl`]: the `reqwest::Url` of the last request, so that sending to the same endpoint
//! again (every token request of a token client goes to one) does not format the `http::Uri`
//! and parse it back each time. That round trip (IDNA host processing included) was about a
//! tenth of the client-side instructions of a loopback token fetch (docs/PERFORMANCE.md).

use std::fmt;
use std::sync::Mutex;

use grantwire::lifecycle::TransportError;
use grantwire_client::TransportFailure;
use http::Uri;
use reqwest::Url;

/// One entry: the last URI without a query and its parsed `Url`. Shared by a transport's clones.
///
/// Only a URI that is byte for byte the cached one (scheme, authority, path) gets the cached
/// `Url`; anything else is parsed as before and replaces the entry. A URI with a query is
/// parsed every time and never kept. Never blocks: while another thread holds the entry, the
/// URI is parsed.
#[derive(Default)]
pub(crate) struct LastUrl {
    entry: Mutex<Option<(Uri, Url)>>,
    #[cfg(test)]
    parses: std::sync::atomic::AtomicUsize,
}

impl fmt::Debug for LastUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LastUrl").finish_non_exhaustive()
    }
}

impl LastUrl {
    /// The `Url` of `uri`: the cached one if `uri` is the last URI, else parsed (a URI that
    /// does not parse is a [`TransportError::Connect`] failure, as before).
    pub(crate) fn url(&self, uri: &Uri) -> Result<Url, TransportFailure> {
        let cacheable = uri.query().is_none();
        if cacheable {
            if let Ok(entry) = self.entry.try_lock() {
                if let Some((_, url)) = entry.as_ref().filter(|(last, _)| same(last, uri)) {
                    return Ok(url.clone());
                }
            }
        }
        #[cfg(test)]
        self.parses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = Url::parse(&uri.to_string())
            .map_err(|e| TransportFailure::new(TransportError::Connect, Some(Box::new(e))))?;
        if cacheable {
            if let Ok(mut entry) = self.entry.try_lock() {
                *entry = Some((uri.clone(), url.clone()));
            }
        }
        Ok(url)
    }
}

/// Whether `a` and `b` are the same URI byte for byte (`Uri`'s own `==` ignores the case of
/// the whole authority, user information included).
fn same(a: &Uri, b: &Uri) -> bool {
    a.scheme_str() == b.scheme_str()
        && a.authority().map(|x| x.as_str()) == b.authority().map(|x| x.as_str())
        && a.path_and_query().map(|x| x.as_str()) == b.path_and_query().map(|x| x.as_str())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    fn parse(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_same_uri_is_parsed_once_and_a_different_one_never_gets_the_cached_url() {
        let cache = LastUrl::default();
        let token: Uri = "https://as.example/token".parse().unwrap();
        let other: Uri = "https://as.example/introspect".parse().unwrap();
        let upper: Uri = "https://AS.example/token".parse().unwrap();
        assert_eq!(
            cache.url(&token).unwrap(),
            parse("https://as.example/token")
        );
        assert_eq!(
            cache.url(&token).unwrap(),
            parse("https://as.example/token")
        );
        assert_eq!(
            cache.parses.load(Ordering::Relaxed),
            1,
            "a repeat was parsed"
        );
        assert_eq!(
            cache.url(&other).unwrap(),
            parse("https://as.example/introspect")
        );
        assert_eq!(
            cache.url(&token).unwrap(),
            parse("https://as.example/token")
        );
        // Equal by `Uri`'s `==`, not byte for byte: parsed, not served from the entry.
        assert_eq!(
            cache.url(&upper).unwrap(),
            parse("https://as.example/token")
        );
        assert_eq!(cache.parses.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn a_uri_with_a_query_is_never_kept() {
        let cache = LastUrl::default();
        let uri: Uri = "https://as.example/token?tenant=a".parse().unwrap();
        for _ in 0..2 {
            assert_eq!(
                cache.url(&uri).unwrap(),
                parse("https://as.example/token?tenant=a")
            );
        }
        assert_eq!(cache.parses.load(Ordering::Relaxed), 2);
        assert!(cache.entry.lock().unwrap().is_none());
    }

    #[test]
    fn user_information_is_compared_with_its_case() {
        let cache = LastUrl::default();
        let lower: Uri = "https://user@as.example/token".parse().unwrap();
        let upper: Uri = "https://USER@as.example/token".parse().unwrap();
        assert_eq!(
            lower, upper,
            "http's `==` ignores the case of the authority"
        );
        cache.url(&lower).unwrap();
        assert_eq!(
            cache.url(&upper).unwrap().username(),
            "USER",
            "the cached URL of another user was served"
        );
    }
}
