//! Number formatting for tables and chart labels.

/// `1234567.8` → `1,234,568`; negative values get a minus sign; NaN → `n/a`.
pub(crate) fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let rounded = x.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A count with thousands separators: `997075` → `997,075`.
pub(crate) fn count(n: usize) -> String {
    usd(n as f64)
}

/// `0.1234` → `12.34 %`.
pub(crate) fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2} %", 100.0 * x)
    } else {
        "n/a".into()
    }
}

/// Compact USD for axis ticks: `0`, `950`, `12k`, `3.4M`, `1.2B`.
pub(crate) fn usd_short(x: f64) -> String {
    let a = x.abs();
    let (v, unit) = if a >= 1e9 {
        (x / 1e9, "B")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let s = if v.abs() >= 100.0 || v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    format!("{s}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(usd(1_234_567.8), "1,234,568");
        assert_eq!(usd(-1_000.0), "-1,000");
        assert_eq!(usd(12.0), "12");
        assert_eq!(usd(0.0), "0");
        assert_eq!(usd(f64::NAN), "n/a");
        assert_eq!(percent(0.4859), "48.59 %");
        assert_eq!(count(997_075), "997,075");
        assert_eq!(usd_short(0.0), "0");
        assert_eq!(usd_short(12_000.0), "12k");
        assert_eq!(usd_short(3_400_000.0), "3.4M");
        assert_eq!(usd_short(2.5e9), "2.5B");
        assert_eq!(usd_short(950.0), "950");
    }
}
