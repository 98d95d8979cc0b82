//! Static description of the assets of a scenario.

/// One asset of a scenario, as the scenario file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetSpec {
    /// Ticker symbol, unique within a scenario (for example `ETH`).
    pub symbol: String,
    /// Start price `p[0][i]` in USD (ignored for moving assets of a historical source).
    pub price: f64,
    /// Annualised volatility `sigma_i` of the GBM source (1/sqrt(year)).
    pub sigma: f64,
    /// Annualised drift `mu_i` of the GBM source (1/year).
    pub mu: f64,
    /// Liquidity depth `depth_k` in USD; `None` switches liquidity off for the asset.
    pub depth: Option<f64>,
    /// Price-impact coefficient `impact_k` of the slippage rule (dimensionless).
    pub impact: f64,
}

impl AssetSpec {
    /// An asset with start price `price` and volatility `sigma`, no drift and liquidity
    /// off (`depth = None`, `impact = 0`).
    pub fn new(symbol: &str, price: f64, sigma: f64) -> Self {
        Self {
            symbol: symbol.into(),
            price,
            sigma,
            mu: 0.0,
            depth: None,
            impact: 0.0,
        }
    }

    /// A stable asset keeps exactly its start price: `sigma = 0` and `mu = 0`.
    pub fn is_stable(&self) -> bool {
        self.sigma == 0.0 && self.mu == 0.0
    }

    /// Whether the asset may carry debt in `lending-v1`: stable with start price exactly 1.
    pub fn is_numeraire(&self) -> bool {
        self.is_stable() && self.price == 1.0
    }
}

/// The assets of a scenario and its step length.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSpec {
    /// Assets in scenario order; their position is the asset index used everywhere.
    pub assets: Vec<AssetSpec>,
    /// Step length in years (a daily step is `1/365`).
    pub dt: f64,
    /// Price-feedback coefficient `phi >= 0` of `lending-v1` rule 6 (0 switches it off).
    pub phi: f64,
}

impl MarketSpec {
    /// Number of assets `A`.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// Whether the market has no assets.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Index of the asset with this symbol.
    pub fn index_of(&self, symbol: &str) -> Option<usize> {
        self.assets.iter().position(|a| a.symbol == symbol)
    }
}
