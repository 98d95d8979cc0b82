//! The one constructor of random-number streams.
//!
//! A run is a pure function of (scenario, data, seed): every random draw comes from a
//! stream named by `(seed, domain, stream index)`. The generator is ChaCha8, a portable
//! algorithm whose output is fixed by its definition (unlike `StdRng`), and the stream
//! index selects one of its 2^64 independent streams per key, so path `i` of seed `s`
//! never coincides with a path of another seed (no `seed + i`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every path and generator uses.
pub type PathRng = ChaCha8Rng;

/// What a stream is used for; different domains of one seed are independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Market price paths; the stream index is the path index.
    MarketPaths,
    /// The synthetic account-book generator; the stream index is 0.
    BookGenerator,
    /// The fixed scenario set of simulated-moves margin (`crunch_derivatives`); the seed
    /// and the stream index are 0, so every run draws the same set.
    MarginScenarios,
}

impl Domain {
    fn tag(self) -> &'static [u8; 16] {
        match self {
            Domain::MarketPaths => b"crunch/market/v1",
            Domain::BookGenerator => b"crunch/book/v1\0\0",
            Domain::MarginScenarios => b"crunch/margin/v1",
        }
    }
}

/// The random stream for `(seed, domain, stream)`.
///
/// The 32-byte ChaCha key is the seed (8 bytes little-endian), 8 zero bytes and the
/// 16-byte domain tag; the ChaCha stream id is `stream`.
pub fn stream_rng(seed: u64, domain: Domain, stream: u64) -> PathRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[16..].copy_from_slice(domain.tag());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Golden values: a dependency bump that changes the streams must fail here.
    #[test]
    fn first_draws_are_pinned() {
        let mut a = stream_rng(42, Domain::MarketPaths, 0);
        let mut b = stream_rng(42, Domain::MarketPaths, 1);
        let mut c = stream_rng(42, Domain::BookGenerator, 0);
        let got = [a.next_u64(), b.next_u64(), c.next_u64()];
        assert_eq!(got, GOLDEN);
    }

    const GOLDEN: [u64; 3] = [
        9678412200033690326,
        3354345218839863147,
        8302797099794174572,
    ];

    #[test]
    fn streams_and_seeds_differ() {
        let x = stream_rng(1, Domain::MarketPaths, 1).next_u64();
        let y = stream_rng(2, Domain::MarketPaths, 0).next_u64();
        let z = stream_rng(1, Domain::MarketPaths, 0).next_u64();
        assert_ne!(x, y);
        assert_ne!(x, z);
        assert_ne!(y, z);
    }
}
