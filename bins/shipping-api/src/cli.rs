//! The command line: `shipping-api [serve | hash-password | openapi]`, `serve` when no command
//! is given. Parsed before anything else, so `--help` works without settings or a database.

use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};

/// The shop-facing HTTP API of the shipping service.
///
/// Settings: the defaults compiled in (bins/shipping-api/config/default.toml documents each),
/// then the TOML file named by SHIPPING_CONFIG, then the environment (SHIPPING__SECTION__KEY
/// wins over a seed alias such as DATABASE_URL).
#[derive(Debug, Parser)]
#[command(name = "shipping-api", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the API and the admin pages until SIGTERM or Ctrl-C (the default).
    ///
    /// Migrates the database first when database.migrate_on_start is set; SIGHUP re-reads the
    /// feature flags.
    Serve,
    /// Read a password on standard input and print its argon2 PHC string.
    ///
    /// Put the answer in an [[admin.users]] table as password_hash.
    HashPassword,
    /// Print the OpenAPI document (JSON) without starting the server.
    Openapi,
}

/// The program: parse the command line (exits with the help or the usage error), run it.
pub async fn main() -> anyhow::Result<()> {
    Cli::parse().run().await
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => crate::run().await,
            Command::HashPassword => hash_password(&mut std::io::stdin().lock(), &mut std::io::stdout()),
            Command::Openapi => Ok(writeln!(std::io::stdout(), "{}", crate::openapi::document_json())?),
        }
    }
}

/// `hash-password`: one line in, its PHC string out.
fn hash_password(input: &mut impl BufRead, output: &mut impl Write) -> anyhow::Result<()> {
    let mut password = String::new();
    input.read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(!password.is_empty(), "give the password on standard input");
    let phc = crate::password::hash(password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    writeln!(output, "{phc}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("shipping-api").chain(argv.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_serves_and_each_command_parses() {
        assert_eq!(parse(&[]).unwrap().command, None);
        assert_eq!(parse(&["serve"]).unwrap().command, Some(Command::Serve));
        assert_eq!(parse(&["hash-password"]).unwrap().command, Some(Command::HashPassword));
        assert_eq!(parse(&["openapi"]).unwrap().command, Some(Command::Openapi));
        assert_eq!(parse(&["serve-forever"]).unwrap_err().kind(), ErrorKind::InvalidSubcommand);
        assert_eq!(parse(&["openapi", "extra"]).unwrap_err().kind(), ErrorKind::UnknownArgument);
    }

    #[test]
    fn every_command_has_help() {
        for argv in [&["--help"][..], &["help"], &["serve", "--help"], &["hash-password", "--help"], &["openapi", "-h"]]
        {
            let e = parse(argv).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{argv:?}");
            assert!(e.to_string().contains("Usage: shipping-api"), "{argv:?}: {e}");
        }
        let top = parse(&["--help"]).unwrap_err().to_string();
        for name in ["serve", "hash-password", "openapi"] {
            assert!(top.contains(name), "{name} listed in --help");
        }
        assert_eq!(parse(&["--version"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
    }

    #[test]
    fn hash_password_prints_a_phc_string_for_the_first_line() {
        let mut out = Vec::new();
        hash_password(&mut &b"correct horse\r\nignored\n"[..], &mut out).unwrap();
        let phc = String::from_utf8(out).unwrap();
        assert!(crate::password::verify("correct horse", phc.trim_end()), "{phc}");
        assert!(hash_password(&mut &b"\n"[..], &mut Vec::new()).is_err());
    }
}
