//! `rollout.waves` of an environment: the fleet split into waves applied in order. A wave is a list
//! of tenants, a label selector, or a percentage of the fleet; each takes the tenants it matches
//! that no earlier wave took, and whatever no wave took forms a last wave. Percent waves take
//! tenants in stable-hash order, so the same tenants go first on every release.

use super::shard::stable_hash;
use strata_project::project::{Tenant, Wave};

/// The tenants of each wave, in order; never an empty wave.
pub fn split<'a>(path: &str, waves: &[Wave], tenants: &[&'a Tenant]) -> Result<Vec<Vec<&'a Tenant>>, String> {
    let mut left: Vec<&Tenant> = tenants.to_vec();
    left.sort_by_key(|t| (stable_hash(&t.id), t.id.clone()));
    let total = tenants.len();
    let mut result = Vec::new();
    for (index, wave) in waves.iter().enumerate() {
        let kinds = [wave.tenants.is_some(), wave.percent.is_some(), wave.labels.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(format!(
                "{path}: rollout.waves[{index}] needs exactly one of `tenants`, `percent` or `labels`"
            ));
        }
        let taken: Vec<&Tenant> = if let Some(ids) = &wave.tenants {
            left.iter().filter(|t| ids.contains(&t.id)).copied().collect()
        } else if let Some(labels) = &wave.labels {
            left.iter().filter(|t| labels.iter().all(|(k, v)| t.manifest.labels.get(k) == Some(v))).copied().collect()
        } else {
            let percent = usize::from(wave.percent.unwrap_or_default());
            if percent == 0 || percent > 100 {
                return Err(format!("{path}: rollout.waves[{index}].percent must be 1 to 100"));
            }
            // Rounded up, so a small fleet's 10% is still one tenant.
            let count = (total * percent).div_ceil(100);
            left.iter().take(count).copied().collect()
        };
        left.retain(|t| !taken.iter().any(|x| x.id == t.id));
        if !taken.is_empty() {
            result.push(taken);
        }
    }
    if !left.is_empty() {
        result.push(left);
    }
    Ok(result)
}
