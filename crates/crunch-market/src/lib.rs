//! Price-path sources of crunch. Every source implements [`crunch_core::PathSource`] and
//! draws only from the per-path random stream handed to it.
//!
//! - [`Gbm`]: correlated geometric Brownian motion exactly as `lending-v1` specifies;
//! - [`Historical`]: replay of one price series;
//! - [`Diffusion`]: the parametric models sharing one log-price stepping loop —
//!   correlated GBM plus any of Student-t innovations ([`student_t`]), GARCH(1,1)
//!   variance ([`garch`]), Merton jumps with a common jump ([`jump`]), Markov regime
//!   switching ([`regime`]) and the correlation crunch ([`crunch`]);
//! - [`StationaryBootstrap`]: stationary block bootstrap of joint historical returns
//!   ([`bootstrap`]);
//! - [`FilteredHistorical`]: filtered historical simulation ([`fhs`]);
//! - [`Shocked`]: deterministic drops, slides and V-shapes on top of any source
//!   ([`shocks`]);
//! - [`Pegged`]: stable assets that follow a mean-reverting Ornstein–Uhlenbeck path
//!   around their peg with depeg jumps, on top of any source ([`peg`]);
//! - pair decoupling ([`decouple`], [`Diffusion::with_decouple`]): one pair's
//!   correlation moved to a target during a window;
//! - rescaled history ([`rescale`], [`Historical::with_rescales`]): a replayed asset's
//!   returns on an asset without its own history, scaled by a volatility ratio.
//!
//! `docs/path-models.md` describes every model with its formula, parameters and source.

pub mod bootstrap;
mod correlation;
pub mod crunch;
pub mod decouple;
pub mod diffusion;
mod error;
pub mod fhs;
pub mod garch;
mod gbm;
mod historical;
pub mod jump;
pub mod peg;
pub mod regime;
pub mod rescale;
pub mod shocks;
pub mod student_t;

pub use bootstrap::{StationaryBootstrap, log_returns};
pub use correlation::{CorrelationError, cholesky_psd, nearest_correlation, symmetric_eigen};
pub use crunch::{Crunch, average_pairwise_correlation};
pub use decouple::{Decouple, check_decouple, decoupled_matrix};
pub use diffusion::Diffusion;
pub use error::ModelError;
pub use fhs::FilteredHistorical;
pub use garch::{GarchFilter, GarchParams, GarchSpec, garch_filter};
pub use gbm::Gbm;
pub use historical::Historical;
pub use jump::{CommonJump, JumpSize, poisson_inverse};
pub use peg::{Peg, Pegged};
pub use regime::{Regime, RegimeSwitching};
pub use rescale::{Rescale, RescaleBy};
pub use shocks::{Shock, ShockKind, Shocked};
pub use student_t::StudentT;
