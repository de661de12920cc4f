//! `grantwire demo`: every client-authentication method and signing algorithm against the
//! embedded server, in one run (issue 11; branch i11-demo).

use std::process::ExitCode;

use crate::output::CliError;

/// Arguments of `grantwire demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {}

/// Runs `grantwire demo`.
pub(crate) fn run(args: DemoArgs) -> Result<ExitCode, CliError> {
    let _ = args;
    Err(CliError::usage("`grantwire demo` is not built yet"))
}
