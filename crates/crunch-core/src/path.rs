//! Price paths: a caller-owned `(T + 1) x A` buffer, and a read-only view that cannot see
//! the future.

/// One price path: prices `p[t][i]` for steps `t = 0..=T` and assets `i = 0..A`, stored
/// row-major (one row per step) so that a step's prices are contiguous, and a liquidity
/// factor `l[t][i]` per step and asset that scales the asset's depth (1 = the scenario's
/// depth; a crunch that divides depth by 4 writes 0.25). Sources that do not model
/// liquidity leave the factors at 1.
#[derive(Debug, Clone, PartialEq)]
pub struct PricePath {
    steps: usize,
    assets: usize,
    data: Vec<f64>,
    liquidity: Vec<f64>,
}

impl PricePath {
    /// A path of `steps` steps (so `steps + 1` rows) over `assets` assets, filled with zeros.
    pub fn new(steps: usize, assets: usize) -> Self {
        Self {
            steps,
            assets,
            data: vec![0.0; (steps + 1) * assets],
            liquidity: vec![1.0; (steps + 1) * assets],
        }
    }

    /// Number of steps `T` (the path has `T + 1` rows).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Number of assets `A`.
    pub fn assets(&self) -> usize {
        self.assets
    }

    /// Prices of step `t`, one per asset.
    pub fn row(&self, t: usize) -> &[f64] {
        &self.data[t * self.assets..(t + 1) * self.assets]
    }

    /// Mutable prices of step `t`.
    pub fn row_mut(&mut self, t: usize) -> &mut [f64] {
        &mut self.data[t * self.assets..(t + 1) * self.assets]
    }

    /// All prices, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Liquidity factors of step `t`, one per asset (effective depth = depth x factor).
    pub fn liquidity_row(&self, t: usize) -> &[f64] {
        &self.liquidity[t * self.assets..(t + 1) * self.assets]
    }

    /// Mutable liquidity factors of step `t`.
    pub fn liquidity_row_mut(&mut self, t: usize) -> &mut [f64] {
        &mut self.liquidity[t * self.assets..(t + 1) * self.assets]
    }

    /// The view of this path that a policy may read at step `t`: rows `0..=t` only.
    pub fn view_until(&self, t: usize) -> MarketView<'_> {
        let end = (t + 1) * self.assets;
        MarketView {
            assets: self.assets,
            rows: &self.data[..end],
            liquidity: &self.liquidity[..end],
        }
    }
}

/// Prices of steps `0..=t` of one path. Rows after `t` are not part of the slice, so a
/// policy holding a view cannot look ahead by construction.
#[derive(Debug, Clone, Copy)]
pub struct MarketView<'a> {
    assets: usize,
    rows: &'a [f64],
    liquidity: &'a [f64],
}

impl<'a> MarketView<'a> {
    /// The current step `t`.
    pub fn step(&self) -> usize {
        self.rows.len() / self.assets - 1
    }

    /// Number of assets.
    pub fn assets(&self) -> usize {
        self.assets
    }

    /// Prices of step `u <= t`; panics for a later step.
    pub fn row(&self, u: usize) -> &'a [f64] {
        &self.rows[u * self.assets..(u + 1) * self.assets]
    }

    /// Prices of the current step `t`.
    pub fn current(&self) -> &'a [f64] {
        self.row(self.step())
    }

    /// Liquidity factors of step `u <= t`; panics for a later step.
    pub fn liquidity(&self, u: usize) -> &'a [f64] {
        &self.liquidity[u * self.assets..(u + 1) * self.assets]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_sees_only_the_past() {
        let mut p = PricePath::new(3, 2);
        for t in 0..=3 {
            p.row_mut(t).copy_from_slice(&[t as f64, 10.0 + t as f64]);
        }
        let v = p.view_until(1);
        assert_eq!(v.step(), 1);
        assert_eq!(v.current(), &[1.0, 11.0]);
        assert_eq!(v.row(0), &[0.0, 10.0]);
        assert_eq!(v.liquidity(1), &[1.0, 1.0]);
        assert!(std::panic::catch_unwind(|| v.row(2)).is_err());
        assert!(std::panic::catch_unwind(|| v.liquidity(2)).is_err());
    }
}
