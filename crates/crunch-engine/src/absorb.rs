//! Compound v3's liquidation (`[protocol] rules = "compound-v3"`): absorption of whole
//! accounts by the protocol and sales of the absorbed collateral from its store front
//! (Compound III documentation, "Liquidation"; `Comet.sol`: `absorb`, `buyCollateral`).
//!
//! - **Absorb.** A liquidatable account (its health at the liquidate collateral factors
//!   `lt` below 1) is absorbed at the step, unless liquidators are out: every unit of its
//!   collateral goes to the protocol's inventory and its debt `D` is extinguished. It is
//!   credited `c = LF * V_o` (`V_o` its collateral at the protocol's prices, `LF` the
//!   liquidation factor); a credit above the debt is paid back to it. The protocol's
//!   reserves fall by `max(D, c)`. In the summary the debt repaid is `min(D, V_o)` (what
//!   the collateral covers), the seized collateral `V_o`, and the penalty the borrower
//!   pays `max(0, V_o - max(D, c))`. The debt its collateral does not cover at the
//!   market, `max(0, D_m - V_m)`, is bad debt realised at the step (the protocol's loss
//!   before it sells).
//! - **Store front.** While reserves are below their target, buyers may buy each asset of
//!   the inventory at `o (1 - delta)`, `delta = store_front_factor * (1 - LF)`, and sell it
//!   at the market with `lending-v1`'s slippage `s = min(1, impact sqrt((Q + S) / depth))`.
//!   They buy as long as their margin is positive, `s < 1 - (1 - delta) o / p` (the
//!   liquidation gate's rule with the store-front discount for the bonus): the largest
//!   such sale of the asset's inventory at the step, at most what the liquidators'
//!   capacity allows. Reserves rise by the price paid. What is sold counts toward the
//!   asset's seized value `Q` (price feedback, rule 6). Gas is not charged here.

use crunch_core::{Comet, LiquidationEvent, PathSummary, StepAggregate};

use crate::owed;

/// The protocol's side of Compound v3 on one path: absorbed collateral and reserves.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    comet: Comet,
    /// Quantity of each asset absorbed and not yet sold.
    inventory: Vec<f64>,
    /// Reserves (USD at the protocol's prices).
    reserves: f64,
}

/// What an absorption at one step touches.
pub(crate) struct Absorption<'s> {
    pub(crate) n: usize,
    pub(crate) step: u32,
    /// The protocol's prices.
    pub(crate) o: &'s [f64],
    /// The market's prices.
    pub(crate) p: &'s [f64],
    pub(crate) debt: &'s mut [f64],
    pub(crate) owed: &'s mut [f64],
    pub(crate) coll: &'s mut [f64],
    pub(crate) liquidated: &'s mut [bool],
    pub(crate) realised: &'s mut [bool],
    pub(crate) first_liquidatable: &'s [u32],
    pub(crate) time_to_liquidate: &'s mut f64,
    pub(crate) summary: &'s mut PathSummary,
    pub(crate) totals: &'s mut StepAggregate,
    pub(crate) events: Option<&'s mut Vec<LiquidationEvent>>,
}

/// One asset's store front at one step: its gate and what was sold on it already.
pub(crate) struct Sale {
    /// Effective depth (USD) and impact of the asset's gate; `None`: no gate.
    pub(crate) gate: Option<(f64, f64)>,
    /// `Q`: market value of the asset sold at this step so far.
    pub(crate) sold: f64,
}

impl Store {
    /// An empty inventory over `assets` assets with the reserves of `comet`.
    pub(crate) fn new(comet: Comet, assets: usize) -> Self {
        Self {
            comet,
            inventory: vec![0.0; assets],
            reserves: comet.reserves,
        }
    }

    /// Absorbs account `j` (liquidatable, holding collateral).
    pub(crate) fn absorb(&mut self, j: usize, x: &mut Absorption<'_>) {
        let (n, a) = (x.n, x.o.len());
        let held = |i: usize, prices: &[f64]| x.coll[i * n + j] * prices[i];
        let v_o: f64 = (0..a).map(|i| held(i, x.o)).sum();
        let v_m: f64 = (0..a).map(|i| held(i, x.p)).sum();
        // The asset of the largest holding names the event (ties to the lowest index).
        let asset = (0..a).fold(0, |k, i| if held(i, x.o) > held(k, x.o) { i } else { k });
        let d = x.debt[j];
        let d_m = owed::at_market(x.debt, x.owed, j, x.p);
        let credit = self.comet.liquidation_factor * v_o;
        for i in 0..a {
            self.inventory[i] += x.coll[i * n + j];
            x.coll[i * n + j] = 0.0;
        }
        if !x.owed.is_empty() {
            owed::repay(x.owed, n, j, d, 0.0);
        }
        x.debt[j] = 0.0;
        self.reserves -= d.max(credit);
        let lost = (d_m - v_m).max(0.0);
        if lost > 0.0 {
            x.totals.bad_debt_realised += lost;
            x.realised[j] = true;
        }
        if !x.liquidated[j] {
            x.liquidated[j] = true;
            x.summary.liquidated_accounts += 1;
            *x.time_to_liquidate += f64::from(x.step - x.first_liquidatable[j]);
        }
        let s = &mut *x.summary;
        s.liquidations += 1;
        let repaid = d.min(v_o);
        s.repaid_debt += repaid;
        s.seized_collateral += v_o;
        s.liquidation_penalty += (v_o - d.max(credit)).max(0.0);
        s.oracle_gap += v_o - v_m;
        x.totals.liquidations += 1;
        x.totals.repaid_debt += repaid;
        x.totals.seized_collateral += v_o;
        if let Some(events) = x.events.as_deref_mut() {
            events.push(LiquidationEvent {
                step: x.step,
                account: j as u32,
                asset: asset as u32,
                repaid,
                seized: v_o,
                slippage: 0.0,
                full_seizure: true,
            });
        }
    }

    /// The store front of asset `i` at one step, if reserves are below target: sells the
    /// largest part of the inventory buyers take (module documentation) and returns the
    /// market value sold. `capacity` is the liquidators' capacity left (USD).
    pub(crate) fn sell(
        &mut self,
        i: usize,
        o: f64,
        p: f64,
        sale: &mut Sale,
        capacity: &mut f64,
        summary: &mut PathSummary,
    ) -> f64 {
        let q = self.inventory[i];
        if q == 0.0 || self.reserves >= self.comet.target_reserves {
            return 0.0;
        }
        let discount = self.comet.discount();
        // The buyer's margin per unit of market value is (1 - s) - (1 - delta) o / p.
        let edge = 1.0 - (1.0 - discount) * o / p;
        let slippage = |value: f64| match sale.gate {
            Some((depth, impact)) => (impact * ((sale.sold + value) / depth).sqrt()).min(1.0),
            None => 0.0,
        };
        let mut value = (q * p).min(*capacity);
        if let Some((depth, impact)) = sale.gate {
            // s < edge <=> Q + S < depth (edge / impact)^2; a hair below the bound keeps
            // rounding on the admitted side.
            let room = depth * (edge / impact).powi(2) * (1.0 - 1e-12) - sale.sold;
            value = value.min(room);
        }
        if value <= 0.0 || slippage(value) >= edge {
            return 0.0;
        }
        let s = slippage(value);
        let sold = if value == q * p { q } else { value / p };
        let paid = sold * o * (1.0 - discount);
        self.inventory[i] = if sold == q { 0.0 } else { q - sold };
        self.reserves += paid;
        *capacity -= value;
        sale.sold += value;
        summary.slippage_cost += value * s;
        summary.liquidator_profit += value * (1.0 - s) - paid;
        value
    }
}
