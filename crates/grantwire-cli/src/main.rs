//! The `grantwire` command: tokens for people and scripts, introspection, revocation,
//! discovery, an embedded authorization server and a demo. The reference is docs/CLI.md.
//!
//! Exit codes: 0 success; 2 usage or configuration; 3 OAuth error response; 4 invalid
//! response or transport failure. Secrets come from `GRANTWIRE_CLIENT_SECRET` or
//! `--client-secret-file`, never from the command line, and never appear in any output.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod args;
mod demo;
mod output;
mod serve;
mod text;

use args::{Cli, Command, ConfigCommand};
use output::{CliError, Format};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are not errors; clap prints them.
            let code = if e.use_stderr() {
                output::EXIT_USAGE
            } else {
                output::EXIT_OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let format = output_format(&cli.command);
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => output::report(&e, format),
    }
}

/// The `--output` of a command, for reporting its failure.
fn output_format(command: &Command) -> Format {
    match command {
        Command::Token(a) => a.common.output,
        Command::Header(a) => a.token.common.output,
        Command::Introspect(a) | Command::Revoke(a) => a.common.output,
        Command::Discover(a) => a.output,
        _ => Format::Text,
    }
}

fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Config {
            command: ConfigCommand::Schema,
        } => Err(CliError::usage(
            "`grantwire config schema` is not built yet",
        )),
        Command::Token(_)
        | Command::Header(_)
        | Command::Introspect(_)
        | Command::Revoke(_)
        | Command::Discover(_) => Err(CliError::usage("not built yet")),
    }
}
