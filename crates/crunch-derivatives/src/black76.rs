//! Black-76: European options on a forward or futures price.
//!
//! F. Black, *The pricing of commodity contracts*, J. Financial Economics 3, 1976; in the
//! notation of J. C. Hull, *Options, Futures, and Other Derivatives*, 8th ed., chapter
//! "Futures options", section "Black's model", with forward `F`, strike `K`, time to expiry `T` (years),
//! volatility `sigma` (annualised) and continuously compounded rate `r`, `D = exp(-r T)`:
//!
//! ```text
//! d1 = (ln(F/K) + sigma^2 T / 2) / (sigma sqrt T),   d2 = d1 - sigma sqrt T
//! call = D (F Phi(d1) - K Phi(d2)),   put = D (K Phi(-d2) - F Phi(-d1))
//! ```
//!
//! so that put–call parity `call - put = D (F - K)` holds exactly. Greeks are with
//! respect to `F` (Hull, chapter "The Greek letters"; differentiate the formulas above, using
//! `F phi(d1) = K phi(d2)`):
//!
//! ```text
//! delta_call = D Phi(d1),        delta_put = -D Phi(-d1)
//! gamma      = D phi(d1) / (F sigma sqrt T)                  (both)
//! vega       = D F phi(d1) sqrt T                            (both; per unit of sigma)
//! theta      = r V - D F phi(d1) sigma / (2 sqrt T)           (= -dV/dT; per year)
//! ```
//!
//! **Degenerate cases.** When `sigma sqrt T = 0` (expiry now, or zero volatility) the
//! price is the discounted intrinsic value `D max(F - K, 0)` (call) or `D max(K - F, 0)`
//! (put), and the Greeks are the limits of the formulas as `sigma sqrt T -> 0`: `Phi(d1)`
//! tends to 1, 1/2 or 0 as `F` is above, at or below `K`; gamma and vega are 0 away from
//! the strike, and at the strike gamma is `+inf` and vega `D F sqrt(T) / sqrt(2 pi)`;
//! theta is `r V`, except `-inf` at the strike when `T = 0 < sigma`.

use crate::error::{DerivError, check};
use crate::normal::{norm_cdf, norm_pdf};

/// A call or a put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// The right to buy at the strike: payoff `max(F - K, 0)`.
    Call,
    /// The right to sell at the strike: payoff `max(K - F, 0)`.
    Put,
}

/// The inputs of Black-76, validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Black76 {
    forward: f64,
    strike: f64,
    expiry: f64,
    vol: f64,
    rate: f64,
}

/// First-order sensitivities of an option's price (and gamma), per unit of the option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Greeks {
    /// `dV/dF`.
    pub delta: f64,
    /// `d^2V/dF^2`.
    pub gamma: f64,
    /// `dV/dsigma`, per unit of volatility (1.00 = 100 volatility points).
    pub vega: f64,
    /// `-dV/dT`: the change of value per year of time passing, everything else fixed.
    pub theta: f64,
}

impl Black76 {
    /// Validates the inputs: `forward > 0`, `strike > 0`, `expiry >= 0` (years),
    /// `vol >= 0`, all finite, and a finite `rate`.
    pub fn new(
        forward: f64,
        strike: f64,
        expiry: f64,
        vol: f64,
        rate: f64,
    ) -> Result<Self, DerivError> {
        let pos = "must be finite and > 0";
        let nonneg = "must be finite and >= 0";
        check(
            || "forward".into(),
            forward,
            forward.is_finite() && forward > 0.0,
            pos,
        )?;
        check(
            || "strike".into(),
            strike,
            strike.is_finite() && strike > 0.0,
            pos,
        )?;
        check(
            || "expiry".into(),
            expiry,
            expiry.is_finite() && expiry >= 0.0,
            nonneg,
        )?;
        check(|| "vol".into(), vol, vol.is_finite() && vol >= 0.0, nonneg)?;
        check(|| "rate".into(), rate, rate.is_finite(), "must be finite")?;
        Ok(Self {
            forward,
            strike,
            expiry,
            vol,
            rate,
        })
    }

    /// The inputs without validation, for callers that validated them already (a
    /// [`MarketState`](crate::MarketState) and a checked [`Account`](crate::Account)).
    pub(crate) fn unchecked(forward: f64, strike: f64, expiry: f64, vol: f64, rate: f64) -> Self {
        debug_assert!(Self::new(forward, strike, expiry, vol, rate).is_ok());
        Self {
            forward,
            strike,
            expiry,
            vol,
            rate,
        }
    }

    /// The discount factor `D = exp(-r T)`.
    pub fn discount(&self) -> f64 {
        (-self.rate * self.expiry).exp()
    }

    /// `sigma sqrt T`, and `d1` when it is positive.
    fn d1(&self) -> (f64, Option<f64>) {
        let v = self.vol * self.expiry.sqrt();
        let d1 = (v > 0.0).then(|| ((self.forward / self.strike).ln() + 0.5 * v * v) / v);
        (v, d1)
    }

    /// The price of one option of kind `kind`.
    pub fn price(&self, kind: OptionKind) -> f64 {
        let (f, k, disc) = (self.forward, self.strike, self.discount());
        match (self.d1(), kind) {
            ((v, Some(d1)), OptionKind::Call) => disc * (f * norm_cdf(d1) - k * norm_cdf(d1 - v)),
            ((v, Some(d1)), OptionKind::Put) => disc * (k * norm_cdf(v - d1) - f * norm_cdf(-d1)),
            ((_, None), OptionKind::Call) => disc * (f - k).max(0.0),
            ((_, None), OptionKind::Put) => disc * (k - f).max(0.0),
        }
    }

    /// Delta, gamma, vega and theta of one option of kind `kind` (module documentation).
    pub fn greeks(&self, kind: OptionKind) -> Greeks {
        let (f, k, disc, t) = (self.forward, self.strike, self.discount(), self.expiry);
        let value = self.price(kind);
        // (Phi(d1), Phi(-d1)), each computed directly for accuracy in the tails.
        let (n_d1, gamma, vega, decay) = match self.d1() {
            (v, Some(d1)) => {
                let pdf = norm_pdf(d1);
                (
                    (norm_cdf(d1), norm_cdf(-d1)),
                    disc * pdf / (f * v),
                    disc * f * pdf * t.sqrt(),
                    disc * f * pdf * self.vol / (2.0 * t.sqrt()),
                )
            }
            // Limits as sigma sqrt T -> 0 (module documentation).
            (_, None) if f == k => (
                (0.5, 0.5),
                f64::INFINITY,
                disc * f * t.sqrt() * norm_pdf(0.0),
                if t == 0.0 && self.vol > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                },
            ),
            (_, None) if f > k => ((1.0, 0.0), 0.0, 0.0, 0.0),
            (_, None) => ((0.0, 1.0), 0.0, 0.0, 0.0),
        };
        let delta = match kind {
            OptionKind::Call => disc * n_d1.0,
            OptionKind::Put => -disc * n_d1.1,
        };
        Greeks {
            delta,
            gamma,
            vega,
            theta: self.rate * value - decay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptionKind::{Call, Put};
    use proptest::prelude::*;

    fn b(f: f64, k: f64, t: f64, s: f64, r: f64) -> Black76 {
        Black76::new(f, k, t, s, r).unwrap()
    }

    #[test]
    fn hull_black_model_example() {
        // Hull's example of Black's model (futures options chapter): F = K = 20, r = 9 %, T = 4 months,
        // sigma = 25 %: d1 = 0.0722, d2 = -0.0722, put = 1.12. Reference values to full
        // precision from an independent evaluation with a correctly rounded erfc.
        let m = b(20.0, 20.0, 4.0 / 12.0, 0.25, 0.09);
        let put = m.price(Put);
        assert!((put - 1.116_641_456_558_943_8).abs() < 1e-13, "{put}");
        assert_eq!((put * 100.0).round() / 100.0, 1.12);
        // At the money forward, call = put (parity with F = K).
        assert!((m.price(Call) - put).abs() < 1e-14);
        let g = m.greeks(Put);
        assert!((g.delta - -0.457_306_730_360_280_5).abs() < 1e-14);
        assert!((g.gamma - 0.133_764_502_661_345_62).abs() < 1e-14);
        assert!((g.vega - 4.458_816_755_378_186).abs() < 1e-13);
        assert!((g.theta - -1.571_558_552_176_515_2).abs() < 1e-13);
    }

    #[test]
    fn out_of_the_money_call_and_in_the_money_put() {
        // F = 100, K = 110, T = 0.5, sigma = 30 %, r = 5 % (reference as above).
        let m = b(100.0, 110.0, 0.5, 0.3, 0.05);
        assert!((m.price(Call) - 4.628_512_462_618_081).abs() < 1e-12);
        assert!((m.price(Put) - 14.381_611_582_901_414).abs() < 1e-12);
        let (c, p) = (m.greeks(Call), m.greeks(Put));
        assert!((c.delta - 0.356_683_063_643_181_1).abs() < 1e-14);
        assert!((p.delta - -0.618_626_848_385_151_6).abs() < 1e-14);
        assert!((c.gamma - 0.017_292_785_189_897_172).abs() < 1e-15);
        assert_eq!(c.gamma, p.gamma);
        assert!((c.vega - 25.939_177_784_845_764).abs() < 1e-12);
        assert!((c.theta - -7.550_327_712_322_823).abs() < 1e-12);
        assert!((p.theta - -7.062_672_756_308_657).abs() < 1e-12);
    }

    /// `|C - P - D (F - K)|` relative to the size of the prices, `max(F, K)`.
    fn parity_gap(m: &Black76) -> f64 {
        let gap = m.price(Call) - m.price(Put) - m.discount() * (m.forward - m.strike);
        gap.abs() / m.forward.max(m.strike)
    }

    #[test]
    fn put_call_parity_on_a_grid() {
        for f in [1.0, 50.0, 95.0, 100.0, 105.0, 200.0, 3_000.0] {
            for k in [1.0, 90.0, 100.0, 110.0, 2_500.0] {
                for t in [0.0, 1.0 / 365.0, 0.25, 1.0, 5.0] {
                    for s in [0.0, 0.05, 0.3, 1.0, 2.5] {
                        for r in [-0.01, 0.0, 0.05] {
                            let m = b(f, k, t, s, r);
                            assert!(parity_gap(&m) <= 1e-12, "{m:?}");
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn put_call_parity_random(
            f in 0.01f64..1e5, k in 0.01f64..1e5, t in 0.0f64..10.0,
            s in 0.0f64..3.0, r in -0.05f64..0.2,
        ) {
            let m = b(f, k, t, s, r);
            prop_assert!(parity_gap(&m) <= 1e-12, "{:?}", m);
            // No-arbitrage bounds: D max(F - K, 0) <= C <= D F, D max(K - F, 0) <= P <= D K.
            let d = m.discount();
            let (c, p) = (m.price(Call), m.price(Put));
            let tol = 1e-12 * f.max(k);
            prop_assert!(c >= d * (f - k).max(0.0) - tol && c <= d * f + tol);
            prop_assert!(p >= d * (k - f).max(0.0) - tol && p <= d * k + tol);
        }
    }

    /// Checks `analytic = df/dx` at `x` by a central difference with step `h`.
    ///
    /// Error budget of `(f(x + h) - f(x - h)) / 2h`:
    /// - truncation: Taylor's theorem gives `f'(x) + f'''(xi) h^2 / 6`; `f'''` is
    ///   estimated by the second difference of the analytic derivative `g = f'`,
    ///   `(g(x + h) - 2 g(x) + g(x - h)) / h^2` (itself exact to `O(h^2)`), and doubled for
    ///   safety;
    /// - rounding: each value of `f` carries a relative error of a few ulp (say
    ///   `8 eps |f|`: a logarithm, two `Phi`, a handful of products), so the quotient
    ///   carries at most `2 * 8 eps max|f| / (2 h) = 8 eps max|f| / h`.
    ///
    /// With `h = 1e-3 x` both terms are orders of magnitude below the derivative, so a
    /// wrong sign, factor or missing term fails the check by far.
    fn assert_derivative(
        what: &str,
        analytic: f64,
        f: impl Fn(f64) -> f64,
        g: impl Fn(f64) -> f64,
        x: f64,
        h: f64,
    ) {
        let (fp, fm) = (f(x + h), f(x - h));
        let fd = (fp - fm) / (2.0 * h);
        let third = (g(x + h) - 2.0 * g(x) + g(x - h)) / (h * h);
        let truncation = 2.0 * third.abs() * h * h / 6.0;
        let rounding = 8.0 * f64::EPSILON * fp.abs().max(fm.abs()).max(f(x).abs()) / h;
        let tol = truncation + rounding + 1e-15;
        assert!(
            (fd - analytic).abs() <= tol,
            "{what}: analytic {analytic}, difference {fd}, tolerance {tol:e}"
        );
    }

    #[test]
    fn greeks_match_central_differences() {
        for (f, k, t, s, r) in [
            (100.0, 100.0, 1.0, 0.2, 0.03),
            (100.0, 80.0, 0.25, 0.5, 0.0),
            (100.0, 130.0, 2.0, 0.35, 0.05),
            (20.0, 20.0, 4.0 / 12.0, 0.25, 0.09),
            (3_000.0, 2_500.0, 7.0 / 365.0, 0.8, 0.01),
        ] {
            for kind in [Call, Put] {
                let at = |f2: f64, t2: f64, s2: f64| b(f2, k, t2, s2, r);
                let gk = at(f, t, s).greeks(kind);
                let name = |g: &str| format!("{g} of {kind:?} F={f} K={k} T={t} s={s}");
                let hf = 1e-3 * f;
                assert_derivative(
                    &name("delta"),
                    gk.delta,
                    |x| at(x, t, s).price(kind),
                    |x| at(x, t, s).greeks(kind).delta,
                    f,
                    hf,
                );
                // Gamma as the derivative of the analytic delta.
                assert_derivative(
                    &name("gamma"),
                    gk.gamma,
                    |x| at(x, t, s).greeks(kind).delta,
                    |x| at(x, t, s).greeks(kind).gamma,
                    f,
                    hf,
                );
                assert_derivative(
                    &name("vega"),
                    gk.vega,
                    |x| at(f, t, x).price(kind),
                    |x| at(f, t, x).greeks(kind).vega,
                    s,
                    1e-3 * s,
                );
                // theta = -dV/dT.
                assert_derivative(
                    &name("theta"),
                    -gk.theta,
                    |x| at(f, x, s).price(kind),
                    |x| -at(f, x, s).greeks(kind).theta,
                    t,
                    1e-3 * t,
                );
            }
        }
    }

    #[test]
    fn expired_and_zero_volatility_options_are_worth_intrinsic_value() {
        // T = 0: undiscounted intrinsic value.
        assert_eq!(b(110.0, 100.0, 0.0, 0.3, 0.05).price(Call), 10.0);
        assert_eq!(b(110.0, 100.0, 0.0, 0.3, 0.05).price(Put), 0.0);
        assert_eq!(b(90.0, 100.0, 0.0, 0.3, 0.05).price(Put), 10.0);
        // sigma = 0, T = 1, r = 5 %: D (F - K) = exp(-0.05) 10.
        let m = b(110.0, 100.0, 1.0, 0.0, 0.05);
        let d = (-0.05f64).exp();
        assert_eq!(m.price(Call), d * 10.0);
        assert_eq!(m.price(Put), 0.0);
        let g = m.greeks(Call);
        assert_eq!((g.delta, g.gamma, g.vega), (d, 0.0, 0.0));
        // theta = r V: only discounting is left.
        assert_eq!(g.theta, 0.05 * m.price(Call));
        assert_eq!(m.greeks(Put).delta, 0.0);
        // At the strike: delta -D/2 (put), infinite gamma, vega D F sqrt(T) / sqrt(2 pi).
        let atm = b(100.0, 100.0, 1.0, 0.0, 0.0).greeks(Put);
        assert_eq!(atm.delta, -0.5);
        assert_eq!(atm.gamma, f64::INFINITY);
        assert!((atm.vega - 100.0 * norm_pdf(0.0)).abs() < 1e-13);
        assert_eq!(
            b(100.0, 100.0, 0.0, 0.2, 0.0).greeks(Call).theta,
            f64::NEG_INFINITY
        );
        // The limits agree with a tiny sigma sqrt T.
        let near = b(110.0, 100.0, 1e-12, 0.3, 0.05);
        assert!((near.price(Call) - 10.0).abs() < 1e-9);
        assert!((near.greeks(Call).delta - 1.0).abs() < 1e-12);
    }

    #[test]
    fn invalid_inputs_are_refused_with_their_name() {
        let err = |r: Result<Black76, DerivError>| r.unwrap_err().to_string();
        assert_eq!(
            err(Black76::new(0.0, 100.0, 1.0, 0.2, 0.0)),
            "`forward` = 0: must be finite and > 0"
        );
        assert_eq!(
            err(Black76::new(100.0, -5.0, 1.0, 0.2, 0.0)),
            "`strike` = -5: must be finite and > 0"
        );
        assert_eq!(
            err(Black76::new(100.0, 100.0, -1.0, 0.2, 0.0)),
            "`expiry` = -1: must be finite and >= 0"
        );
        assert_eq!(
            err(Black76::new(100.0, 100.0, 1.0, f64::NAN, 0.0)),
            "`vol` = NaN: must be finite and >= 0"
        );
        assert_eq!(
            err(Black76::new(100.0, 100.0, 1.0, 0.2, f64::INFINITY)),
            "`rate` = inf: must be finite"
        );
    }
}
