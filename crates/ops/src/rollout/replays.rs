//! What a tenant's migrations make, rendered for it and replayed in the model: the schema hash
//! after each (recorded in the history by `apply` and `adopt`) and the final schema (compared with
//! the live one by `adopt`). Replaying is CPU work, done once per distinct rendered sequence — most
//! tenants of a fleet share one — on tokio's blocking pool, so the tenants' I/O goes on meanwhile,
//! and tenants that need the same sequence wait for the one replay.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use strata_core::Dialect;
use strata_migrations::Migration;
use strata_project::compose::{render, Composition, RenderContext};
use strata_project::project::LayerId;
use strata_schema::interpret::Mode;
use strata_schema::{hash, Schema};

/// One rendered sequence, replayed.
pub struct Replayed {
    /// The schema hash after each migration.
    pub hashes: Vec<String>,
    /// The schema after the last.
    pub schema: Schema,
}

/// One sequence's replay, done by the first tenant that needs it and awaited by the others.
type Slot = Rc<OnceCell<Arc<Replayed>>>;

/// Replays by rendered sequence (keyed by its sha256), for one run over a fleet.
#[derive(Default)]
pub struct Replays {
    cache: RefCell<HashMap<[u8; 32], Slot>>,
}

impl Replays {
    /// The replay of `order` rendered as `sqls`, and whether this call did the replaying.
    pub async fn get(
        &self,
        dialect: Dialect,
        order: &[&Migration],
        sqls: &[Cow<'_, str>],
    ) -> Result<(Arc<Replayed>, bool), String> {
        let mut hasher = Sha256::new();
        for (migration, sql) in order.iter().zip(sqls) {
            hasher.update(migration.id().as_bytes());
            hasher.update([0]);
            hasher.update(sql.as_bytes());
            hasher.update([0]);
        }
        let key: [u8; 32] = hasher.finalize().into();
        let cell = self.cache.borrow_mut().entry(key).or_default().clone();
        let mut parsed = false;
        let replayed = cell
            .get_or_try_init(|| {
                parsed = true;
                let sequence: Vec<(LayerId, String, String)> = order
                    .iter()
                    .zip(sqls)
                    .map(|(m, sql)| (m.key.layer.clone(), m.up_path.clone(), sql.to_string()))
                    .collect();
                async move {
                    let replayed = tokio::task::spawn_blocking(move || replay(dialect, &sequence));
                    replayed.await.map_err(|e| e.to_string())?.map(Arc::new)
                }
            })
            .await?;
        Ok((replayed.clone(), parsed))
    }
}

/// Each migration rendered for one tenant; borrowed when rendering changed nothing.
pub fn rendered<'m>(
    dialect: Dialect,
    order: &[&'m Migration],
    context: &RenderContext,
) -> Result<Vec<Cow<'m, str>>, String> {
    order
        .iter()
        .map(|migration| {
            let sql = render(dialect, &migration.up_path, &migration.up, context).map_err(|e| e.to_string())?;
            Ok(if sql == migration.up { Cow::Borrowed(migration.up.as_str()) } else { Cow::Owned(sql) })
        })
        .collect()
}

/// A sequence of (layer, path, rendered SQL) replayed in the model.
fn replay(dialect: Dialect, sequence: &[(LayerId, String, String)]) -> Result<Replayed, String> {
    let mut model = Composition::default();
    let mut hashes = Vec::with_capacity(sequence.len());
    for (layer, path, sql) in sequence {
        model.apply_sql(dialect, Mode::Replay, layer, path, sql).map_err(|e| e.to_string())?;
        hashes.push(hash::root(&model.schema));
    }
    Ok(Replayed { hashes, schema: model.schema })
}
