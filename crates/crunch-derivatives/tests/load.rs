//! The CSV loader of derivatives books: a good file, and one malformed file per rule with
//! its exact message.

use std::path::PathBuf;

use crunch_core::{AssetSpec, MarketSpec};
use crunch_derivatives::{Account, DerivBook, OptionKind, Position, load_deriv_book};

fn market() -> MarketSpec {
    let a = |s: &str, price: f64, sigma: f64| AssetSpec {
        symbol: s.into(),
        price,
        sigma,
        mu: 0.0,
        depth: None,
        impact: 0.0,
    };
    MarketSpec {
        assets: vec![a("ETH", 2_000.0, 0.6), a("USDC", 1.0, 0.0)],
        dt: 0.25,
        phi: 0.0,
    }
}

/// Writes `text` to a file in a fresh directory; the directory lives as long as the guard.
fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const HEADER: &str =
    "account,kind,asset,size,entry_price,funding_rate,strike,expiry_step,premium,isolated_margin\n";

#[test]
fn a_good_file_loads_in_order() {
    let (_d, path) = file(&format!(
        "{HEADER}\
         bob,perp,ETH,-1.5,2100,0.0001,,,,\n\
         alice,collateral,,5000,,,,,,\n\
         alice,call,ETH,-2,,,2200,4,80,\n\
         bob,collateral,USDC,1000,,,,,,\n\
         alice,put,ETH,1,,,1800,2,,\n"
    ));
    let book = load_deriv_book(&path, &market()).unwrap();
    let expected = DerivBook::new(vec![
        Account::new(
            "bob",
            1_000.0,
            vec![Position::perp(0, -1.5, 2_100.0).with_funding(1e-4)],
        )
        .unwrap(),
        Account::new(
            "alice",
            5_000.0,
            vec![
                // Expiry step 4 at dt = 0.25: 1 year.
                Position::option(0, -2.0, OptionKind::Call, 2_200.0, 1.0, 80.0),
                Position::option(0, 1.0, OptionKind::Put, 1_800.0, 0.5, 0.0),
            ],
        )
        .unwrap(),
    ])
    .unwrap();
    assert_eq!(book, expected);
    // Optional columns may be left out altogether.
    let (_d, path) = file("account,asset,kind,size,entry_price\na,ETH,perp,1,2000\n");
    let book = load_deriv_book(&path, &market()).unwrap();
    assert_eq!(
        book.accounts()[0].positions(),
        &[Position::perp(0, 1.0, 2_000.0)]
    );
}

#[test]
fn each_bad_input_names_file_line_column_and_problem() {
    let cases: &[(&str, &str)] = &[
        (
            "a,perp,ETH,1,,,,,,\n",
            "line 2, column \"entry_price\": required here, but empty",
        ),
        (
            "a,perp,ETH,1,2000,,2200,,,\n",
            "line 2, column \"strike\": does not apply to a perp row; leave it empty",
        ),
        (
            "a,collateral,,10,,,,,,\na,swap,ETH,1,,,,,,\n",
            "line 3, column \"kind\": \"swap\" is not one of collateral, perp, call, put",
        ),
        (
            "a,perp,SOL,1,100,,,,,\n",
            "line 2, column \"asset\": unknown asset \"SOL\" (the market has ETH, USDC)",
        ),
        (
            "a,perp,ETH,0,100,,,,,\n",
            "line 2, column \"size\": 0 must be finite and non-zero",
        ),
        (
            "a,call,ETH,1,,,abc,3,,\n",
            "line 2, column \"strike\": \"abc\" is not a number",
        ),
        (
            "a,put,ETH,1,,,1800,2.5,,\n",
            "line 2, column \"expiry_step\": 2.5 must be a whole number >= 0",
        ),
        (
            "a,put,ETH,1,,,1800,,,\n",
            "line 2, column \"expiry_step\": required here, but empty",
        ),
        (
            "a,call,ETH,1,,0.01,1800,2,,\n",
            "line 2, column \"funding_rate\": does not apply to a call row; leave it empty",
        ),
        (
            "a,collateral,ETH,10,,,,,,\n",
            "line 2, column \"asset\": collateral is held in the numeraire: leave it empty or \
             name a stable asset priced 1",
        ),
        (
            "a,collateral,,10,,,,,,\na,collateral,,5,,,,,,\n",
            "line 3, column \"kind\": a second collateral row for account \"a\"",
        ),
        (
            "a,collateral,,-10,,,,,,\n",
            "line 2, column \"size\": -10 must be finite and >= 0",
        ),
        (
            ",perp,ETH,1,100,,,,,\n",
            "line 2, column \"account\": required, but empty",
        ),
        (
            "a,collateral,,10,,,,,,\nb,perp,ETH,1,100,,,,,\na,perp,ETH,1,100,,,,,20\n",
            "line 2: `accounts[a]: sum of isolated margins` = 20: must not exceed the collateral",
        ),
    ];
    for (rows, message) in cases {
        let (_d, path) = file(&format!("{HEADER}{rows}"));
        let err = load_deriv_book(&path, &market()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}: {message}", path.display()),
            "rows {rows:?}"
        );
    }
}

#[test]
fn bad_headers_and_shapes() {
    let check = |text: &str, message: &str| {
        let (_d, path) = file(text);
        let err = load_deriv_book(&path, &market()).unwrap_err().to_string();
        assert_eq!(err, format!("{}: {message}", path.display()));
    };
    check(
        "account,kind,size\n",
        "missing column \"asset\"; the file has columns \"account\", \"kind\", \"size\"",
    );
    check(
        "account,kind,asset,size,expiry\n",
        "unknown column \"expiry\"; the file has columns \"account\", \"kind\", \"asset\", \
         \"size\", \"expiry\"",
    );
    check(
        "account,kind,asset,size,size\n",
        "column \"size\" appears twice; the file has columns \"account\", \"kind\", \"asset\", \
         \"size\", \"size\"",
    );
    let (_d, path) = file("account,kind,asset,size\na,perp,ETH\n");
    let err = load_deriv_book(&path, &market()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: CSV error", path.display())),
        "{err}"
    );
    assert!(err.contains("line: 2"), "{err}");
    let missing = PathBuf::from("no-such-book.csv");
    let err = load_deriv_book(&missing, &market())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("no-such-book.csv: cannot read the file: "),
        "{err}"
    );
}
