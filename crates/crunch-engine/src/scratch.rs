//! Per-worker buffers of the step loop, allocated once and reused across paths.

use crate::queue::Member;
use crate::reputation::Track;
use crate::screen::Screen;
use crate::start::Start;
use crunch_core::{Book, LiquidationTerms, OracleFeed, PricePath, Requirements};

/// Working state of one (policy, path) simulation in structure-of-arrays form.
#[derive(Debug, Clone)]
pub struct Scratch {
    /// `debt[j]`.
    pub(crate) debt: Vec<f64>,
    /// `coll[i * N + j]`: collateral quantity of asset `i` held by account `j`.
    pub(crate) coll: Vec<f64>,
    /// `owed[i * N + j]`: quantity of asset `i` owed by account `j` (empty unless the book
    /// has multi-asset debt; `debt[j]` is then its value at the protocol's prices).
    pub(crate) owed: Vec<f64>,
    /// Health-factor numerator `sum_i c[j][i] p[t][i] lt_i` of the current step (after
    /// the last step: the collateral value `V_j` of the terminal valuation).
    pub(crate) num: Vec<f64>,
    /// Health factor of the current step (valid where `debt > 0`).
    pub(crate) health: Vec<f64>,
    /// Accounts liquidatable at the current step, in account order.
    pub(crate) order: Vec<u32>,
    /// Liquidatable accounts of the current step by seized asset.
    pub(crate) members: Vec<Vec<Member>>,
    /// The sure accounts the pruned walk of one asset checked but has not tried yet, worst
    /// last (a new one usually goes near the worst: few move).
    pub(crate) pending: Vec<Member>,
    /// Accounts that may have lost all collateral at the current step.
    pub(crate) touched: Vec<u32>,
    /// Whether each account was liquidated at least once.
    pub(crate) liquidated: Vec<bool>,
    /// Whether each account realised bad debt.
    pub(crate) realised: Vec<bool>,
    /// `Q_k`: value of asset `k` seized at the current step.
    pub(crate) seized_value: Vec<f64>,
    /// Cumulative price-feedback multiplier of each asset.
    pub(crate) feedback: Vec<f64>,
    /// Feedback-adjusted prices (used only when price feedback is on).
    pub(crate) prices: PricePath,
    /// The policy's requirements in force.
    pub(crate) requirements: Requirements,
    /// The pruned scan's index of accounts by health bound.
    pub(crate) screen: Screen,
    /// The pruned scan's index at the first step of the last path, reused by the next
    /// path that starts from the same state.
    pub(crate) start: Start,
    /// Accounts liquidated at the current step.
    pub(crate) acted: Vec<u32>,
    /// The prices the protocol sees at the current step (the oracle's; the market's for
    /// assets without an oracle).
    pub(crate) oracle: Vec<f64>,
    /// Each asset's oracle feed (used only for assets with an oracle).
    pub(crate) feeds: Vec<OracleFeed>,
    /// First step `t >= 1` at which each account was liquidatable with collateral
    /// (`u32::MAX`: not yet).
    pub(crate) first_liquidatable: Vec<u32>,
    /// Whether gas ever kept each account from being liquidated.
    pub(crate) gas_blocked: Vec<bool>,
    /// Each liquidatable account's close factor and bonus at the current step under the
    /// scenario's rule-set (used only with a rule-set other than `lending-v1`).
    pub(crate) terms: Vec<LiquidationTerms>,
    /// Whether each account is in the scenario's e-mode category (decided on the book).
    pub(crate) emode: Vec<bool>,
    /// Scores, tiers and per-tier metrics (used only with `[reputation]`).
    pub(crate) reputation: Track,
    /// Transfers in flight between sub-accounts (used only by isolated `[chains]` runs).
    pub(crate) bridge: Vec<crate::chains::Transfer>,
}

impl Scratch {
    /// Buffers for a book of `book.len()` accounts and paths of `steps` steps.
    pub fn new(book: &Book, steps: usize) -> Self {
        let (n, a) = (book.len(), book.assets());
        Self {
            debt: vec![0.0; n],
            coll: vec![0.0; n * a],
            owed: if book.has_owed() {
                vec![0.0; n * a]
            } else {
                Vec::new()
            },
            num: vec![0.0; n],
            health: vec![0.0; n],
            order: Vec::new(),
            members: vec![Vec::new(); a],
            pending: Vec::new(),
            touched: Vec::new(),
            liquidated: vec![false; n],
            realised: vec![false; n],
            seized_value: vec![0.0; a],
            feedback: vec![1.0; a],
            prices: PricePath::new(steps, a),
            requirements: Requirements::zeroed(a),
            screen: Screen::new(n),
            start: Start::default(),
            acted: Vec::new(),
            oracle: vec![0.0; a],
            feeds: vec![OracleFeed::default(); a],
            first_liquidatable: vec![u32::MAX; n],
            gas_blocked: vec![false; n],
            terms: vec![
                LiquidationTerms {
                    close_factor: 0.0,
                    bonus: 0.0
                };
                n
            ],
            emode: vec![false; n],
            reputation: Track::default(),
            bridge: Vec::new(),
        }
    }

    /// Buffers the driver uses with `book` only, which its run borrows immutably from
    /// before the first path to after the last: the step-0 index kept from one path is
    /// reused by the next without comparing the book ([`Start::of_one_book`]).
    pub(crate) fn for_run(book: &Book, steps: usize) -> Self {
        Self {
            start: Start::of_one_book(),
            ..Self::new(book, steps)
        }
    }

    /// Debt `D_j` of every account, in account order, after the last step of the last
    /// path [`simulate_path`](crate::simulate_path) ran with these buffers (zeros before
    /// the first).
    pub fn debt(&self) -> &[f64] {
        &self.debt
    }

    /// Quantity of asset `asset` held by every account, in account order, after the last
    /// step of the last path simulated with these buffers (zeros before the first).
    /// Panics if `asset` is out of range.
    pub fn collateral(&self, asset: usize) -> &[f64] {
        let n = self.debt.len();
        &self.coll[asset * n..(asset + 1) * n]
    }

    /// Resets the account state to the initial book.
    pub(crate) fn reset(&mut self, book: &Book) {
        let n = book.len();
        self.debt.copy_from_slice(&book.debt);
        for (i, column) in book.collateral.iter().enumerate() {
            self.coll[i * n..(i + 1) * n].copy_from_slice(column);
        }
        for (i, column) in book.owed.iter().enumerate() {
            self.owed[i * n..(i + 1) * n].copy_from_slice(column);
        }
        self.liquidated.fill(false);
        self.realised.fill(false);
        self.feedback.fill(1.0);
        self.feeds.fill(OracleFeed::default());
        self.first_liquidatable.fill(u32::MAX);
        self.gas_blocked.fill(false);
    }
}
