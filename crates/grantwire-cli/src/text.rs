//! Text output for people: a token's lifetime in words, scopes, quirks; for errors the RFC
//! meaning and what to check (the providers' troubleshooting tables), in colour on a terminal
//! unless `NO_COLOR` is set.

use std::time::Duration;

use grantwire::ErrorCode;

use crate::output::CliError;

/// What to check after `invalid_client`, or an empty 401/403 (servers that answer a failed
/// client authentication without a body).
const INVALID_CLIENT_CHECKLIST: &[&str] = &[
    "Verify client_id: it is the id registered at this server (not a name or an app id of another tenant).",
    "Check the secret or key: the current one, for this client; ensure credentials aren't URL-encoded twice (client_secret_basic encodes them once, RFC 6749 §2.3.1).",
    "Check the authentication method registered for the client (--auth-method) matches the one used.",
    "For client_secret_jwt and private_key_jwt: check the server's clock against yours (iat/exp), the signing algorithm allowed for the client (--alg), and the assertion audience (--assertion-audience issuer|token-endpoint|endpoint).",
    "For the tls methods: check the certificate is the registered one and reaches the server (no TLS-terminating proxy in between).",
];

/// A duration in words: `59 minutes 59 seconds`, `2 hours 5 minutes`, `3 days 1 hour`.
pub(crate) fn words(d: Duration) -> String {
    let s = d.as_secs();
    let units = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let mut parts = Vec::new();
    let mut rest = s;
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
        // The two largest units are enough for a person.
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        "less than a second".into()
    } else {
        parts.join(" ")
    }
}

/// Text safe to print: at most `max` characters, control and bidi characters replaced.
pub(crate) fn printable(s: &str, max: usize) -> String {
    grantwire::error::bounded_text(s, max)
}

struct Paint(bool);

impl Paint {
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

/// What to check for an OAuth error code, beyond the one-line meaning.
fn checklist(code: &ErrorCode) -> &'static [&'static str] {
    match code {
        ErrorCode::InvalidClient => INVALID_CLIENT_CHECKLIST,
        ErrorCode::InvalidGrant => &[
            "The refresh token or assertion may be expired, revoked or issued to another client.",
            "For assertions: check the server's clock against yours (iat, exp, nbf).",
        ],
        ErrorCode::InvalidScope => &["Request only scopes granted to the client (--scope)."],
        ErrorCode::UnauthorizedClient => &["Enable this grant type for the client at the server."],
        ErrorCode::InvalidTarget => {
            &["Check --resource and --audience name an API the client may use."]
        }
        _ => &[],
    }
}

/// The text shown on stderr for `error`.
pub(crate) fn error_text(error: &CliError, colour: bool) -> String {
    let p = Paint(colour);
    let mut out = format!("{}: {error}", p.red("error"));
    let mut push = |s: String| {
        out.push('\n');
        out.push_str(&s);
    };
    match error {
        CliError::OAuth(e) => {
            if let Some(uri) = &e.error_uri {
                push(format!("  {} {}", p.dim("see:"), printable(uri, 512)));
            }
            push(format!("  {} {}", p.bold("meaning:"), e.advice()));
            for item in checklist(&e.error) {
                push(format!("  {} {item}", p.bold("check:")));
            }
            if let Some(r) = e.retry_after {
                push(format!("  {} retry after {}", p.bold("wait:"), words(r)));
            }
        }
        CliError::InvalidResponse {
            status: Some(401 | 403),
            ..
        } => {
            push(format!(
                "  {} an empty 401/403 is how some servers reject client authentication (invalid_client):",
                p.bold("meaning:")
            ));
            for item in INVALID_CLIENT_CHECKLIST {
                push(format!("  {} {item}", p.bold("check:")));
            }
        }
        CliError::InvalidResponse { .. } => {
            push(format!(
                "  {} the server (or a proxy in front of it) answered something that is not a usable OAuth response.",
                p.bold("meaning:")
            ));
            push(format!("  {} the URL is the endpoint itself (not a login page or the issuer); try --lenient for known provider quirks.", p.bold("check:")));
        }
        CliError::Transport(_) => {
            push(format!("  {} the URL, the network and proxy settings (HTTPS_PROXY, NO_PROXY); --timeout SECONDS for a slow server.", p.bold("check:")));
        }
        CliError::Usage(_) => {
            push(format!("  {} grantwire --help", p.dim("see:")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_as_words() {
        assert_eq!(words(Duration::from_secs(3599)), "59 minutes 59 seconds");
        assert_eq!(words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(words(Duration::from_secs(90_061)), "1 day 1 hour");
        assert_eq!(words(Duration::from_millis(200)), "less than a second");
    }

    #[test]
    fn an_empty_401_gets_the_invalid_client_checklist() {
        let e = CliError::InvalidResponse {
            status: Some(401),
            content_type: None,
            reason: "x".into(),
        };
        let t = error_text(&e, false);
        assert!(
            t.contains("Verify client_id")
                && t.contains("URL-encoded twice")
                && t.contains("clock"),
            "{t}"
        );
        let e = CliError::InvalidResponse {
            status: Some(502),
            content_type: None,
            reason: "x".into(),
        };
        assert!(!error_text(&e, false).contains("Verify client_id"));
    }

    #[test]
    fn colour_only_when_asked() {
        let e = CliError::usage("x");
        assert!(!error_text(&e, false).contains('\x1b'));
        assert!(error_text(&e, true).contains('\x1b'));
    }
}
