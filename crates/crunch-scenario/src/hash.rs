//! The scenario hash: what identifies a run's inputs.

use sha2::{Digest, Sha256};

/// SHA-256 (hex) of everything a run is a function of: the scenario text, the effective
/// seed and path count (after command-line overrides) and the bytes of every data file
/// the scenario reads, in the order given.
pub fn scenario_hash(text: &str, seed: u64, paths: u64, data_files: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    h.update(b"crunch-scenario-hash-v1\0");
    h.update((text.len() as u64).to_le_bytes());
    h.update(text.as_bytes());
    h.update(seed.to_le_bytes());
    h.update(paths.to_le_bytes());
    for bytes in data_files {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_every_input() {
        let base = scenario_hash("a", 1, 10, &[b"x"]);
        assert_eq!(base.len(), 64);
        assert_eq!(base, scenario_hash("a", 1, 10, &[b"x"]));
        assert_ne!(base, scenario_hash("b", 1, 10, &[b"x"]));
        assert_ne!(base, scenario_hash("a", 2, 10, &[b"x"]));
        assert_ne!(base, scenario_hash("a", 1, 11, &[b"x"]));
        assert_ne!(base, scenario_hash("a", 1, 10, &[b"y"]));
        assert_ne!(
            scenario_hash("a", 1, 10, &[b"xy"]),
            scenario_hash("a", 1, 10, &[b"x", b"y"])
        );
    }
}
