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
mod cache;
mod config;
mod debug_page;
mod demo;
mod ops;
mod output;
mod serve;
mod setup;
mod text;
mod token;

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
            if e.use_stderr() && wants_json() {
                // The usage shape, one line of clap's message (it names flags, not values).
                let text = e.render().to_string();
                let reason = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                return output::report(&CliError::usage(reason), Format::Json);
            }
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

/// Whether the raw arguments ask for `--output json` (for errors before they are parsed).
fn wants_json() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .any(|w| w[0] == "--output" && w[1] == "json")
        || args.iter().any(|a| a == "--output=json")
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
        } => {
            println!("{:#}", config::schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(a) => token::run_token(&a),
        Command::Header(a) => token::run_header(&a.token),
        Command::Introspect(a) => ops::run_introspect(&a),
        Command::Revoke(a) => ops::run_revoke(&a),
        Command::Discover(a) => ops::run_discover(&a),
    }
}
