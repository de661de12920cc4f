//! What the command prints when something fails, and how it exits: the error JSON shapes and
//! the exit codes scripts rely on (docs/CLI.md). Shared by every subcommand (serve and demo
//! included).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde_json::{json, Map, Value};

/// Exit code: success.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: usage or configuration error.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: the server answered with an OAuth error response.
pub(crate) const EXIT_OAUTH: u8 = 3;
/// Exit code: an invalid response or a transport failure.
pub(crate) const EXIT_RESPONSE: u8 = 4;

/// `--output text|json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub(crate) enum Format {
    /// For people: words, advice, colour on a terminal.
    #[default]
    Text,
    /// For scripts: one JSON object.
    Json,
}

/// Every failure of the command, in the four kinds the error JSON names. No variant holds a
/// secret, a token, an assertion or a key: messages are built from typed errors that never
/// carry them.
#[derive(Debug)]
pub(crate) enum CliError {
    /// A usage or configuration error (exit 2).
    Usage(String),
    /// An OAuth error response (exit 3).
    OAuth(Box<grantwire::ErrorResponse>),
    /// An unusable response (exit 4).
    InvalidResponse {
        /// The HTTP status, when a response arrived.
        status: Option<u16>,
        /// Its content type, bounded and sanitised by the core.
        content_type: Option<String>,
        /// Why it is unusable.
        reason: String,
    },
    /// The request could not be sent or its answer not received (exit 4).
    Transport(String),
}

impl CliError {
    /// A usage error.
    pub(crate) fn usage(reason: impl Into<String>) -> Self {
        Self::Usage(reason.into())
    }

    /// The exit code scripts see.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => EXIT_USAGE,
            Self::OAuth(_) => EXIT_OAUTH,
            Self::InvalidResponse { .. } | Self::Transport(_) => EXIT_RESPONSE,
        }
    }

    /// The error JSON printed on stderr with `--output json`.
    pub(crate) fn to_json(&self) -> Value {
        let mut o = Map::new();
        match self {
            Self::Usage(reason) => {
                o.insert("kind".into(), json!("usage"));
                o.insert("reason".into(), json!(reason));
            }
            Self::OAuth(e) => {
                o.insert("kind".into(), json!("oauth"));
                o.insert("error".into(), json!(e.error.as_str()));
                if let Some(d) = &e.error_description {
                    o.insert("error_description".into(), json!(d));
                }
                if let Some(u) = &e.error_uri {
                    o.insert("error_uri".into(), json!(u));
                }
                o.insert("status".into(), json!(e.status));
                if let Some(r) = e.retry_after {
                    o.insert("retry_after".into(), json!(r.as_secs()));
                }
            }
            Self::InvalidResponse {
                status,
                content_type,
                reason,
            } => {
                o.insert("kind".into(), json!("invalid_response"));
                if let Some(s) = status {
                    o.insert("status".into(), json!(s));
                }
                if let Some(c) = content_type {
                    o.insert("content_type".into(), json!(c));
                }
                o.insert("reason".into(), json!(reason));
            }
            Self::Transport(reason) => {
                o.insert("kind".into(), json!("transport"));
                o.insert("reason".into(), json!(reason));
            }
        }
        Value::Object(o)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(r) => write!(f, "usage: {r}"),
            Self::OAuth(e) => write!(f, "{e}"),
            Self::InvalidResponse { reason, .. } => write!(f, "invalid response: {reason}"),
            Self::Transport(r) => write!(f, "transport failure: {r}"),
        }
    }
}

/// Whether to colour what goes to stderr: a terminal, and `NO_COLOR` unset or empty.
pub(crate) fn colour_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Whether to colour what goes to stdout.
pub(crate) fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Reports `error` on stderr in `format` and returns the exit code.
pub(crate) fn report(error: &CliError, format: Format) -> ExitCode {
    let mut err = std::io::stderr().lock();
    match format {
        Format::Json => {
            let _ = writeln!(err, "{}", error.to_json());
        }
        Format::Text => {
            let _ = writeln!(err, "{}", crate::text::error_text(error, colour_stderr()));
        }
    }
    ExitCode::from(error.exit_code())
}
