//! Historical replay: one path, the closes of a loaded series in time order.

use crunch_core::{MarketSpec, PathRng, PathSource, PricePath};

/// Replays one fixed price path. Stable assets (`sigma = 0`, `mu = 0`) that the data does
/// not carry keep their start price.
#[derive(Debug, Clone)]
pub struct Historical {
    pub(crate) path: PricePath,
}

impl Historical {
    /// Builds the path from one close series per asset (`None` for a stable asset held
    /// at its start price). Every series must have the same length `T + 1 >= 2`.
    pub fn new(market: &MarketSpec, closes: &[Option<&[f64]>]) -> Self {
        assert_eq!(closes.len(), market.len(), "one series per asset");
        let rows = closes
            .iter()
            .flatten()
            .map(|c| c.len())
            .next()
            .expect("at least one asset comes from data");
        let mut path = PricePath::new(rows - 1, market.len());
        for t in 0..rows {
            let row = path.row_mut(t);
            for (i, series) in closes.iter().enumerate() {
                row[i] = match series {
                    Some(c) => c[t],
                    None => market.assets[i].price,
                };
            }
        }
        Self { path }
    }
}

impl PathSource for Historical {
    fn steps(&self) -> usize {
        self.path.steps()
    }

    fn assets(&self) -> usize {
        self.path.assets()
    }

    /// Copies the series; draws nothing.
    fn fill(&self, _rng: &mut PathRng, out: &mut PricePath) {
        out.clone_from(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::seams::generate;
    use crunch_core::{AssetSpec, Domain, stream_rng};

    #[test]
    fn replays_closes_and_holds_stables() {
        let asset = |s: &str, price, sigma| AssetSpec {
            symbol: s.into(),
            price,
            sigma,
            mu: 0.0,
            depth: None,
            impact: 0.0,
        };
        let market = MarketSpec {
            assets: vec![asset("BTC", 0.0, 0.7), asset("USD", 1.0, 0.0)],
            dt: 1.0 / 365.0,
            phi: 0.0,
        };
        let btc = [100.0, 90.0, 120.0];
        let h = Historical::new(&market, &[Some(&btc), None]);
        let p = generate(&h, &mut stream_rng(1, Domain::MarketPaths, 0));
        assert_eq!(p.steps(), 2);
        assert_eq!(p.as_slice(), &[100.0, 1.0, 90.0, 1.0, 120.0, 1.0]);
    }
}
