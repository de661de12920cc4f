//! Text output for people: a token's lifetime in words, scopes, quirks; for errors the RFC
//! meaning and what to check.

use crate::output::CliError;

/// The text shown on stderr for `error`.
pub(crate) fn error_text(error: &CliError, colour: bool) -> String {
    let head = if colour {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    format!("{head}: {error}")
}
