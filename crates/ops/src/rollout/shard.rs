//! `--shard I/N`: which runner of N takes a tenant, by a stable hash of its id, so a CI matrix or a
//! Kubernetes Indexed Job spreads one environment over N machines with every tenant in exactly one
//! shard. The per-tenant locks make overlapping runners (a retried shard) safe.

use sha2::{Digest, Sha256};

/// Runner `index` (1-based, as `--shard 2/4`) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!("`{text}`: expected I/N with 1 <= I <= N, e.g. 2/4 (Kubernetes: $((JOB_COMPLETION_INDEX + 1))/N)")
        };
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) =
            (index.trim().parse().map_err(|_| bad())?, count.trim().parse().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A number from the tenant id that is the same on every machine and every release.
pub fn stable_hash(tenant: &str) -> u64 {
    let digest = Sha256::digest(tenant.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("sha256 has 32 bytes"))
}

impl Shard {
    pub fn contains(&self, tenant: &str) -> bool {
        stable_hash(tenant) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tenant_is_in_exactly_one_shard() {
        let shards: Vec<Shard> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        let mut sizes = [0; 4];
        for n in 0..1000 {
            let id = format!("tenant-{n}");
            let owners: Vec<usize> = (0..4).filter(|i| shards[*i].contains(&id)).collect();
            assert_eq!(owners.len(), 1, "{id}");
            sizes[owners[0]] += 1;
        }
        assert!(sizes.iter().all(|s| (200..300).contains(s)), "balanced: {sizes:?}");
    }

    #[test]
    fn bad_shards_are_refused() {
        for bad in ["0/4", "5/4", "1/0", "x/2", "3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { index: 2, count: 4 });
    }
}
