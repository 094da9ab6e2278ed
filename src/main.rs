//! `analyze`: parse the command line, run, print one `error:` line and exit 2 on failure.

use clap::Parser;

fn main() {
    let cli = election_forensics::cli::Cli::parse();
    match election_forensics::cli::run(cli) {
        Ok(0) => {}
        // Some datasets of a folder run failed (each listed in the index); the others were analysed.
        Ok(code) => std::process::exit(code),
        Err(err) => {
            // One line whatever the data: a file name or cell with a line break or a terminal
            // escape sequence is shown escaped.
            eprintln!(
                "error: {}",
                election_forensics::text::one_line(&format!("{err:#}"))
            );
            std::process::exit(2);
        }
    }
}
