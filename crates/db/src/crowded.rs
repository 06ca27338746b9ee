//! Connections a crowded server refused. A server with no free connection slot (PostgreSQL's
//! `max_connections` or a role's `CONNECTION LIMIT`, MySQL's `max_connections` or
//! `max_user_connections`) refuses at once; a moment later another client may have gone. So such a
//! refusal is tried again a few times, pausing longer each time (with jitter, so that a fleet's
//! tenants refused together do not come back together), within the connect timeout: without it a
//! rollout with more tenants at once than the server has slots failed most of them outright.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlDatabaseError;

/// Attempts in all, the first included.
const ATTEMPTS: u32 = 6;
/// The pause after the first refusal; each later one doubles it.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// Whether the server refused the connection for want of a free slot: PostgreSQL's SQLSTATE
/// 53300 `too_many_connections` (also for a role's connection limit and the slots kept for
/// superusers), MySQL's 1040 `Too many connections`, 1203 (the global `max_user_connections`) and
/// 1226 for an account's own `MAX_USER_CONNECTIONS` (1226 also says an hourly quota ran out, which
/// waiting seconds does not mend: only the connections one is tried again).
pub fn is_crowded(error: &sqlx::Error) -> bool {
    let Some(database) = error.as_database_error() else { return false };
    if let Some(mysql) = database.try_downcast_ref::<MySqlDatabaseError>() {
        return match mysql.number() {
            1040 | 1203 => true,
            1226 => mysql.message().contains("max_user_connections"),
            _ => false,
        };
    }
    database.code().as_deref() == Some("53300")
}

/// `connect`, tried again after a refusal for want of a slot, pausing 100 ms, 200 ms, 400 ms...
/// (each ±25 %) up to [`ATTEMPTS`] in all; never pausing past `budget` (counted from now), so the
/// refusal itself is what the caller gets when the time is up, not a timeout.
pub async fn retry<T, F, Fut>(budget: Duration, mut connect: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let deadline = Instant::now() + budget;
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        match connect().await {
            Err(e) if is_crowded(&e) && attempt < ATTEMPTS => {
                let wait = jittered(pause);
                if Instant::now() + wait >= deadline {
                    return Err(e);
                }
                tokio::time::sleep(wait).await;
                pause *= 2;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// `pause` moved by up to a quarter either way, at random (std's hasher keys are random per
/// process, which is all the randomness this needs).
fn jittered(pause: Duration) -> Duration {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    let unit = (hasher.finish() % 1_000) as f64 / 1_000.0;
    pause.mul_f64(0.75 + unit / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jitter_stays_within_a_quarter_of_the_pause() {
        for _ in 0..100 {
            let wait = jittered(Duration::from_millis(400));
            assert!(wait >= Duration::from_millis(300) && wait <= Duration::from_millis(500), "{wait:?}");
        }
    }

    #[tokio::test]
    async fn an_error_other_than_a_full_server_is_not_tried_again() {
        let mut attempts = 0;
        let result: Result<(), _> = retry(Duration::from_secs(5), || {
            attempts += 1;
            async { Err(sqlx::Error::PoolTimedOut) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(attempts, 1);
    }
}
