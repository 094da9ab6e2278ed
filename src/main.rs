//! `analyze`: parse the command line, run, print one `error:` line and exit 2 on failure.

use clap::Parser;

fn main() {
    let cli = election_forensics::cli::Cli::parse();
    if let Err(err) = election_forensics::cli::run(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(2);
    }
}
