//! Deterministic shards of a run: which (path, policy) units shard `i` of `n` simulates.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The key-value metadata key that marks the files of a shard (value `i/n`).
pub const SHARD_KEY: &str = "crunch.shard";

/// Shard `index` of `count` (`0 <= index < count`) of a run.
///
/// A run of `P` paths and `K` policies (sweep variants included) is `U = P K` units, unit
/// `u` being path `u / K` under policy `u % K`: the order of the run's output rows. Shards
/// split the units into `count` contiguous ranges of sizes that differ by at most one:
/// shard `i` of `n` simulates units `floor(i U / n)` up to, not including,
/// `floor((i + 1) U / n)`. So a shard splits the variants of a sweep as well as the
/// paths (a run of 1 path and 1,000 variants splits over 1,000 shards). The split is a
/// pure function of `(U, i, n)`, and concatenating the shards' outputs in shard order
/// gives the single run's row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`; refuses `count == 0` and `index >= count`.
    pub fn new(index: u64, count: u64) -> Result<Self, String> {
        if count == 0 {
            return Err(format!(
                "`{index}/{count}`: the number of shards must be at least 1"
            ));
        }
        if index >= count {
            return Err(format!(
                "`{index}/{count}`: the shard index must be below the number of shards \
                 (0 to {})",
                count - 1
            ));
        }
        Ok(Self { index, count })
    }

    /// The shard's index, from 0.
    pub fn index(self) -> u64 {
        self.index
    }

    /// The number of shards.
    pub fn count(self) -> u64 {
        self.count
    }

    /// The units of this shard in a run of `total` units (possibly empty when there are
    /// more shards than units).
    pub fn units(self, total: u64) -> Range<u64> {
        let bound = |i: u64| (u128::from(total) * u128::from(i) / u128::from(self.count)) as u64;
        bound(self.index)..bound(self.index + 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `i/n` (decimal, no spaces), as written by [`Display`](fmt::Display).
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}`: expected INDEX/COUNT, such as `0/4` (shards 0 to 3 of 4)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let number = |x: &str| {
            if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            x.parse::<u64>().map_err(|_| bad())
        };
        Self::new(number(i)?, number(n)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let s: Shard = "2/5".parse().unwrap();
        assert_eq!((s.index(), s.count()), (2, 5));
        assert_eq!(s.to_string(), "2/5");
        for bad in ["", "1", "1/", "/2", "a/2", "1/2/3", "-1/2", "1 /2", "+1/2"] {
            assert!(
                bad.parse::<Shard>()
                    .unwrap_err()
                    .contains("expected INDEX/COUNT"),
                "{bad}"
            );
        }
        assert_eq!(
            "3/3".parse::<Shard>().unwrap_err(),
            "`3/3`: the shard index must be below the number of shards (0 to 2)"
        );
        assert_eq!(
            "0/0".parse::<Shard>().unwrap_err(),
            "`0/0`: the number of shards must be at least 1"
        );
    }

    #[test]
    fn ranges_tile_the_units() {
        for total in [0, 1, 2, 7, 12, 100, 1001] {
            for count in 1..=13 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard::new(index, count).unwrap().units(total);
                    assert_eq!(r.start, next);
                    let len = r.end - r.start;
                    assert!(len == total / count || len == total / count + 1);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(Shard::new(1, 3).unwrap().units(12), 4..8);
        let huge = Shard::new(2, 3).unwrap().units(u64::MAX);
        assert_eq!(huge.end, u64::MAX);
    }
}
