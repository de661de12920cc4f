//! Endpoint URLs and issuer identifiers (RFC 6749 §3.1, §3.2; RFC 8414 §2).

use std::fmt;
use std::net::IpAddr;

use http::Uri;

use crate::Error;

/// An absolute endpoint URL that is `https`, or `http` on a loopback host (`localhost`,
/// `127.0.0.0/8`, `::1`).
///
/// RFC 6749 §3.1 and §3.2 require TLS for the authorization and token endpoints. Plain `http` to
/// any other host is refused unless the caller opts in by name with
/// [`Endpoint::parse_danger_allow_http`].
///
/// ```
/// use grantwire::Endpoint;
/// assert!(Endpoint::parse("https://as.example/token").is_ok());
/// assert!(Endpoint::parse("http://127.0.0.1:8080/token").is_ok());
/// assert!(Endpoint::parse("http://as.example/token").is_err());
/// assert!(Endpoint::parse_danger_allow_http("http://as.example/token").is_ok());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    uri: Uri,
    text: String,
}

/// Whether `host` (as it appears in a URI authority) is a loopback host.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

impl Endpoint {
    /// Parses an `https` URL, or an `http` URL whose host is loopback.
    pub fn parse(url: &str) -> Result<Self, Error> {
        Self::parse_inner(url, false)
    }

    /// Parses a URL and accepts plain `http` to any host. Only for test rigs and networks the
    /// caller controls: credentials and tokens travel in clear text.
    pub fn parse_danger_allow_http(url: &str) -> Result<Self, Error> {
        Self::parse_inner(url, true)
    }

    fn parse_inner(url: &str, allow_http: bool) -> Result<Self, Error> {
        let uri: Uri = url.parse().map_err(|_| Error::InvalidUrl {
            reason: "not a valid absolute URL",
        })?;
        let host = uri.host().ok_or(Error::InvalidUrl {
            reason: "the URL has no host",
        })?;
        if host.is_empty() {
            return Err(Error::InvalidUrl {
                reason: "the URL has no host",
            });
        }
        if url.contains('#') {
            return Err(Error::InvalidUrl {
                reason: "an endpoint URL must not have a fragment (RFC 6749 §3.1)",
            });
        }
        match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => {}
            Some(s) if s.eq_ignore_ascii_case("http") => {
                if !allow_http && !is_loopback_host(host) {
                    return Err(Error::InsecureEndpoint);
                }
            }
            _ => {
                return Err(Error::InvalidUrl {
                    reason: "the scheme must be https (or http on a loopback host)",
                })
            }
        }
        Ok(Self {
            uri,
            text: url.to_owned(),
        })
    }

    /// The parsed URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The URL exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the URL already has a query component.
    pub fn has_query(&self) -> bool {
        self.uri.query().is_some()
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.text).finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An authorization server's issuer identifier (RFC 8414 §2): an `https` URL (or `http` on
/// loopback) with no query and no fragment, compared as an exact string (RFC 8414 §3.3).
///
/// It is also the audience a client assertion names by default (draft-ietf-oauth-rfc7523bis).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

impl Issuer {
    /// Parses an issuer identifier.
    pub fn parse(url: &str) -> Result<Self, Error> {
        Self::check(url, false)
    }

    /// Parses an issuer identifier and accepts plain `http` to any host (test rigs only). The
    /// opt-in covers this identifier alone: a metadata document's endpoints need
    /// [`ParseOptions::danger_allow_http_endpoints`](crate::ParseOptions::danger_allow_http_endpoints)
    /// as well.
    pub fn parse_danger_allow_http(url: &str) -> Result<Self, Error> {
        Self::check(url, true)
    }

    fn check(url: &str, allow_http: bool) -> Result<Self, Error> {
        let ep = Endpoint::parse_inner(url, allow_http)?;
        if ep.uri.query().is_some() || url.contains('?') {
            return Err(Error::InvalidUrl {
                reason: "an issuer identifier has no query component (RFC 8414 §2)",
            });
        }
        Ok(Self(url.to_owned()))
    }

    /// The identifier as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Issuer").field(&self.0).finish()
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_rules() {
        for ok in [
            "https://as.example/t",
            "http://localhost/t",
            "http://127.0.0.1:9/t",
            "http://127.8.0.1/t",
            "http://[::1]:80/t",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Endpoint::parse("http://as.example/t"),
            Err(Error::InsecureEndpoint)
        );
        assert_eq!(
            Endpoint::parse("http://10.0.0.1/t"),
            Err(Error::InsecureEndpoint)
        );
        assert_eq!(
            Endpoint::parse("http://localhost.evil.example/t"),
            Err(Error::InsecureEndpoint)
        );
        assert!(Endpoint::parse("ftp://as.example/t").is_err());
        assert!(Endpoint::parse("/relative").is_err());
        assert!(Endpoint::parse("https://as.example/t#frag").is_err());
        assert!(Issuer::parse("https://as.example?x=1").is_err());
        assert!(Issuer::parse("https://as.example/tenant").is_ok());
    }

    /// Loopback means 127.0.0.0/8, ::1 and the name `localhost`, nothing that merely starts
    /// with them (RFC 6761 §6.3 reserves `localhost`; RFC 1122 §3.2.1.3 the 127/8 block).
    #[test]
    fn loopback_host_is_exact() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.0.0.0",
            "127.255.255.254",
            "127.1.2.3",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
            let url = format!("http://{host}:8080/token");
            assert!(Endpoint::parse(&url).is_ok(), "{url}");
        }
        for host in [
            "127.0.0.1.attacker.example",
            "localhost.attacker.example",
            "attacker.example.localhost.",
            "localhost.",
            "127.0.0.1.",
            "128.0.0.1",
            "126.255.255.255",
            "0.0.0.0",
            "127.1",
            "0x7f.0.0.1",
            "2130706433",
            "[::]",
            "[::2]",
            "[::ffff:127.0.0.1]",
            "[fe80::1]",
            "localhost%2eattacker.example",
            "xlocalhost",
        ] {
            assert!(!is_loopback_host(host), "{host}");
            let url = format!("http://{host}/token");
            // Either not a URL at all or refused as plain http: never accepted.
            assert!(Endpoint::parse(&url).is_err(), "{url}");
        }
        // The host is what counts, not userinfo, port or path.
        for url in [
            "http://127.0.0.1@attacker.example/t",
            "http://localhost:80@attacker.example/t",
            "http://attacker.example/127.0.0.1",
            "http://attacker.example/?localhost",
        ] {
            assert!(Endpoint::parse(url).is_err(), "{url}");
        }
    }
}
