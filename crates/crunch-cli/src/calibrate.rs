//! `crunch calibrate`: estimate path-model parameters from a price file and print them as
//! a summary and a scenario snippet, or as one JSON object (`docs/calibration.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use crunch_calibrate::{
    CrunchStats, GarchFit, JumpFit, StudentTFit, WindowStats, crunch_stats, detect_jumps,
    fit_garch, fit_student_t, fit_student_t_pooled, log_returns, steps_per_year, window_stats,
};
use crunch_io::{PriceRequest, PriceTable, load_prices, price_columns};
use serde_json::{Value, json};

/// Fewest returns for the Student-t, GARCH and jump estimates (drift, volatility and
/// correlation need 3).
const MIN_MODEL_RETURNS: usize = 30;

/// Arguments of `crunch calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Price file (CSV or Parquet), read like a historical source (scenarios/README.md).
    data: PathBuf,
    /// First date of the calibration window (YYYY-MM-DD) [default: the file's first].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Last date of the calibration window (YYYY-MM-DD) [default: the file's last].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    to: Option<NaiveDate>,
    /// Symbols to calibrate, comma-separated; `SYM=COLUMN` reads SYM from COLUMN
    /// [default: every price column of the file].
    #[arg(long, value_name = "SYM,SYM,...", value_delimiter = ',')]
    columns: Vec<String>,
    /// Stress window FROM..TO (dates YYYY-MM-DD): adds its statistics and the crunch
    /// (target correlation, volatility ratio) measured against the calibration window.
    #[arg(long, value_name = "FROM..TO", value_parser = parse_window)]
    stress: Option<(NaiveDate, NaiveDate)>,
    /// Print one JSON object instead of the summary and the scenario snippet.
    #[arg(long)]
    json: bool,
    /// Steps per year used to annualise [default: from the dates: 252 for trading days,
    /// 365 for calendar days, …].
    #[arg(long, value_name = "P")]
    steps_per_year: Option<f64>,
    /// Jump threshold in conditional (GARCH) standard deviations.
    #[arg(long, value_name = "K", default_value_t = 4.0)]
    jump_threshold: f64,
    /// The source the snippet is written for (the keys of the others are comments).
    #[arg(long, default_value = "gbm", value_parser = ["gbm", "student-t", "garch", "jump"])]
    source: String,
    /// A stable asset of price 1 added to the snippet as the debt asset of a lending book
    /// (`none` for none).
    #[arg(long, value_name = "SYM", default_value = "USDC")]
    numeraire: String,
}

impl CalibrateArgs {
    /// The numeraire symbol, unless `none`.
    fn numeraire(&self) -> Option<&str> {
        (self.numeraire != "none").then_some(self.numeraire.as_str())
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (expected YYYY-MM-DD)"))
}

fn parse_window(s: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        format!("`{s}` is not a window (expected FROM..TO, e.g. 2020-02-20..2020-03-23)")
    })?;
    let (a, b) = (parse_date(a)?, parse_date(b)?);
    if a > b {
        return Err(format!("the window start {a} is after its end {b}"));
    }
    Ok((a, b))
}

/// One loaded window: its dates, closes and log-returns.
struct Window {
    table: PriceTable,
    returns: Vec<Vec<f64>>,
}

impl Window {
    fn first(&self) -> NaiveDate {
        self.table.dates[0]
    }
    fn last(&self) -> NaiveDate {
        *self.table.dates.last().expect("at least 2 dates")
    }
}

/// Everything `calibrate` estimates.
struct Estimates {
    symbols: Vec<String>,
    file: PathBuf,
    window: Window,
    steps_per_year: f64,
    stats: WindowStats,
    /// Student-t: per asset and pooled; GARCH per asset; jumps — or why not estimated.
    models: Result<Models, String>,
    stress: Option<(Window, CrunchStats)>,
}

struct Models {
    student_t: Vec<StudentTFit>,
    pooled_t: StudentTFit,
    garch: Vec<GarchFit>,
    /// Pooled Student-t degrees of freedom of the GARCH-standardised residuals.
    garch_residual_t: StudentTFit,
    jumps: JumpFit,
}

/// Runs `crunch calibrate` and prints its output.
pub fn run(args: &CalibrateArgs) -> Result<()> {
    let e = estimate(args)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&to_json(&e, args))?);
    } else {
        out!("{}", summary(&e, args));
        out!("{}", snippet(&e, args));
    }
    Ok(())
}

fn estimate(args: &CalibrateArgs) -> Result<Estimates> {
    let path = &args.data;
    let (symbols, columns) = symbols(path, &args.columns)?;
    let load = |start, end, what: &str| -> Result<Window> {
        let request = PriceRequest {
            symbols: symbols.clone(),
            columns: columns.clone(),
            start,
            end,
        };
        let table = load_prices(path, &request).with_context(|| format!("reading the {what}"))?;
        if table.dates.len() < 4 {
            bail!(
                "{}: the {what} {} .. {} has {} dates, {} log-returns; calibration needs at \
                 least 3 returns (4 dates with a close for every symbol)",
                path.display(),
                table.dates[0],
                table.dates[table.dates.len() - 1],
                table.dates.len(),
                table.dates.len() - 1
            );
        }
        let returns = log_returns(&table.closes);
        Ok(Window { table, returns })
    };
    if let Some(n) = args.numeraire().filter(|n| symbols.iter().any(|s| s == n)) {
        bail!(
            "--numeraire {n}: `{n}` is also a calibrated symbol; name another numeraire or pass \
             --numeraire none"
        );
    }
    let window = load(args.from, args.to, "calibration window")?;
    let days: Vec<i64> = window
        .table
        .dates
        .iter()
        .map(|d| i64::from(chrono::Datelike::num_days_from_ce(d)))
        .collect();
    let steps_per_year = match args.steps_per_year {
        Some(p) if p.is_finite() && p > 0.0 => p,
        Some(p) => bail!("--steps-per-year must be > 0, got {p}"),
        None => steps_per_year(&days).context("the calibration window spans no time")?,
    };
    if !(args.jump_threshold.is_finite() && args.jump_threshold > 0.0) {
        bail!("--jump-threshold must be > 0, got {}", args.jump_threshold);
    }
    let in_file = |e: crunch_calibrate::CalibrateError, what: &str| {
        anyhow::anyhow!("{}: {what}: {e}", path.display())
    };
    let stats = window_stats(&window.returns, steps_per_year)
        .map_err(|e| in_file(e, "calibration window"))?;
    let models = models(&window.returns, steps_per_year, args.jump_threshold);
    let stress = match args.stress {
        None => None,
        Some((a, b)) => {
            let w = load(Some(a), Some(b), "stress window")?;
            let c = crunch_stats(&window.returns, &w.returns, steps_per_year)
                .map_err(|e| in_file(e, "stress window"))?;
            Some((w, c))
        }
    };
    Ok(Estimates {
        symbols,
        file: path.clone(),
        window,
        steps_per_year,
        stats,
        models,
        stress,
    })
}

/// The symbols to load and their explicit columns.
fn symbols(path: &Path, given: &[String]) -> Result<(Vec<String>, BTreeMap<String, String>)> {
    let mut symbols = Vec::new();
    let mut columns = BTreeMap::new();
    if given.is_empty() {
        for c in price_columns(path)? {
            columns.insert(c.symbol.clone(), c.column);
            symbols.push(c.symbol);
        }
        return Ok((symbols, columns));
    }
    for item in given {
        let (sym, col) = match item.split_once('=') {
            Some((s, c)) => (s.trim(), Some(c.trim())),
            None => (item.trim(), None),
        };
        if sym.is_empty() || col.is_some_and(str::is_empty) {
            bail!("--columns: `{item}` is not SYM or SYM=COLUMN");
        }
        if symbols.iter().any(|s| s == sym) {
            bail!("--columns: `{sym}` is given twice");
        }
        symbols.push(sym.to_owned());
        if let Some(c) = col {
            columns.insert(sym.to_owned(), c.to_owned());
        }
    }
    Ok((symbols, columns))
}

fn models(r: &[Vec<f64>], steps_per_year: f64, threshold: f64) -> Result<Models, String> {
    let n = r[0].len();
    if n < MIN_MODEL_RETURNS {
        return Err(format!(
            "needs at least {MIN_MODEL_RETURNS} returns, the window has {n}"
        ));
    }
    let err = |e: crunch_calibrate::CalibrateError| e.to_string();
    let student_t = r
        .iter()
        .map(|c| fit_student_t(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let pooled_t = fit_student_t_pooled(r).map_err(err)?;
    let garch = r
        .iter()
        .map(|c| fit_garch(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let residuals: Vec<Vec<f64>> = r
        .iter()
        .zip(&garch)
        .map(|(c, g)| {
            c.iter()
                .zip(&g.variances)
                .map(|(x, h)| (x - g.mean) / h.sqrt())
                .collect()
        })
        .collect();
    let garch_residual_t = fit_student_t_pooled(&residuals).map_err(err)?;
    let jumps = detect_jumps(r, steps_per_year, threshold).map_err(err)?;
    Ok(Models {
        student_t,
        pooled_t,
        garch,
        garch_residual_t,
        jumps,
    })
}

/// `x` rounded to `d` significant digits, for printing.
fn sig(x: f64, d: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(d - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn dof_text(f: &StudentTFit) -> String {
    if f.at_upper_bound {
        format!(
            ">= {} (no fat tails)",
            crunch_calibrate::student_t::DOF_RANGE.1
        )
    } else {
        match f.dof_standard_error {
            Some(se) => format!("{:.2} (se {:.2})", f.dof, se),
            None => format!("{:.2}", f.dof),
        }
    }
}

fn summary(e: &Estimates, args: &CalibrateArgs) -> String {
    let mut s = String::new();
    let w = &e.window;
    let n = w.returns[0].len();
    let p = e.steps_per_year;
    let _ = writeln!(
        s,
        "calibration of {}: {} assets, {} .. {}, {n} log-returns, {p} steps per year{}",
        e.file.display(),
        e.symbols.len(),
        w.first(),
        w.last(),
        if args.steps_per_year.is_some() {
            " (given)"
        } else {
            " (from the dates)"
        }
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<10} {:>12} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "asset",
        "last close",
        "sigma",
        "mu",
        "t dof",
        "alpha",
        "beta",
        "a+b",
        "jumps/yr",
        "jump mean"
    );
    for (i, sym) in e.symbols.iter().enumerate() {
        let close = *w.table.closes[i].last().expect("closes");
        let _ = write!(
            s,
            "{:<10} {:>12} {:>9.4} {:>9.4}",
            sym,
            sig(close, 8),
            e.stats.volatility[i],
            e.stats.drift[i]
        );
        match &e.models {
            Ok(m) => {
                let t = &m.student_t[i];
                let dof = if t.at_upper_bound {
                    ">=1000".to_owned()
                } else {
                    format!("{:.2}", t.dof)
                };
                let g = &m.garch[i];
                let j = &m.jumps.assets[i];
                let _ = writeln!(
                    s,
                    " {:>8} {:>8.4} {:>8.4} {:>8.4} {:>9.2} {:>9.4}",
                    dof,
                    g.alpha,
                    g.beta,
                    g.persistence(),
                    j.intensity,
                    j.mean
                );
            }
            Err(_) => {
                let _ = writeln!(s);
            }
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "mean annualised volatility {:.4}; mean pairwise correlation {}",
        e.stats.mean_volatility,
        e.stats
            .mean_pairwise_correlation
            .map_or("- (one asset)".to_owned(), |c| format!("{c:.4}"))
    );
    match &e.models {
        Ok(m) => {
            let _ = writeln!(
                s,
                "Student-t degrees of freedom, pooled: {}",
                dof_text(&m.pooled_t)
            );
            let _ = writeln!(
                s,
                "Student-t degrees of freedom of the GARCH residuals, pooled: {}",
                dof_text(&m.garch_residual_t)
            );
            let _ = writeln!(
                s,
                "jumps at {} conditional sd: {} own jumps in all{}",
                m.jumps.threshold,
                m.jumps.assets.iter().map(|a| a.steps.len()).sum::<usize>(),
                match &m.jumps.common {
                    Some(c) => format!(
                        "; {} common jumps (>= {} assets on one day): {:.2} per year, mean {:.4}, sd {:.4}",
                        c.steps.len(),
                        c.min_assets,
                        c.intensity,
                        c.mean,
                        c.sd
                    ),
                    None => String::new(),
                }
            );
        }
        Err(why) => {
            let _ = writeln!(s, "Student-t, GARCH and jumps not estimated: {why}");
        }
    }
    if let Some((sw, c)) = &e.stress {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "stress window {} .. {} ({} log-returns): mean annualised volatility {:.4}, mean \
             pairwise correlation {}",
            sw.first(),
            sw.last(),
            sw.returns[0].len(),
            c.stress.mean_volatility,
            c.stress
                .mean_pairwise_correlation
                .map_or("-".to_owned(), |c| format!("{c:.4}"))
        );
        let _ = writeln!(
            s,
            "volatility ratio (mean stress volatility / mean calm volatility) {:.4}",
            c.volatility_ratio
        );
    }
    let _ = writeln!(s);
    s
}

/// A GARCH parameter below 1e-8 is at its boundary 0 (the optimiser approaches it
/// without reaching it).
fn at_boundary(x: f64) -> f64 {
    if x < 1e-8 { 0.0 } else { x }
}

/// Formats a float for TOML with `d` significant digits (always with a decimal point).
fn num(x: f64, d: i32) -> String {
    let v = sig(x, d);
    if v != 0.0 && v.abs() < 1e-4 {
        return format!("{v:e}");
    }
    let t = format!("{v}");
    if t.contains('.') || t.contains('e') || t.contains("inf") || t.contains("NaN") {
        t
    } else {
        format!("{t}.0")
    }
}

fn snippet(e: &Estimates, args: &CalibrateArgs) -> String {
    let mut s = String::new();
    let w = &e.window;
    let src = args.source.as_str();
    // A line that is active for the chosen source and a comment otherwise.
    let line = |s: &mut String, for_source: &str, text: &str| {
        let hash = if for_source == src { "" } else { "# " };
        let _ = writeln!(s, "{hash}{text}");
    };
    let _ = writeln!(
        s,
        "# ---- scenario snippet (paste into a scenario file) ----"
    );
    let _ = writeln!(s, "# {}", command_line(args));
    let _ = writeln!(
        s,
        "# calibrated on {} .. {} ({} log-returns, {} steps per year)",
        w.first(),
        w.last(),
        w.returns[0].len(),
        e.steps_per_year
    );
    let _ = writeln!(
        s,
        "dt = {}  # 1 / {}",
        1.0 / e.steps_per_year,
        e.steps_per_year
    );
    for (i, sym) in e.symbols.iter().enumerate() {
        let close = *w.table.closes[i].last().expect("closes");
        let _ = writeln!(s);
        let _ = writeln!(s, "[[assets]]");
        let _ = writeln!(s, "symbol = \"{sym}\"");
        let _ = writeln!(s, "price = {}  # last close, {}", num(close, 10), w.last());
        let _ = writeln!(s, "sigma = {}", num(e.stats.volatility[i], 4));
        let _ = writeln!(s, "mu = {}", num(e.stats.drift[i], 4));
    }
    if let Some(n) = args.numeraire() {
        let _ = writeln!(s);
        let _ = writeln!(s, "[[assets]]  # the debt asset: stable, price 1");
        let _ = writeln!(s, "symbol = \"{n}\"");
        let _ = writeln!(s, "price = 1.0");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "[market]");
    let _ = writeln!(s, "source = \"{src}\"");
    if e.symbols.len() > 1 {
        let _ = writeln!(
            s,
            "# mean pairwise correlation {:.4}; one row and column per asset, in asset order",
            e.stats.mean_pairwise_correlation.unwrap_or(f64::NAN)
        );
        let _ = writeln!(s, "correlation = [");
        let a = e.symbols.len();
        let extra = usize::from(args.numeraire().is_some());
        for i in 0..a + extra {
            let cells: Vec<String> = (0..a + extra)
                .map(|j| match (e.stats.correlation.get(i), i == j) {
                    (_, true) => "1.0".to_owned(),
                    (Some(row), false) if j < a => format!("{:.4}", row[j]),
                    _ => "0.0".to_owned(),
                })
                .collect();
            let _ = writeln!(s, "  [{}],", cells.join(", "));
        }
        let _ = writeln!(s, "]");
    }
    match &e.models {
        Err(why) => {
            let _ = writeln!(s, "# Student-t, GARCH and jump keys not estimated: {why}");
        }
        Ok(m) => {
            let _ = writeln!(
                s,
                "# Student-t degrees of freedom (pooled ML): {}",
                dof_text(&m.pooled_t)
            );
            if !m.pooled_t.at_upper_bound {
                line(
                    &mut s,
                    "student-t",
                    &format!("dof = {}", num(m.pooled_t.dof, 4)),
                );
            }
            if src == "garch" && !m.garch_residual_t.at_upper_bound {
                let _ = writeln!(
                    s,
                    "# innovations of the garch source: Student-t dof of the GARCH residuals \
                     (pooled ML; remove for normal innovations)"
                );
                line(
                    &mut s,
                    "garch",
                    &format!("dof = {}", num(m.garch_residual_t.dof, 4)),
                );
            }
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "# GARCH(1,1) per asset (Gaussian QML); omega left to variance targeting on sigma"
            );
            line(&mut s, "garch", "[market.garch]");
            for (sym, g) in e.symbols.iter().zip(&m.garch) {
                line(
                    &mut s,
                    "garch",
                    &format!(
                        "{sym} = {{ alpha = {}, beta = {} }}  # persistence {:.4}, half-life {:.1} steps",
                        num(at_boundary(g.alpha), 4),
                        num(at_boundary(g.beta), 4),
                        g.persistence(),
                        g.half_life()
                    ),
                );
            }
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "# jumps beyond {} GARCH sd: intensity per year, log-jump mean and sd",
                m.jumps.threshold
            );
            line(&mut s, "jump", "[market.jumps]");
            for (sym, j) in e.symbols.iter().zip(&m.jumps.assets) {
                if j.steps.is_empty() {
                    let _ = writeln!(s, "# {sym}: no jumps of its own");
                    continue;
                }
                line(
                    &mut s,
                    "jump",
                    &format!(
                        "{sym} = {{ intensity = {}, mean = {}, sd = {} }}  # {} jump(s)",
                        num(j.intensity, 4),
                        num(j.mean, 4),
                        num(j.sd, 4),
                        j.steps.len()
                    ),
                );
            }
            if let Some(c) = m.jumps.common.as_ref().filter(|c| !c.steps.is_empty()) {
                let _ = writeln!(s);
                let _ = writeln!(
                    s,
                    "# common jumps: days on which >= {} assets jump ({} days)",
                    c.min_assets,
                    c.steps.len()
                );
                line(&mut s, "jump", "[market.common_jump]");
                line(
                    &mut s,
                    "jump",
                    &format!("intensity = {}", num(c.intensity, 4)),
                );
                line(&mut s, "jump", &format!("mean = {}", num(c.mean, 4)));
                line(&mut s, "jump", &format!("sd = {}", num(c.sd, 4)));
            }
        }
    }
    if let Some((sw, c)) = &e.stress {
        let len = sw.returns[0].len();
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "# crunch: the stress window {} .. {} ({len} returns) against the calibration window",
            sw.first(),
            sw.last()
        );
        let _ = writeln!(
            s,
            "# place it in the path: end - start + 1 = {len} steps; steps must be >= end"
        );
        let target = c.stress.mean_pairwise_correlation;
        let below = match (target, c.calm.mean_pairwise_correlation) {
            (Some(t), Some(b)) => t < b,
            _ => false,
        };
        let hash = if below { "# " } else { "" };
        if below {
            let _ = writeln!(
                s,
                "# (not a crunch: the stress correlation is below the calm one, which a crunch \
                 cannot lower)"
            );
        }
        let _ = writeln!(s, "{hash}[market.crunch]");
        let _ = writeln!(s, "{hash}start = 1");
        let _ = writeln!(s, "{hash}end = {len}");
        let _ = writeln!(s, "{hash}ramp_in = 0");
        let _ = writeln!(s, "{hash}ramp_out = 0");
        if let Some(t) = target {
            let _ = writeln!(s, "{hash}target_correlation = {}", num(t, 4));
        }
        let _ = writeln!(s, "{hash}vol_multiplier = {}", num(c.volatility_ratio, 4));
        let _ = writeln!(
            s,
            "# depth_divisor = 1.0  # liquidity is not in closing prices: set it from order-book data"
        );
    }
    s
}

/// The command line that reproduces this output (for the snippet's first comment).
fn command_line(args: &CalibrateArgs) -> String {
    let mut c = format!("crunch calibrate {}", args.data.display());
    if let Some(d) = args.from {
        let _ = write!(c, " --from {d}");
    }
    if let Some(d) = args.to {
        let _ = write!(c, " --to {d}");
    }
    if !args.columns.is_empty() {
        let _ = write!(c, " --columns {}", args.columns.join(","));
    }
    if let Some((a, b)) = args.stress {
        let _ = write!(c, " --stress {a}..{b}");
    }
    if let Some(p) = args.steps_per_year {
        let _ = write!(c, " --steps-per-year {p}");
    }
    if args.jump_threshold != 4.0 {
        let _ = write!(c, " --jump-threshold {}", args.jump_threshold);
    }
    if args.source != "gbm" {
        let _ = write!(c, " --source {}", args.source);
    }
    if args.numeraire != "USDC" {
        let _ = write!(c, " --numeraire {}", args.numeraire);
    }
    c
}

fn per_symbol(symbols: &[String], values: impl IntoIterator<Item = Value>) -> Value {
    Value::Object(symbols.iter().cloned().zip(values).collect())
}

fn window_json(symbols: &[String], w: &Window, st: &WindowStats) -> Value {
    json!({
        "from": w.first().to_string(),
        "to": w.last().to_string(),
        "returns": st.returns,
        "assets": symbols,
        "annualised_volatility": per_symbol(symbols, st.volatility.iter().map(|&v| json!(v))),
        "annualised_drift": per_symbol(symbols, st.drift.iter().map(|&v| json!(v))),
        "mean_annualised_volatility": st.mean_volatility,
        "correlation": st.correlation,
        "mean_pairwise_correlation": st.mean_pairwise_correlation,
    })
}

fn t_json(f: &StudentTFit) -> Value {
    json!({
        "dof": f.dof,
        "dof_standard_error": f.dof_standard_error,
        "at_upper_bound": f.at_upper_bound,
    })
}

fn to_json(e: &Estimates, args: &CalibrateArgs) -> Value {
    let sy = &e.symbols;
    let mut o = window_json(sy, &e.window, &e.stats);
    let obj = o.as_object_mut().expect("an object");
    obj.insert("file".into(), json!(e.file.display().to_string()));
    obj.insert("steps_per_year".into(), json!(e.steps_per_year));
    obj.insert(
        "last_close".into(),
        per_symbol(
            sy,
            e.window
                .table
                .closes
                .iter()
                .map(|c| json!(c.last().copied())),
        ),
    );
    match &e.models {
        Ok(m) => {
            obj.insert(
                "student_t".into(),
                json!({
                    "pooled": t_json(&m.pooled_t),
                    "garch_residuals_pooled": t_json(&m.garch_residual_t),
                    "per_asset": per_symbol(sy, m.student_t.iter().map(t_json)),
                }),
            );
            obj.insert(
                "garch".into(),
                per_symbol(
                    sy,
                    m.garch.iter().map(|g| {
                        json!({
                            "omega": g.omega,
                            "alpha": g.alpha,
                            "beta": g.beta,
                            "persistence": g.persistence(),
                            "half_life_steps": g.half_life(),
                            "unconditional_annualised_volatility":
                                (g.unconditional_variance() * e.steps_per_year).sqrt(),
                            "standard_errors": g.standard_errors.map(|s| json!({
                                "omega": s[0], "alpha": s[1], "beta": s[2]
                            })),
                            "log_likelihood": g.log_likelihood,
                        })
                    }),
                ),
            );
            let dates = &e.window.table.dates;
            // Return t is from dates[t] to dates[t + 1]: it is dated dates[t + 1].
            let day = |t: usize| dates[t + 1].to_string();
            obj.insert(
                "jumps".into(),
                json!({
                    "threshold": m.jumps.threshold,
                    "per_asset": per_symbol(sy, m.jumps.assets.iter().map(|j| json!({
                        "count": j.steps.len(),
                        "intensity": j.intensity,
                        "mean": j.mean,
                        "sd": j.sd,
                        "dates": j.steps.iter().map(|&t| day(t)).collect::<Vec<_>>(),
                    }))),
                    "common": m.jumps.common.as_ref().map(|c| json!({
                        "min_assets": c.min_assets,
                        "count": c.steps.len(),
                        "intensity": c.intensity,
                        "mean": c.mean,
                        "sd": c.sd,
                        "dates": c.steps.iter().map(|&t| day(t)).collect::<Vec<_>>(),
                    })),
                }),
            );
        }
        Err(why) => {
            obj.insert("models_not_estimated".into(), json!(why));
        }
    }
    if let Some((w, c)) = &e.stress {
        let mut st = window_json(sy, w, &c.stress);
        st.as_object_mut()
            .expect("an object")
            .insert("volatility_ratio".into(), json!(c.volatility_ratio));
        obj.insert("stress".into(), st);
    }
    obj.insert("command".into(), json!(command_line(args)));
    o
}
