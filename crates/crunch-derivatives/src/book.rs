//! A derivatives position book: linear perpetual futures and European options per
//! account, with collateral in a numeraire, valued at a market state.
//!
//! **Valuation.** At a [`MarketState`] (price `P_i` and implied volatility `sigma_i` of
//! each asset, a rate `r` and the time `t` in years) a position of signed size `q` on
//! asset `i` is worth, in numeraire units:
//!
//! ```text
//! perpetual:  value = q (P_i - entry_price)                 (its unrealised P&L)
//! option:     value = q V(P_i, K, expiry - t, sigma_i, r)   (V: Black-76, the price taken
//!                                                            as the forward of the expiry)
//! ```
//!
//! and an account's equity (net liquidation value) is `collateral + sum of values`. The
//! P&L of a position is its value less what it cost: for a perpetual its value, for an
//! option `q (V - premium)` (the premium paid or received per unit at entry, which is
//! already in the collateral). Using the asset price as the option's forward is Black-76
//! on a futures-style underlying, as crypto options on perpetual or futures prices are
//! quoted; an underlying with carry would need its own forward curve.
//!
//! **Funding.** A perpetual may carry a funding rate per step, `f`: each call of
//! [`Account::apply_funding`] moves `-q P_i f` into the collateral (longs pay shorts when
//! `f > 0`, as on perpetual swap exchanges), and into the position's isolated margin
//! when it has one.
//!
//! **Expiry.** An option is valued only up to its expiry. At or after it,
//! [`Account::settle_expired`] settles it: the position is removed and its intrinsic value
//! at the settlement price, `q max(P_i - K, 0)` (call) or `q max(K - P_i, 0)` (put), is paid
//! into the collateral (negative for a short in the money), as crypto exchanges
//! cash-settle European options at expiry against the underlying's index price (Deribit's
//! options, for one). Valuing an option past its expiry without
//! settling it is refused ([`DerivError::Expired`]): its value is fixed by the price at
//! expiry, not by a later one.

use crate::black76::{Black76, Greeks, OptionKind};
use crate::error::{DerivError, check};

/// Prices, implied volatilities, rate and time at which a book is valued.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketState {
    prices: Vec<f64>,
    vols: Vec<f64>,
    rate: f64,
    time: f64,
}

impl MarketState {
    /// Validates a market state: one price (finite, `> 0`) and one volatility (finite,
    /// `>= 0`, annualised) per asset, a finite continuously compounded `rate` and a finite
    /// `time` in years (the clock options' expiries are measured on).
    pub fn new(prices: Vec<f64>, vols: Vec<f64>, rate: f64, time: f64) -> Result<Self, DerivError> {
        if prices.len() != vols.len() {
            return Err(DerivError::Shape {
                what: "market prices against volatilities",
                left: prices.len(),
                right: vols.len(),
            });
        }
        for (i, (&p, &s)) in prices.iter().zip(&vols).enumerate() {
            check(
                || format!("prices[{i}]"),
                p,
                p.is_finite() && p > 0.0,
                "must be finite and > 0",
            )?;
            check(
                || format!("vols[{i}]"),
                s,
                s.is_finite() && s >= 0.0,
                "must be finite and >= 0",
            )?;
        }
        check(|| "rate".into(), rate, rate.is_finite(), "must be finite")?;
        check(|| "time".into(), time, time.is_finite(), "must be finite")?;
        Ok(Self {
            prices,
            vols,
            rate,
            time,
        })
    }

    /// Number of assets.
    pub fn assets(&self) -> usize {
        self.prices.len()
    }

    /// Price of each asset.
    pub fn prices(&self) -> &[f64] {
        &self.prices
    }

    /// Implied volatility of each asset.
    pub fn vols(&self) -> &[f64] {
        &self.vols
    }

    /// The continuously compounded rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The valuation time in years.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Becomes `base` with the price of every asset `i` replaced by `price(i)` (`> 0`),
    /// keeping its own buffers.
    pub(crate) fn move_from(&mut self, base: &MarketState, price: impl Fn(usize) -> f64) {
        self.prices.clear();
        self.prices.extend((0..base.prices.len()).map(price));
        self.vols.clone_from(&base.vols);
        self.rate = base.rate;
        self.time = base.time;
    }

    /// The same state with asset `asset`'s price multiplied by `1 + price_move` and its
    /// volatility shifted by `vol_move` (floored at 0). `price_move > -1` keeps the price
    /// positive; callers check it.
    pub(crate) fn shifted(&self, asset: usize, price_move: f64, vol_move: f64) -> Self {
        debug_assert!(price_move > -1.0);
        let mut s = self.clone();
        s.prices[asset] *= 1.0 + price_move;
        s.vols[asset] = (s.vols[asset] + vol_move).max(0.0);
        s
    }
}

/// What a position holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instrument {
    /// A linear perpetual future.
    Perp {
        /// Entry price (`> 0`).
        entry_price: f64,
        /// Funding rate per step paid by longs to shorts (negative: shorts pay), if any.
        funding_rate: Option<f64>,
    },
    /// A European option on the asset's price.
    Option {
        /// Call or put.
        kind: OptionKind,
        /// Strike (`> 0`).
        strike: f64,
        /// Expiry in years on the market's clock.
        expiry: f64,
        /// Premium per unit paid (long) or received (short) at entry (`>= 0`).
        premium: f64,
    },
}

/// One position of an account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Index of the underlying asset in the market state.
    pub asset: usize,
    /// Signed size in units of the underlying (`> 0` long, `< 0` short).
    pub size: f64,
    /// What is held.
    pub instrument: Instrument,
    /// Collateral set aside for this position under isolated margin (`>= 0`; part of the
    /// account's collateral, ignored by cross and portfolio margin).
    pub isolated_margin: f64,
}

impl Position {
    /// A perpetual of `size` units on `asset` entered at `entry_price`, without funding
    /// or isolated margin.
    pub fn perp(asset: usize, size: f64, entry_price: f64) -> Self {
        Self {
            asset,
            size,
            instrument: Instrument::Perp {
                entry_price,
                funding_rate: None,
            },
            isolated_margin: 0.0,
        }
    }

    /// A European option of `size` units on `asset`, bought (`size > 0`) or sold at
    /// `premium` per unit, without isolated margin.
    pub fn option(
        asset: usize,
        size: f64,
        kind: OptionKind,
        strike: f64,
        expiry: f64,
        premium: f64,
    ) -> Self {
        Self {
            asset,
            size,
            instrument: Instrument::Option {
                kind,
                strike,
                expiry,
                premium,
            },
            isolated_margin: 0.0,
        }
    }

    /// The same position with `margin` of collateral set aside for it.
    pub fn with_isolated_margin(self, margin: f64) -> Self {
        Self {
            isolated_margin: margin,
            ..self
        }
    }

    /// The same perpetual with a funding rate per step (no effect on an option).
    pub fn with_funding(mut self, rate: f64) -> Self {
        if let Instrument::Perp { funding_rate, .. } = &mut self.instrument {
            *funding_rate = Some(rate);
        }
        self
    }

    /// The Black-76 model of an option at `m` (`None` for a perpetual). The position and
    /// the market must have been checked together ([`Account::check_market`]).
    pub(crate) fn model(&self, m: &MarketState) -> Option<(Black76, OptionKind)> {
        match self.instrument {
            Instrument::Perp { .. } => None,
            Instrument::Option {
                kind,
                strike,
                expiry,
                ..
            } => Some((
                Black76::unchecked(
                    m.prices[self.asset],
                    strike,
                    expiry - m.time,
                    m.vols[self.asset],
                    m.rate,
                ),
                kind,
            )),
        }
    }

    /// Value of the position at a checked market state (module documentation).
    pub(crate) fn value(&self, m: &MarketState) -> f64 {
        match (self.instrument, self.model(m)) {
            (_, Some((b, kind))) => self.size * b.price(kind),
            (Instrument::Perp { entry_price, .. }, None) => {
                self.size * (m.prices[self.asset] - entry_price)
            }
            (Instrument::Option { .. }, None) => unreachable!("an option has a model"),
        }
    }

    /// P&L of the position since entry at a checked market state.
    pub(crate) fn pnl(&self, m: &MarketState) -> f64 {
        match self.instrument {
            Instrument::Perp { .. } => self.value(m),
            Instrument::Option { premium, .. } => self.value(m) - self.size * premium,
        }
    }

    /// Greeks of the whole position (the option's times `size`; a perpetual has delta
    /// `size` and nothing else) at a checked market state.
    pub(crate) fn greeks(&self, m: &MarketState) -> Greeks {
        match self.model(m) {
            Some((b, kind)) => {
                let g = b.greeks(kind);
                Greeks {
                    delta: self.size * g.delta,
                    gamma: self.size * g.gamma,
                    vega: self.size * g.vega,
                    theta: self.size * g.theta,
                }
            }
            None => Greeks {
                delta: self.size,
                gamma: 0.0,
                vega: 0.0,
                theta: 0.0,
            },
        }
    }
}

/// An account: collateral in the numeraire and its positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    id: String,
    collateral: f64,
    positions: Vec<Position>,
}

/// Equity and P&L of an account (or of a whole book) at one market state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountValue {
    /// Collateral plus the value of every position (net liquidation value).
    pub equity: f64,
    /// Sum of the positions' P&L since entry.
    pub pnl: f64,
}

impl Account {
    /// Validates an account: finite `collateral >= 0`; per position a finite non-zero
    /// size, a finite isolated margin `>= 0`, a perpetual's entry price `> 0` and finite
    /// funding rate, an option's strike `> 0`, finite expiry and premium `>= 0`; and
    /// isolated margins summing to at most the collateral.
    pub fn new(id: &str, collateral: f64, positions: Vec<Position>) -> Result<Self, DerivError> {
        let finite_pos = "must be finite and > 0";
        let finite_nonneg = "must be finite and >= 0";
        check(
            || format!("accounts[{id}].collateral"),
            collateral,
            collateral.is_finite() && collateral >= 0.0,
            finite_nonneg,
        )?;
        let mut isolated = 0.0;
        for (k, p) in positions.iter().enumerate() {
            let key = |field: &str| format!("accounts[{id}].positions[{k}].{field}");
            check(
                || key("size"),
                p.size,
                p.size.is_finite() && p.size != 0.0,
                "must be finite and non-zero",
            )?;
            check(
                || key("isolated_margin"),
                p.isolated_margin,
                p.isolated_margin.is_finite() && p.isolated_margin >= 0.0,
                finite_nonneg,
            )?;
            isolated += p.isolated_margin;
            match p.instrument {
                Instrument::Perp {
                    entry_price,
                    funding_rate,
                } => {
                    check(
                        || key("entry_price"),
                        entry_price,
                        entry_price.is_finite() && entry_price > 0.0,
                        finite_pos,
                    )?;
                    if let Some(f) = funding_rate {
                        check(|| key("funding_rate"), f, f.is_finite(), "must be finite")?;
                    }
                }
                Instrument::Option {
                    strike,
                    expiry,
                    premium,
                    ..
                } => {
                    check(
                        || key("strike"),
                        strike,
                        strike.is_finite() && strike > 0.0,
                        finite_pos,
                    )?;
                    check(
                        || key("expiry"),
                        expiry,
                        expiry.is_finite(),
                        "must be finite",
                    )?;
                    check(
                        || key("premium"),
                        premium,
                        premium.is_finite() && premium >= 0.0,
                        finite_nonneg,
                    )?;
                }
            }
        }
        check(
            || format!("accounts[{id}]: sum of isolated margins"),
            isolated,
            isolated <= collateral,
            "must not exceed the collateral",
        )?;
        Ok(Self {
            id: id.to_owned(),
            collateral,
            positions,
        })
    }

    /// The account's identifier.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Collateral in numeraire units (including isolated margins).
    pub fn collateral(&self) -> f64 {
        self.collateral
    }

    /// The positions.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// Checks that every position's asset exists in `m` and no option has expired at
    /// `m.time()`.
    pub fn check_market(&self, m: &MarketState) -> Result<(), DerivError> {
        self.check_assets(m)?;
        for (k, p) in self.positions.iter().enumerate() {
            if let Instrument::Option { expiry, .. } = p.instrument
                && expiry < m.time
            {
                return Err(DerivError::Expired {
                    position: format!("accounts[{}].positions[{k}]", self.id),
                    expiry,
                    time: m.time,
                });
            }
        }
        Ok(())
    }

    /// Settles every option whose expiry is at or before `m.time()` at `m`'s prices
    /// (module documentation): removes it and pays `q` times its intrinsic value into the
    /// collateral. Returns the total paid (negative when the account pays). The
    /// collateral may become negative.
    pub fn settle_expired(&mut self, m: &MarketState) -> Result<f64, DerivError> {
        self.check_assets(m)?;
        let mut total = 0.0;
        self.positions.retain(|p| match p.instrument {
            Instrument::Option {
                kind,
                strike,
                expiry,
                ..
            } if expiry <= m.time => {
                // sigma sqrt T = 0: Black-76 gives the intrinsic value (black76.rs).
                let intrinsic = Black76::unchecked(m.prices[p.asset], strike, 0.0, 0.0, m.rate);
                total += p.size * intrinsic.price(kind);
                false
            }
            _ => true,
        });
        self.collateral += total;
        Ok(total)
    }

    /// An account from parts already checked (a split of a checked account); the
    /// collateral may be negative.
    pub(crate) fn from_parts(id: String, collateral: f64, positions: Vec<Position>) -> Self {
        Self {
            id,
            collateral,
            positions,
        }
    }

    /// Sum of the positions' P&L since entry at a checked market state.
    pub(crate) fn pnl_at(&self, m: &MarketState) -> f64 {
        self.positions.iter().map(|p| p.pnl(m)).sum()
    }

    /// The collateral and the positions, for the simulation to change in place.
    pub(crate) fn parts_mut(&mut self) -> (&mut f64, &mut Vec<Position>) {
        (&mut self.collateral, &mut self.positions)
    }

    /// Checks that every position's asset exists in `m`.
    fn check_assets(&self, m: &MarketState) -> Result<(), DerivError> {
        for (k, p) in self.positions.iter().enumerate() {
            if p.asset >= m.assets() {
                return Err(DerivError::UnknownAsset {
                    position: format!("accounts[{}].positions[{k}]", self.id),
                    asset: p.asset,
                    assets: m.assets(),
                });
            }
        }
        Ok(())
    }

    /// Equity (net liquidation value) at a checked market state.
    pub(crate) fn equity_at(&self, m: &MarketState) -> f64 {
        self.collateral + self.positions.iter().map(|p| p.value(m)).sum::<f64>()
    }

    /// Equity and P&L at `m`.
    pub fn value(&self, m: &MarketState) -> Result<AccountValue, DerivError> {
        self.check_market(m)?;
        Ok(AccountValue {
            equity: self.equity_at(m),
            pnl: self.pnl_at(m),
        })
    }

    /// Pays one step of funding at `m`'s prices: each perpetual with a funding rate `f`
    /// receives `-q P f` into the collateral (and into its isolated margin, if it has
    /// one, floored at 0). Returns the account's total funding received (negative when
    /// paid). The collateral may become negative.
    pub fn apply_funding(&mut self, m: &MarketState) -> Result<f64, DerivError> {
        self.check_market(m)?;
        let mut total = 0.0;
        for p in &mut self.positions {
            if let Instrument::Perp {
                funding_rate: Some(f),
                ..
            } = p.instrument
            {
                let received = -p.size * m.prices[p.asset] * f;
                if p.isolated_margin > 0.0 {
                    p.isolated_margin = (p.isolated_margin + received).max(0.0);
                }
                total += received;
            }
        }
        self.collateral += total;
        Ok(total)
    }
}

/// The accounts of a derivatives book.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivBook {
    accounts: Vec<Account>,
}

impl DerivBook {
    /// A book of accounts with distinct identifiers.
    pub fn new(accounts: Vec<Account>) -> Result<Self, DerivError> {
        let mut ids: Vec<&str> = accounts.iter().map(Account::id).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(DerivError::DuplicateAccount(w[0].to_owned()));
        }
        Ok(Self { accounts })
    }

    /// The accounts in book order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Equity and P&L of each account at `m`, in book order.
    pub fn values(&self, m: &MarketState) -> Result<Vec<AccountValue>, DerivError> {
        self.accounts.iter().map(|a| a.value(m)).collect()
    }

    /// Settles the expired options of every account at `m` ([`Account::settle_expired`]);
    /// returns the total paid into collateral.
    pub fn settle_expired(&mut self, m: &MarketState) -> Result<f64, DerivError> {
        let mut total = 0.0;
        for a in &mut self.accounts {
            total += a.settle_expired(m)?;
        }
        Ok(total)
    }

    /// Equity and P&L of the whole book at `m` (sums over accounts).
    pub fn total(&self, m: &MarketState) -> Result<AccountValue, DerivError> {
        let mut t = AccountValue {
            equity: 0.0,
            pnl: 0.0,
        };
        for v in self.values(m)? {
            t.equity += v.equity;
            t.pnl += v.pnl;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptionKind::{Call, Put};

    // Black-76 with r = 0 from an independent evaluation (correctly rounded erfc):
    // call F = 100, K = 110, T = 0.25, sigma = 50 %; put F = 2000, K = 1800, T = 0.5,
    // sigma = 60 %.
    const CALL: f64 = 6.190_426_413_768_35;
    const PUT: f64 = 228.827_440_842_101_74;

    fn market() -> MarketState {
        MarketState::new(vec![100.0, 2_000.0], vec![0.5, 0.6], 0.0, 0.0).unwrap()
    }

    fn alice() -> Account {
        // Long 2 perps at 90 on asset 0, short one 110 call sold at 5.
        let positions = vec![
            Position::perp(0, 2.0, 90.0).with_funding(1e-4),
            Position::option(0, -1.0, Call, 110.0, 0.25, 5.0),
        ];
        Account::new("alice", 1_000.0, positions).unwrap()
    }

    #[test]
    fn account_value_and_pnl_by_hand() {
        let v = alice().value(&market()).unwrap();
        // Perp: 2 (100 - 90) = 20; call: -CALL. P&L of the call: -(CALL - 5).
        assert!((v.equity - (1_000.0 + 20.0 - CALL)).abs() < 1e-12);
        assert!((v.pnl - (20.0 + 5.0 - CALL)).abs() < 1e-12);
    }

    #[test]
    fn book_totals_are_sums_of_accounts() {
        let bob = Account::new(
            "bob",
            500.0,
            vec![
                Position::option(1, 0.5, Put, 1_800.0, 0.5, 200.0),
                Position::perp(1, -0.1, 2_100.0),
            ],
        )
        .unwrap();
        let book = DerivBook::new(vec![alice(), bob]).unwrap();
        let values = book.values(&market()).unwrap();
        // Bob: put 0.5 PUT, P&L 0.5 (PUT - 200); short perp -0.1 (2000 - 2100) = 10.
        assert!((values[1].equity - (500.0 + 0.5 * PUT + 10.0)).abs() < 1e-12);
        assert!((values[1].pnl - (0.5 * (PUT - 200.0) + 10.0)).abs() < 1e-12);
        let total = book.total(&market()).unwrap();
        assert_eq!(total.equity, values[0].equity + values[1].equity);
        assert_eq!(total.pnl, values[0].pnl + values[1].pnl);
    }

    #[test]
    fn funding_moves_collateral_from_longs_to_shorts() {
        let mut a = alice();
        // -q P f = -2 * 100 * 1e-4 = -0.02 (the long pays).
        let paid = a.apply_funding(&market()).unwrap();
        assert!((paid - -0.02).abs() < 1e-15);
        assert!((a.collateral() - 999.98).abs() < 1e-12);
        // A short with isolated margin receives into both.
        let mut s = Account::new(
            "s",
            100.0,
            vec![
                Position::perp(0, -1.0, 100.0)
                    .with_funding(1e-3)
                    .with_isolated_margin(10.0),
            ],
        )
        .unwrap();
        assert!((s.apply_funding(&market()).unwrap() - 0.1).abs() < 1e-15);
        assert!((s.positions()[0].isolated_margin - 10.1).abs() < 1e-12);
        assert!((s.collateral() - 100.1).abs() < 1e-12);
    }

    #[test]
    fn option_value_moves_with_time_to_expiry() {
        // At t = 0.25 the call expires: intrinsic value at F = 100 is 0; at t = 0.2 it is
        // worth less than at t = 0.
        let at = |t| MarketState::new(vec![100.0, 2_000.0], vec![0.5, 0.6], 0.0, t).unwrap();
        let a = alice();
        assert!((a.value(&at(0.25)).unwrap().equity - 1_020.0).abs() < 1e-12);
        assert!(a.value(&at(0.2)).unwrap().equity > a.value(&at(0.0)).unwrap().equity);
    }

    #[test]
    fn expired_options_settle_at_intrinsic_value() {
        // Alice's short 110 call expires at 0.25; at 0.3 with P = 125 it settles at
        // -1 * (125 - 110) = -15 into the collateral, and the perpetual stays. Before the
        // expiry nothing settles. Bob's long 0.5 put K = 1800 settles at 0.5 * (1800 - 1500).
        let at =
            |p0: f64, t: f64| MarketState::new(vec![p0, 1_500.0], vec![0.5, 0.6], 0.0, t).unwrap();
        let mut a = alice();
        assert_eq!(a.settle_expired(&at(125.0, 0.2)).unwrap(), 0.0);
        assert_eq!(a.positions().len(), 2);
        assert_eq!(a.settle_expired(&at(125.0, 0.3)).unwrap(), -15.0);
        assert_eq!(a.collateral(), 985.0);
        assert_eq!(
            a.positions(),
            &[Position::perp(0, 2.0, 90.0).with_funding(1e-4)]
        );
        // Now it can be valued at 0.3: 985 + 2 (125 - 90).
        assert_eq!(a.value(&at(125.0, 0.3)).unwrap().equity, 1_055.0);
        let bob = Account::new(
            "bob",
            0.0,
            vec![Position::option(1, 0.5, Put, 1_800.0, 0.5, 200.0)],
        )
        .unwrap();
        let mut book = DerivBook::new(vec![bob]).unwrap();
        assert_eq!(book.settle_expired(&at(100.0, 0.5)).unwrap(), 150.0);
        assert_eq!(book.accounts()[0].collateral(), 150.0);
    }

    #[test]
    fn bad_inputs_are_refused_with_their_place() {
        let err = |e: DerivError| e.to_string();
        assert_eq!(
            err(alice()
                .value(&MarketState::new(vec![100.0], vec![0.5], 0.0, 0.3).unwrap())
                .unwrap_err()),
            "accounts[alice].positions[1]: expired at 0.25 years, valued at time 0.3 years \
             (settle it first)"
        );
        let far = Account::new("far", 0.0, vec![Position::perp(2, 1.0, 1.0)]).unwrap();
        assert_eq!(
            err(far.value(&market()).unwrap_err()),
            "accounts[far].positions[0]: asset 2 does not exist (the market has 2 assets)"
        );
        assert_eq!(
            err(Account::new("z", 10.0, vec![Position::perp(0, 0.0, 1.0)]).unwrap_err()),
            "`accounts[z].positions[0].size` = 0: must be finite and non-zero"
        );
        assert_eq!(
            err(Account::new(
                "z",
                10.0,
                vec![Position::option(0, 1.0, Put, -1.0, 1.0, 0.0)]
            )
            .unwrap_err()),
            "`accounts[z].positions[0].strike` = -1: must be finite and > 0"
        );
        assert_eq!(
            err(Account::new(
                "z",
                10.0,
                vec![Position::perp(0, 1.0, 1.0).with_isolated_margin(11.0)]
            )
            .unwrap_err()),
            "`accounts[z]: sum of isolated margins` = 11: must not exceed the collateral"
        );
        assert_eq!(
            err(DerivBook::new(vec![alice(), alice()]).unwrap_err()),
            "account `alice` appears twice in the book"
        );
        assert_eq!(
            err(MarketState::new(vec![100.0, -1.0], vec![0.5, 0.6], 0.0, 0.0).unwrap_err()),
            "`prices[1]` = -1: must be finite and > 0"
        );
        assert_eq!(
            err(MarketState::new(vec![100.0], vec![0.5, 0.6], 0.0, 0.0).unwrap_err()),
            "market prices against volatilities: lengths differ (1 against 2)"
        );
    }
}
