//! `grantwire serve`: the testkit authorization server on loopback with the debugging page
//! (issue 11; branch i11-serve).

use std::process::ExitCode;

use crate::output::CliError;

/// Arguments of `grantwire serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (loopback).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) addr: String,
    /// A configuration file.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
}

/// Runs `grantwire serve`.
pub(crate) fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    let _ = args;
    Err(CliError::usage("`grantwire serve` is not built yet"))
}
