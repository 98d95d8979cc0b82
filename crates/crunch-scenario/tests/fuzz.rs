//! Malformed scenario files, generated: random mutations of every shipped scenario
//! (`scenarios/*.toml` and `scenarios/incidents/*.toml`) — deleted, duplicated, swapped and mangled lines, values replaced
//! by wrong types, out-of-range, huge, NaN and infinite numbers, unknown keys, truncated
//! files and random bytes — fed to [`parse_scenario`].
//!
//! Properties, on every generated text: the parser never panics, returns within a second,
//! and every rejection names the file and a line or a key. The run uses a fixed seed and
//! no failure persistence, so it is the same set of inputs on every machine; the test
//! prints how many texts it tried and how many were refused.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crunch_scenario::{ScenarioError, parse_scenario};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};

/// Generated texts per run.
const CASES: u32 = 5_000;

/// The file name every generated text is parsed as; each message must name it.
const FILE: &str = "fuzzed-scenario.toml";

/// Values that replace the right-hand side of a `key = value` line.
const VALUES: &[&str] = &[
    "\"text\"",
    "true",
    "[1, 2]",
    "{ a = 1 }",
    "-1",
    "0",
    "-0.0",
    "1e308",
    "1e999",
    "-1e999",
    "nan",
    "inf",
    "-inf",
    "\"NaN\"",
    "\"inf\"",
    "99999999999999999999",
    "18446744073709551615",
    "-9223372036854775808",
    "0.5",
    "2",
    "1979-05-27",
    "[]",
    "[[1.0, 2.0], [3.0]]",
    "",
];

/// Numbers that replace a number, keeping an integer an integer: out-of-range, huge,
/// NaN and infinite values the TOML parser accepts and the validator must refuse.
const NUMBERS: &[(&str, &str)] = &[
    ("-1", "-1.0"),
    ("0", "0.0"),
    ("1", "1.5"),
    ("2", "2.0"),
    ("1000000000", "1e308"),
    ("9223372036854775807", "1e999"),
    ("-9223372036854775808", "-1e999"),
    ("3", "nan"),
    ("4", "inf"),
    ("5", "-inf"),
    ("0", "-0.0"),
    ("100000", "1e-300"),
];

/// One mutation of a scenario text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Delete line `i` (modulo the line count).
    Delete(usize),
    /// Repeat line `i`.
    Duplicate(usize),
    /// Swap lines `i` and `j`.
    Swap(usize, usize),
    /// Replace the value of the `i`-th `key = value` line with `VALUES[v]`.
    Value(usize, usize),
    /// Replace the `i`-th number (an unquoted value starting with a digit, `-` or `.`)
    /// with `NUMBERS[v]` of the same type.
    Number(usize, usize),
    /// Insert an unknown key before line `i`.
    UnknownKey(usize),
    /// Keep the first `n` per mille of the text (at a character boundary).
    Truncate(u16),
    /// Replace the byte at per mille `at` and the following ones by `bytes`.
    Bytes(u16, Vec<u8>),
    /// Delete character `k` of line `i`.
    DeleteChar(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<usize>;
    prop_oneof![
        1 => idx().prop_map(Mutation::Delete),
        1 => idx().prop_map(Mutation::Duplicate),
        1 => (idx(), idx()).prop_map(|(i, j)| Mutation::Swap(i, j)),
        4 => (idx(), 0..VALUES.len()).prop_map(|(i, v)| Mutation::Value(i, v)),
        6 => (idx(), 0..NUMBERS.len()).prop_map(|(i, v)| Mutation::Number(i, v)),
        1 => idx().prop_map(Mutation::UnknownKey),
        1 => (0u16..1000).prop_map(Mutation::Truncate),
        1 => (0u16..1000, prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Mutation::Bytes(at, b)),
        1 => (idx(), idx()).prop_map(|(i, k)| Mutation::DeleteChar(i, k)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    match m {
        Mutation::Delete(i) => {
            lines.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::Swap(i, j) => lines.swap(i % n, j % n),
        Mutation::Value(i, v) => {
            let keyed: Vec<usize> = (0..lines.len())
                .filter(|&k| lines[k].contains('=') && !lines[k].trim_start().starts_with('#'))
                .collect();
            if !keyed.is_empty() {
                let k = keyed[i % keyed.len()];
                let key = lines[k].split('=').next().unwrap_or_default().to_owned();
                lines[k] = format!("{key}= {}", VALUES[*v]);
            }
        }
        Mutation::Number(i, v) => {
            let mut spans = Vec::new();
            for (k, line) in lines.iter().enumerate() {
                let code = line.split('#').next().unwrap_or_default();
                let mut start = None;
                for (at, ch) in code.char_indices().chain([(code.len(), ' ')]) {
                    let part = ch.is_ascii_alphanumeric() || "+-._".contains(ch);
                    match (start, part) {
                        (None, true) => start = Some(at),
                        (Some(s), false) => {
                            let word = &code[s..at];
                            let before = code[..s].trim_end();
                            if word.parse::<f64>().is_ok()
                                && (before.ends_with('=')
                                    || before.ends_with('[')
                                    || before.ends_with(','))
                            {
                                spans.push((k, s, at, word.contains(['.', 'e', 'E'])));
                            }
                            start = None;
                        }
                        _ => {}
                    }
                }
            }
            if !spans.is_empty() {
                let (k, s, e, float) = spans[i % spans.len()];
                let (int_value, float_value) = NUMBERS[*v];
                let value = if float { float_value } else { int_value };
                lines[k].replace_range(s..e, value);
            }
        }
        Mutation::UnknownKey(i) => lines.insert(i % n, "surprise_key = 1".to_owned()),
        Mutation::Truncate(per_mille) => {
            let mut end = text.len() * usize::from(*per_mille) / 1000;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            return text[..end].to_owned();
        }
        Mutation::Bytes(at, bytes) => {
            let mut b = text.as_bytes().to_vec();
            let start = b.len() * usize::from(*at) / 1000;
            let end = (start + bytes.len()).min(b.len());
            b.splice(start..end, bytes.iter().copied());
            return String::from_utf8_lossy(&b).into_owned();
        }
        Mutation::DeleteChar(i, k) => {
            let line = &mut lines[i % n];
            if let Some((at, _)) = line.char_indices().nth(k % line.len().max(1)) {
                line.remove(at);
            }
        }
    }
    lines.join("\n")
}

fn shipped() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = [root.clone(), root.join("incidents")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// Whether a rejection names the file and a line or a key.
fn names_place(e: &ScenarioError) -> Result<(), String> {
    let msg = e.to_string();
    if !msg.contains(FILE) {
        return Err(format!("the message does not name the file: {msg}"));
    }
    let ok = match e {
        ScenarioError::Parse { message, .. } => message.contains("line "),
        ScenarioError::Invalid { issues, .. } => {
            !issues.is_empty()
                && issues
                    .iter()
                    .all(|i| i.line.is_some() || !i.key.trim().is_empty())
        }
        ScenarioError::Read { .. } => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("the message names no line or key: {msg}"))
    }
}

#[test]
fn mutated_scenarios_are_refused_clearly() {
    let scenarios = shipped();
    assert!(scenarios.len() >= 5, "the shipped scenarios are found");
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x7363_656e_6172_696f),
        max_shrink_iters: 256,
        ..Config::default()
    });
    // Texts refused by the TOML parser or schema, refused by the validator, accepted.
    let counts = std::cell::Cell::new([0u32; 3]);
    let strategy = (0..scenarios.len(), prop::collection::vec(mutation(), 1..3));
    let result = runner.run(&strategy, |(which, mutations)| {
        let (source, text) = &scenarios[which];
        let mut text = text.clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        // Relative data paths resolve next to the shipped scenario, as they would.
        let file = source.with_file_name(FILE);
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| parse_scenario(&file, &text)));
        let elapsed = start.elapsed();
        let Ok(outcome) = outcome else {
            return Err(TestCaseError::fail(format!("panicked on:\n{text}")));
        };
        prop_assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
        let mut c = counts.get();
        c[match &outcome {
            Err(ScenarioError::Invalid { .. }) => 1,
            Err(_) => 0,
            Ok(_) => 2,
        }] += 1;
        counts.set(c);
        if let Err(e) = outcome {
            names_place(&e).map_err(TestCaseError::fail)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [parse, invalid, accepted] = counts.get();
    eprintln!(
        "scenario fuzz: {} texts tried; refused by the TOML parser or schema {parse}, by \
         the validator {invalid}; accepted {accepted}",
        parse + invalid + accepted
    );
    // The mutations reach the validator, not only the TOML parser.
    assert_eq!(parse + invalid + accepted, CASES);
    assert!(
        invalid > CASES / 10 && parse > CASES / 10,
        "{parse} {invalid}"
    );
}
