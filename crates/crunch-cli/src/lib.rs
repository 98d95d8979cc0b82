//! The library side of the `crunch` program: turning a scenario file into a ready run,
//! running it into an output directory, and the end-of-run summary table. `main.rs` only
//! parses the command line.

mod prepare;
mod run;
mod summary;

pub use prepare::{Overrides, Prepared, prepare};
pub use run::{RunOptions, run_scenario};
pub use summary::{PolicyStats, policy_stats, render_table};

/// The one-line message of `error` and its causes, `: `-separated, outermost first.
///
/// A cause whose text the message already contains is left out: many error types of the
/// workspace quote their source in their own message *and* expose it as `source()`, which
/// `anyhow`'s `{:#}` would print twice.
pub fn error_message(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::error_message;

    #[derive(Debug)]
    struct Quoting(std::io::Error);

    impl std::fmt::Display for Quoting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "a.csv: cannot open: {}", self.0)
        }
    }

    impl std::error::Error for Quoting {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let io = || std::io::Error::other("gone");
        let e = anyhow::Error::new(Quoting(io())).context("scenario.toml: `book.file`");
        assert_eq!(
            error_message(&e),
            "scenario.toml: `book.file`: a.csv: cannot open: gone"
        );
        let e = anyhow::Error::new(io()).context("cannot read `a.csv`");
        assert_eq!(error_message(&e), "cannot read `a.csv`: gone");
    }
}
