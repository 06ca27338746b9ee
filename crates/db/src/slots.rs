//! How many connections a server has to spare, read once before a rollout: a rollout holds one
//! connection per tenant it runs at once, and asking for more than the server takes only turns
//! tenants away ("too many clients"). What the server reports is a moment's view (other clients
//! come and go); [`crowded`](crate::crowded) covers the rest.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

use super::session;
use super::tenant::Target;
use super::DbError;
use strata_core::duration::Timeouts;

/// A server's connection slots as it reports them, the asking connection left out (it is
/// closed before the rollout starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slots {
    /// `max_connections`.
    pub max: i64,
    /// Slots kept for superusers (PostgreSQL's `superuser_reserved_connections` and
    /// `reserved_connections`).
    pub reserved: i64,
    /// Connections open now.
    pub in_use: i64,
    /// The user's own limit, when it has one (a PostgreSQL role's `CONNECTION LIMIT`, MySQL's
    /// `max_user_connections`).
    pub user: Option<UserLimit>,
}

/// A limit on one user's connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLimit {
    /// How the server names it, for messages ("role app's CONNECTION LIMIT").
    pub name: String,
    pub limit: i64,
    /// The user's connections open now.
    pub in_use: i64,
}

impl Slots {
    /// Connections a rollout may open: what is free on the server and for the user, at least one
    /// (a server full now may have room a moment later, and the tenants wait for it).
    pub fn spare(&self) -> usize {
        let server = self.max - self.reserved - self.in_use;
        let user = self.user.as_ref().map_or(i64::MAX, |u| u.limit - u.in_use);
        usize::try_from(server.min(user)).unwrap_or(0).max(1)
    }

    /// The numbers behind [`spare`](Self::spare), in words.
    pub fn describe(&self) -> String {
        let mut said = format!("max_connections {}", self.max);
        if self.reserved > 0 {
            said.push_str(&format!(", {} reserved for superusers", self.reserved));
        }
        said.push_str(&format!(", {} in use", self.in_use));
        if let Some(user) = &self.user {
            said.push_str(&format!("; {} {}, {} in use", user.name, user.limit, user.in_use));
        }
        said
    }
}

/// The connection slots of the server of `target`; `None` for a SQLite file.
pub async fn of(target: &Target, timeouts: &Timeouts) -> Result<Option<Slots>, DbError> {
    let label = "the server";
    let query = |e: sqlx::Error| DbError::query(label, e);
    match target {
        Target::SqliteFile(_) => Ok(None),
        Target::Postgres { url, schema, .. } => {
            let mut options = PgConnectOptions::from_str(url).map_err(|e| DbError::connect(label, e))?;
            if schema.is_none() {
                options = options.database("postgres");
            }
            let mut conn = session::postgres(&options, label, timeouts).await?;
            let row: (i64, i64, i64, String, i64, i64) =
                sqlx::query_as(POSTGRES).fetch_one(&mut conn).await.map_err(query)?;
            let _ = tokio::time::timeout(timeouts.connect, conn.close()).await;
            let (max, reserved, in_use, role, role_limit, role_in_use) = row;
            let user = (role_limit >= 0).then(|| UserLimit {
                name: format!("role {role}'s CONNECTION LIMIT"),
                limit: role_limit,
                in_use: role_in_use,
            });
            Ok(Some(Slots { max, reserved, in_use, user }))
        }
        Target::Mysql { url, .. } => {
            let mut conn = session::mysql(url, label, timeouts).await?;
            let row: (i64, i64, i64) = sqlx::query_as(MYSQL).fetch_one(&mut conn).await.map_err(query)?;
            // `SHOW`, where MySQL and MariaDB agree (their status tables are named apart); it
            // counts the asking connection.
            let (_, threads): (String, String) = sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
                .fetch_one(&mut conn)
                .await
                .map_err(query)?;
            let _ = tokio::time::timeout(timeouts.connect, conn.close()).await;
            let (max, user_limit, user_in_use) = row;
            let in_use = threads.trim().parse::<i64>().map_or(0, |n| n - 1);
            // 0 is no limit; -1 (MariaDB) lets only SUPER connect, which this user just did.
            let user = (user_limit > 0).then(|| UserLimit {
                name: "max_user_connections".to_string(),
                limit: user_limit,
                in_use: user_in_use,
            });
            Ok(Some(Slots { max, reserved: 0, in_use, user }))
        }
    }
}

/// Client connections only (PostgreSQL's own background processes take no slot), the asking one
/// left out; a superuser is not held to its role's limit (-1 then, as for no limit).
const POSTGRES: &str = "SELECT current_setting('max_connections')::bigint, \
     current_setting('superuser_reserved_connections')::bigint \
       + COALESCE(current_setting('reserved_connections', true)::bigint, 0), \
     (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()), \
     current_user::text, \
     (SELECT CASE WHEN rolsuper THEN -1 ELSE rolconnlimit END FROM pg_roles WHERE rolname = current_user)::bigint, \
     (SELECT count(*) FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid())";

/// The session's `max_user_connections` is the account's own limit where it has one, else the
/// global one; the process list shows a user without the PROCESS privilege its own connections,
/// which are the ones counted.
const MYSQL: &str = "SELECT CAST(@@GLOBAL.max_connections AS SIGNED), \
     CAST(@@SESSION.max_user_connections AS SIGNED), \
     CAST((SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND ID <> CONNECTION_ID()) AS SIGNED)";

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(max: i64, reserved: i64, in_use: i64, user: Option<(i64, i64)>) -> Slots {
        let user = user.map(|(limit, in_use)| UserLimit { name: "role".into(), limit, in_use });
        Slots { max, reserved, in_use, user }
    }

    #[test]
    fn what_is_spare_is_the_servers_free_slots() {
        assert_eq!(slots(15, 0, 3, None).spare(), 12);
        assert_eq!(slots(100, 3, 7, None).spare(), 90);
    }

    #[test]
    fn a_users_own_limit_counts_where_it_is_tighter() {
        assert_eq!(slots(100, 3, 7, Some((3, 0))).spare(), 3);
        assert_eq!(slots(100, 3, 7, Some((10, 4))).spare(), 6);
        assert_eq!(slots(15, 0, 10, Some((50, 1))).spare(), 5);
    }

    #[test]
    fn a_full_server_still_leaves_one() {
        assert_eq!(slots(15, 3, 12, None).spare(), 1);
        assert_eq!(slots(15, 3, 40, None).spare(), 1);
        assert_eq!(slots(100, 0, 0, Some((2, 5))).spare(), 1);
    }

    #[test]
    fn the_numbers_are_said() {
        assert_eq!(
            slots(100, 3, 7, Some((3, 1))).describe(),
            "max_connections 100, 3 reserved for superusers, 7 in use; role 3, 1 in use"
        );
        assert_eq!(slots(15, 0, 2, None).describe(), "max_connections 15, 2 in use");
    }
}
