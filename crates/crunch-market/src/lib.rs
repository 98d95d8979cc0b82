//! Price-path sources of crunch: correlated geometric Brownian motion and historical
//! replay. Both implement [`crunch_core::PathSource`].

mod correlation;
mod gbm;
mod historical;

pub use correlation::{CorrelationError, cholesky_psd};
pub use gbm::Gbm;
pub use historical::Historical;
