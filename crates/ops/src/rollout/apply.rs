//! `apply`: a commit's migrations to an environment's tenants — concurrently, wave by wave, with a
//! circuit breaker, optionally one shard of the fleet.
//!
//! Each tenant is first looked at with one query over a pooled connection; a tenant with nothing
//! to do is done then. A tenant with work gets a connection of its own and its lock (DESIGN §6),
//! and its migrations run in order. The Merkle roots recorded in the history are computed once per
//! distinct sequence of rendered migrations, not once per tenant. A tenant's failure is recorded
//! and counted; when `max_failures` tenants have failed no new tenant starts, the running ones
//! finish, and the report says why the rollout halted.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::replays::{rendered, Replayed, Replays};
use super::shard::Shard;
use super::{check_history, LastRun};
use crate::rerender::{self, Converge, Past};
use crate::snapshot::{Seed, Snapshot};
use crate::Error;
use strata_core::atomic_file::write_atomic;
use strata_db::peek::Peeker;
use strata_db::session::Session;
use strata_db::tenant::{Target, TenantDb};
use strata_db::{MigrationRun, RunOutcome};
use strata_migrations::Migration;
use strata_project::compose::{render, RenderContext};
use strata_project::project::{Environment, Tenant};
use strata_schema::hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    UpToDate,
    Migrated,
    /// Dry run: it has migrations (or seeds) to run, listed in `applied`.
    Pending,
    Failed,
    /// Not started: the rollout halted before its turn.
    Skipped,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TenantOutcome {
    pub tenant: String,
    /// 1-based wave number.
    pub wave: usize,
    pub status: TenantStatus,
    /// Ids applied (or, in a dry run, that would be).
    pub applied: Vec<String>,
    pub error: Option<String>,
    /// What apply settled on its own (a failed migration the live schema shows done, or not
    /// begun), said so that nothing happens silently.
    pub notes: Vec<String>,
    pub duration_ms: u128,
    /// Dry run: each pending migration's id and its SQL rendered for the tenant.
    #[serde(skip)]
    pub sql: Vec<(String, String)>,
}

impl TenantOutcome {
    /// A tenant the rollout halted before it started.
    fn skipped(tenant: &Tenant, wave: usize) -> Self {
        TenantOutcome {
            tenant: tenant.id.clone(),
            wave,
            status: TenantStatus::Skipped,
            applied: Vec::new(),
            error: None,
            notes: Vec::new(),
            duration_ms: 0,
            sql: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    pub env: String,
    pub reference: String,
    pub tenants: Vec<String>,
    pub dry_run: bool,
    pub lock_timeout: Duration,
    /// Tenants migrated at once; default from the environment file, else [`default_concurrency`].
    pub concurrency: Option<usize>,
    /// Halt after this many failed tenants; default from the environment file, else never.
    pub max_failures: Option<usize>,
    pub shard: Option<Shard>,
    /// Only the tenants that failed in the last rollout of this environment (and shard) here.
    pub only_failed: bool,
    /// No tenant starts once this much time has passed; the running ones finish.
    pub deadline: Option<Duration>,
    /// `--state-dir`: where the last rollout is remembered (see [`super::state_dir`]).
    pub state_dir: Option<std::path::PathBuf>,
    /// Asked from outside (a signal) to start no further tenant; the running ones finish.
    pub stop: super::stop::StopRequest,
}

/// Where the rollout's own time went, summed over tenants (they overlap when concurrent).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Timings {
    /// Resolving each tenant's layers and ordering its migrations.
    pub plan_ms: f64,
    /// Rendering migrations and replaying them in the model for the recorded schema hashes.
    pub parse_ms: f64,
    /// Waiting on databases: connecting, locking, reading history, running migrations.
    pub database_ms: f64,
    /// Tenants settled by the one-query look alone.
    pub one_query_tenants: usize,
    /// Distinct migration sequences parsed for schema hashes.
    pub parsed_sequences: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WaveReport {
    pub wave: usize,
    #[serde(flatten)]
    pub counts: Summary,
}

/// Tenants by outcome, of a wave or of the whole rollout.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub tenants: usize,
    pub migrated: usize,
    /// Dry run: tenants with something to run.
    pub pending: usize,
    pub up_to_date: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Summary {
    fn of(outcomes: &[TenantOutcome]) -> Self {
        let count = |status| outcomes.iter().filter(|t| t.status == status).count();
        Summary {
            tenants: outcomes.len(),
            migrated: count(TenantStatus::Migrated),
            pending: count(TenantStatus::Pending),
            up_to_date: count(TenantStatus::UpToDate),
            failed: count(TenantStatus::Failed),
            skipped: count(TenantStatus::Skipped),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApplyReport {
    pub format_version: u32,
    pub commit: String,
    pub environment: String,
    pub dry_run: bool,
    pub shard: Option<String>,
    /// Tenants run at once.
    pub concurrency: usize,
    /// Why `concurrency` is less than asked for: a server had fewer connections to spare.
    pub concurrency_clamped: Option<String>,
    pub max_failures: Option<usize>,
    /// Why no further tenant was started, when the breaker tripped.
    pub halted: Option<String>,
    pub duration_ms: u128,
    pub summary: Summary,
    pub waves: Vec<WaveReport>,
    pub timings: Timings,
    pub tenants: Vec<TenantOutcome>,
    /// What went wrong besides the tenants (the state directory could not be written).
    pub warnings: Vec<String>,
}

impl ApplyReport {
    pub fn failed(&self) -> usize {
        self.summary.failed
    }
}

/// Twice the machine's cores, at most 16: tenants wait on the server most of the time.
pub fn default_concurrency() -> usize {
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
    (cores * 2).clamp(2, 16)
}

/// What every tenant's run shares.
struct Fleet<'a> {
    view: &'a Snapshot,
    env: &'a Environment,
    options: &'a ApplyOptions,
    peeker: Peeker,
    replays: Replays,
    /// Tenants' variables at the commits that applied their migrations.
    past: Past,
    timings: RefCell<Timings>,
    /// Per tenant, what it settled on its own (see [`TenantOutcome::notes`]).
    notes: RefCell<std::collections::BTreeMap<String, Vec<String>>>,
}

/// What a rollout tells its caller as it goes.
pub enum Event<'a> {
    /// A wave starts: its number (1-based) and size.
    Wave { number: usize, size: usize },
    /// A tenant finished.
    Tenant(&'a TenantOutcome),
    /// A line about the rollout as a whole, before any tenant starts (the concurrency clamped to
    /// what the servers have room for).
    Note(&'a str),
}

/// Applies a commit to an environment; `on_event` sees each wave start and each tenant outcome as
/// they happen, and first a note when the concurrency was clamped to what the servers allow.
pub async fn apply(
    repo_dir: &Path,
    options: &ApplyOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<ApplyReport, Error> {
    let started = Instant::now();
    let view = Snapshot::load(repo_dir, &options.reference)?;
    let env = view.project.environment(&options.env)?;
    let state = super::state_dir(&view.root, options.state_dir.as_deref());
    let last_run = super::last_run_path(&state, &env.name, options.shard);
    let tenants = select(&view, env, options, &last_run)?;
    // Right after `strata init` nothing is numbered yet: the seeds alone would run on empty
    // databases and fail on every tenant. A tenant that does not resolve says why instead.
    if view.migrations.values().all(Vec::is_empty) && tenants.iter().all(|t| view.tenant_work(t).is_ok()) {
        return Err(Error::Usage(format!(
            "commit {} has no migrations yet: `strata commit` writes them from the schema files; nothing was applied",
            crate::snapshot::short(&view.commit_sha)
        )));
    }
    let rollout = &env.manifest.rollout;
    let max_failures = options.max_failures.or(rollout.max_failures);
    if max_failures == Some(0) {
        return Err(Error::Usage(
            "max_failures must be at least 1 (the number of failed tenants that halts the rollout)".into(),
        ));
    }
    let concurrency = options.concurrency.or(rollout.concurrency).unwrap_or_else(default_concurrency).max(1);
    let waves = shard_waves(env, options, &tenants)?;
    let fleet = Fleet {
        view: &view,
        env,
        options,
        peeker: Peeker::new(Session::new(env.manifest.timeouts, options.lock_timeout)),
        replays: Replays::default(),
        past: Past::new(&view.root),
        timings: RefCell::new(Timings::default()),
        notes: RefCell::default(),
    };
    let deadline = options.deadline.map(|d| (started + d, d));
    let (halted, concurrency, clamped) = match options.dry_run {
        true => (None, concurrency, None),
        false => {
            let targets: Vec<Target> = tenants.iter().filter_map(|t| view.target(env, t).ok()).collect();
            let timeouts = &env.manifest.timeouts;
            match super::preflight::unreachable(env, &targets, timeouts).await {
                Some(why) => (Some(why), concurrency, None),
                None => {
                    let (concurrency, clamped) = super::preflight::room(env, &targets, timeouts, concurrency).await;
                    (None, concurrency, clamped)
                }
            }
        }
    };
    if let Some(line) = &clamped {
        on_event(Event::Note(line));
    }
    let limits = Limits { concurrency, max_failures, deadline };
    let (outcomes, wave_reports, halted) = fleet.run_waves(&waves, limits, halted, on_event).await;
    fleet.peeker.close().await;
    // The tenants' histories are the record; this file is a convenience for `--only-failed` and
    // `status`, so failing to write it (a read-only checkout) is a warning, not a failed rollout.
    let mut warnings = Vec::new();
    if !options.dry_run {
        if let Err(e) = record_last_run(&last_run, &view.commit_sha, &outcomes) {
            warnings.push(format!(
                "{e}: the rollout is not remembered for --only-failed and status; point --state-dir or STRATA_STATE_DIR at a writable folder"
            ));
        }
    }
    Ok(ApplyReport {
        format_version: 1,
        commit: view.commit_sha.clone(),
        environment: env.name.clone(),
        dry_run: options.dry_run,
        shard: options.shard.map(|s| s.to_string()),
        concurrency,
        concurrency_clamped: clamped,
        max_failures,
        halted,
        duration_ms: started.elapsed().as_millis(),
        summary: Summary::of(&outcomes),
        waves: wave_reports,
        timings: fleet.timings.take(),
        tenants: outcomes,
        warnings,
    })
}

/// The tenants of the environment the options select (with `--only-failed`, those that failed in
/// the last recorded rollout). Resolution, order and target problems are the commit's, not a
/// tenant's: they are refused here, before any database is touched.
fn select<'v>(
    view: &'v Snapshot,
    env: &Environment,
    options: &ApplyOptions,
    last_run: &Path,
) -> Result<Vec<&'v Tenant>, Error> {
    let mut tenants = view.select(env, &options.tenants)?;
    if options.only_failed {
        let text = std::fs::read_to_string(last_run).map_err(|_| {
            Error::Usage(format!(
                "--only-failed: no earlier rollout of {} recorded here ({})",
                env.name,
                last_run.display()
            ))
        })?;
        let last: LastRun = serde_json::from_str(&text)
            .map_err(|source| Error::Json { what: last_run.display().to_string(), source })?;
        tenants.retain(|t| last.failed.contains(&t.id));
    }
    crate::place::places(&view.project, env)?;
    for tenant in &tenants {
        view.tenant_work(tenant)?;
        view.target(env, tenant)?;
    }
    Ok(tenants)
}

/// Waves are cut from the whole fleet, then each runner takes its shard of every wave.
fn shard_waves<'t>(
    env: &Environment,
    options: &ApplyOptions,
    tenants: &[&'t Tenant],
) -> Result<Vec<Vec<&'t Tenant>>, Error> {
    let waves = super::waves::split(&env.path, &env.manifest.rollout.waves, tenants).map_err(Error::Usage)?;
    Ok(waves
        .into_iter()
        .map(|wave| wave.into_iter().filter(|t| options.shard.is_none_or(|s| s.contains(&t.id))).collect::<Vec<_>>())
        .filter(|wave| !wave.is_empty())
        .collect())
}

/// The tenants that failed, for a later `--only-failed`.
fn record_last_run(last_run: &Path, commit: &str, outcomes: &[TenantOutcome]) -> Result<(), Error> {
    let failures = outcomes.iter().filter(|t| t.status == TenantStatus::Failed);
    let failed = failures.clone().map(|t| t.tenant.clone()).collect();
    let errors = failures.map(|t| (t.tenant.clone(), t.error.clone().unwrap_or_default())).collect();
    let last = LastRun { commit: commit.to_string(), failed, errors };
    if let Some(dir) = last_run.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::File { path: dir.display().to_string(), source })?;
    }
    Ok(write_atomic(last_run, serde_json::to_string_pretty(&last).unwrap_or_default())?)
}

/// How many tenants run at once, and how many failures halt the rollout.
#[derive(Clone, Copy)]
struct Limits {
    concurrency: usize,
    max_failures: Option<usize>,
    /// No tenant starts after this instant (`--deadline`, the duration for the message).
    deadline: Option<(Instant, Duration)>,
}

/// Adds the time since `since` to one of the timings.
fn spent(timings: &RefCell<Timings>, since: Instant, field: fn(&mut Timings) -> &mut f64) {
    *field(&mut timings.borrow_mut()) += since.elapsed().as_secs_f64() * 1000.0;
}

/// The ids applied so far, and the error that stopped the tenant.
type Failure = (Vec<String>, String);

/// A tenant's history once an unsettled row was settled, and the `no-transaction` migration
/// that resumes (its id, the statements known done), whose row is left out of `history` so that
/// it runs.
struct Settled {
    history: Vec<strata_db::HistoryRow>,
    resume: Option<(String, usize)>,
}

/// A tenant's migrations rendered for it, and the schema hash after each.
type Rendered<'m> = (Vec<Cow<'m, str>>, Arc<Replayed>);

impl Fleet<'_> {
    /// Wave after wave, at most `concurrency` tenants at a time; once `max_failures` tenants have
    /// failed no further tenant starts, and the rest are reported skipped.
    async fn run_waves(
        &self,
        waves: &[Vec<&Tenant>],
        limits: Limits,
        mut halted: Option<String>,
        on_event: &mut dyn FnMut(Event),
    ) -> (Vec<TenantOutcome>, Vec<WaveReport>, Option<String>) {
        let mut outcomes: Vec<TenantOutcome> = Vec::new();
        let mut failures = 0;
        let mut wave_reports = Vec::new();
        for (index, wave) in waves.iter().enumerate() {
            let number = index + 1;
            let first = outcomes.len();
            if halted.is_none() {
                on_event(Event::Wave { number, size: wave.len() });
            }
            let mut queue = wave.iter();
            let mut running = FuturesUnordered::new();
            loop {
                while halted.is_none() && running.len() < limits.concurrency {
                    if let Some(why) = self.options.stop.reason() {
                        halted = Some(format!("{why} in wave {number}; no further tenant was started"));
                        break;
                    }
                    if let Some((_, deadline)) = limits.deadline.filter(|(at, _)| Instant::now() >= *at) {
                        halted = Some(format!(
                            "the deadline ({}) passed in wave {number}; no further tenant was started",
                            strata_core::duration::show(deadline)
                        ));
                        break;
                    }
                    let Some(tenant) = queue.next() else { break };
                    running.push(self.run(tenant, number));
                }
                let Some(outcome) = running.next().await else { break };
                if outcome.status == TenantStatus::Failed {
                    failures += 1;
                    if halted.is_none() && limits.max_failures.is_some_and(|max| failures >= max) {
                        halted = Some(format!(
                            "{} failed in wave {number}, reaching max_failures {}; no further tenant was started",
                            strata_core::count(failures, "tenant"),
                            limits.max_failures.unwrap_or_default()
                        ));
                    }
                }
                on_event(Event::Tenant(&outcome));
                outcomes.push(outcome);
            }
            outcomes.extend(queue.map(|tenant| TenantOutcome::skipped(tenant, number)));
            wave_reports.push(WaveReport { wave: number, counts: Summary::of(&outcomes[first..]) });
        }
        (outcomes, wave_reports, halted)
    }

    async fn run(&self, tenant: &Tenant, wave: usize) -> TenantOutcome {
        let started = Instant::now();
        let mut sql = Vec::new();
        let result = self.tenant(tenant, &mut sql).await;
        let (status, applied, error) = match result {
            Ok(applied) if applied.is_empty() => (TenantStatus::UpToDate, applied, None),
            Ok(applied) if self.options.dry_run => (TenantStatus::Pending, applied, None),
            Ok(applied) => (TenantStatus::Migrated, applied, None),
            Err((applied, error)) => (TenantStatus::Failed, applied, Some(error)),
        };
        TenantOutcome {
            tenant: tenant.id.clone(),
            wave,
            status,
            applied,
            error,
            notes: self.notes.borrow_mut().remove(&tenant.id).unwrap_or_default(),
            duration_ms: started.elapsed().as_millis(),
            sql,
        }
    }

    async fn tenant(&self, tenant: &Tenant, dry_sql: &mut Vec<(String, String)>) -> Result<Vec<String>, Failure> {
        let fail = |e: String| (Vec::new(), e);
        let since = Instant::now();
        let (order, seeds) = self.view.tenant_work(tenant).map_err(|e| fail(e.to_string()))?;
        let target = self.view.target(self.env, tenant).map_err(|e| fail(e.to_string()))?;
        spent(&self.timings, since, |t| &mut t.plan_ms);
        if !self.options.dry_run {
            let since = Instant::now();
            let peeked = self.peeker.history(&target).await;
            spent(&self.timings, since, |t| &mut t.database_ms);
            if let Some(history) = peeked.map_err(|e| fail(e.to_string()))? {
                // A failed migration is settled on the full path, under the tenant's lock.
                let failed = history.iter().any(|r| r.state.is_unsettled());
                if !failed {
                    check_history(self.view, tenant, &order, &history).map_err(fail)?;
                }
                if !failed
                    && everything_done(&order, &seeds, &history)
                    && !self.rerendered(tenant, &order, &history).await
                {
                    self.timings.borrow_mut().one_query_tenants += 1;
                    return Ok(Vec::new());
                }
            }
        }
        self.migrate(tenant, (&order, &seeds), &target, dry_sql).await
    }

    /// The full path: under the tenant's lock, on a kept connection to its server when there is
    /// one (connecting costs a server process on PostgreSQL), else a new one.
    async fn migrate(
        &self,
        tenant: &Tenant,
        work: (&[&Migration], &[Seed]),
        target: &Target,
        dry_sql: &mut Vec<(String, String)>,
    ) -> Result<Vec<String>, Failure> {
        let (env, options) = (self.env, self.options);
        let create = env.manifest.create_missing && !options.dry_run;
        let session = Session::new(env.manifest.timeouts, options.lock_timeout);
        let since = Instant::now();
        let opened = match self.peeker.take(target).filter(|_| !options.dry_run) {
            Some(conn) => TenantDb::open_on(target, conn, create, &session).await,
            None => TenantDb::open(target, create, &session).await,
        };
        let opened = match opened {
            Ok(Some(mut db)) => match db.history().await {
                Ok(history) => Ok((Some(db), history)),
                Err(e) => Err(e),
            },
            Ok(None) => Ok((None, Vec::new())),
            Err(e) => Err(e),
        };
        spent(&self.timings, since, |t| &mut t.database_ms);
        let (mut db, history) = opened.map_err(|e| (Vec::new(), e.to_string()))?;
        let result = self.run_migrations(tenant, work, target, &mut db, &history, dry_sql).await;
        if let Some(conn) = match db {
            Some(db) => db.release().await,
            None => None,
        } {
            self.peeker.give_back(target, conn);
        }
        result
    }

    async fn run_migrations(
        &self,
        tenant: &Tenant,
        (order, seeds): (&[&Migration], &[Seed]),
        target: &Target,
        db: &mut Option<TenantDb>,
        history: &[strata_db::HistoryRow],
        dry_sql: &mut Vec<(String, String)>,
    ) -> Result<Vec<String>, Failure> {
        let (view, env, options) = (self.view, self.env, self.options);
        let mut applied = Vec::new();
        let fail = |applied: &Vec<String>, e: String| (applied.clone(), e);
        if db.is_none() && !options.dry_run {
            return Err(fail(
                &applied,
                format!("{} does not exist and {} does not set create_missing: true", target.label(), env.path),
            ));
        }
        let settled = match db.as_mut().filter(|_| !options.dry_run) {
            Some(db) => self.settle_failed(tenant, order, history, db).await.map_err(|e| fail(&applied, e))?,
            None => None,
        };
        let resume = settled.as_ref().and_then(|s| s.resume.clone());
        let history = settled.as_ref().map_or(history, |s| s.history.as_slice());
        check_history(view, tenant, order, history).map_err(|e| fail(&applied, e))?;
        // An unmarked edit of a seed the tenant ran refuses the tenant before anything runs.
        let seed_runs = crate::seeds::to_run(seeds, history).map_err(|e| fail(&applied, e))?;
        let done: BTreeSet<&str> = history.iter().map(|r| r.id.as_str()).collect();
        let dialect = view.project.config.dialect;
        let context = RenderContext::for_tenant(tenant, Some(&env.name));
        let (sqls, replayed) = self.rendered(order, &context).await.map_err(|e| fail(&applied, e))?;
        // Changed variables first: the pending migrations render with the new values, so the
        // schema they start from must have them too.
        let converge = self.converge(tenant, order, history, (&sqls, &replayed)).map_err(|e| fail(&applied, e))?;
        if converge.is_none() {
            self.forget_stale_converges(tenant, history, db).await.map_err(|e| fail(&applied, e))?;
        }
        if converge.is_none() && seed_runs.is_empty() && order.iter().all(|m| done.contains(m.id().as_str())) {
            return Ok(applied);
        }
        if let Some(step) = &converge {
            self.run_converge(tenant, step, history, db, dry_sql, &mut applied).await?;
        }
        for ((migration, sql), schema_hash) in order.iter().zip(&sqls).zip(replayed.hashes.iter()) {
            let id = migration.id();
            if done.contains(id.as_str()) {
                continue;
            }
            // A dry run lists what would run, with the SQL as this tenant would get it.
            let Some(db) = db.as_mut().filter(|_| !options.dry_run) else {
                dry_sql.push((id.clone(), sql.to_string()));
                applied.push(id);
                continue;
            };
            let layer = migration.key.layer.to_string();
            let checksum = view.checksum(migration);
            let directives = &migration.directives;
            // Sent one at a time: a server runs a multi-statement string in one transaction.
            let statements = match directives.no_transaction {
                true => Some(
                    strata_schema::parse::split_statements(dialect, sql)
                        .map_err(|e| fail(&applied, format!("{}:{}: {}", migration.up_path, e.line, e.message)))?,
                ),
                false => None,
            };
            let run = MigrationRun {
                id: &id,
                layer: &layer,
                seq: migration.key.seq,
                checksum: &checksum,
                sql,
                commit_sha: &view.commit_sha,
                schema_hash,
                statements: statements.as_deref(),
                resume: resume.as_ref().filter(|(resumed, _)| *resumed == id).map(|(_, at)| *at),
                lock_timeout: directives.lock_timeout,
                statement_timeout: directives.statement_timeout,
                seed: false,
            };
            self.record(db, &run, &mut applied).await?;
        }
        // Seeds last, once each: the data a tenant's layers start it with.
        let final_hash = replayed.hashes.last().cloned().unwrap_or_else(|| hash::root(&Default::default()));
        for (id, seed) in &seed_runs {
            let sql = render(dialect, &seed.path, &seed.text, &context).map_err(|e| fail(&applied, e.to_string()))?;
            let Some(db) = db.as_mut().filter(|_| !options.dry_run) else {
                dry_sql.push((id.clone(), sql));
                applied.push(id.clone());
                continue;
            };
            let checksum = strata_migrations::sum::checksum(&seed.text);
            let run = MigrationRun {
                id,
                layer: &seed.layer,
                seq: 0,
                checksum: &checksum,
                sql: &sql,
                commit_sha: &view.commit_sha,
                schema_hash: &final_hash,
                statements: None,
                resume: None,
                lock_timeout: None,
                statement_timeout: None,
                seed: true,
            };
            self.record(db, &run, &mut applied).await?;
        }
        Ok(applied)
    }

    /// A migration that failed earlier (MySQL DDL, a `no-transaction` step) is settled here when
    /// the live schema says what happened: all of it took effect (recorded as applied) or none of
    /// it did (forgotten, to run again). Only a live schema between the two is left to `repair`.
    /// A `no-transaction` migration that recorded its progress resumes instead (see `resume`).
    /// Returns the history afterwards, when it changed.
    async fn settle_failed(
        &self,
        tenant: &Tenant,
        order: &[&Migration],
        history: &[strata_db::HistoryRow],
        db: &mut TenantDb,
    ) -> Result<Option<Settled>, String> {
        let failed = history.iter().find(|r| r.state.is_unsettled() && !r.id.starts_with(crate::snapshot::SEED_PREFIX));
        let Some(failed) = failed.filter(|f| order.iter().any(|m| m.id() == f.id)) else { return Ok(None) };
        let context = RenderContext::for_tenant(tenant, Some(&self.env.name));
        let dialect = self.view.project.config.dialect;
        // A run cut off after a data statement looks, by its schema, like one cut off before it:
        // settled by the schema it would lose rows (a backfill half done, an insert never made).
        // For a down that stopped part-way, the statements that ran are the down's.
        let reverting = failed.state == strata_db::HistoryState::Reverting;
        let migration = order.iter().find(|m| m.id() == failed.id);
        let progress = failed.statements_done.filter(|_| !reverting);
        if let Some((migration, done)) = migration.filter(|m| m.directives.no_transaction).zip(progress) {
            let at = super::resume::resume_point(
                dialect,
                (order, history),
                (failed, migration, done),
                &context,
                db,
                (&self.env.name, &tenant.id),
            )
            .await?;
            self.notes.borrow_mut().entry(tenant.id.clone()).or_default().push(at.note);
            // The row stays as it is until the run records its progress on it: a kill meanwhile
            // leaves what was known.
            let history = history.iter().filter(|r| r.id != failed.id).cloned().collect();
            return Ok(Some(Settled { history, resume: Some((failed.id.clone(), at.at)) }));
        }
        if let Some(migration) = migration {
            let (path, text) = match (reverting, &migration.down) {
                (true, Some(down)) => (migration.down_path(), down),
                _ => (migration.up_path.clone(), &migration.up),
            };
            let sql = render(dialect, &path, text, &context).map_err(|e| e.to_string())?;
            let unwitnessed = strata_schema::parse::unwitnessed_statements(dialect, &sql)
                .map_err(|e| format!("{path}:{}: {}", e.line, e.message))?;
            if !unwitnessed.is_empty() {
                return Err(unwitnessed_message(&failed.id, failed.state, &unwitnessed, &self.env.name, &tenant.id));
            }
        }
        let standing = super::repair::standing(dialect, (order, history), &failed.id, &context, db)
            .await
            .map_err(|e| e.to_string())?;
        // A `running` row is a run cut off (killed, its connection lost) before its outcome; a
        // `reverting` one a down that stopped part-way.
        let what = failed.state.what_happened();
        let (state, note) = match (standing.matches_after, standing.matches_before) {
            (true, _) => (
                Some(strata_db::HistoryState::Applied),
                format!("{} {what}, but the live schema matches the state after it: recorded as applied", failed.id),
            ),
            (false, true) if reverting => (
                None,
                format!("{} {what}, and the live schema matches the state before it: its down had taken effect, so it runs again", failed.id),
            ),
            (false, true) => (None, format!("{} {what} before any of it took effect: it runs again", failed.id)),
            (false, false) => {
                let mut why = standing.missing_for_after;
                why.extend(standing.invalid_indexes.iter().map(|i| format!("index {i} is INVALID")));
                return Err(format!(
                    "{} {what} and the live schema matches neither the state before it nor after it ({}); settle it with `strata repair --env {} --tenant {}`",
                    failed.id,
                    why.join("; "),
                    self.env.name,
                    tenant.id
                ));
            }
        };
        db.settle(&failed.id, state).await.map_err(|e| e.to_string())?;
        self.notes.borrow_mut().entry(tenant.id.clone()).or_default().push(note);
        let history = db.history().await.map_err(|e| e.to_string())?;
        Ok(Some(Settled { history, resume: None }))
    }

    /// Runs one migration or seed with its history row; `applied` gains its id unless another
    /// runner had applied it meanwhile.
    async fn record(
        &self,
        db: &mut TenantDb,
        run: &MigrationRun<'_>,
        applied: &mut Vec<String>,
    ) -> Result<(), Failure> {
        let since = Instant::now();
        let outcome = db.run(run).await;
        spent(&self.timings, since, |t| &mut t.database_ms);
        match outcome {
            Ok(RunOutcome::Applied) => applied.push(run.id.to_string()),
            Ok(RunOutcome::AlreadyApplied) => {}
            Err(e) => return Err((applied.clone(), e.to_string())),
        }
        Ok(())
    }

    /// The cheap test for changed variables, on a tenant with nothing pending: does the last
    /// recorded schema hash differ from what its migrations render to now? Only templated
    /// migrations can, and their replay is shared by tenants that render alike.
    async fn rerendered(&self, tenant: &Tenant, order: &[&Migration], history: &[strata_db::HistoryRow]) -> bool {
        if !rerender::templated(order) {
            return false;
        }
        let context = RenderContext::for_tenant(tenant, Some(&self.env.name));
        // A tenant whose migrations do not render goes the full path, which says why.
        let Ok((sqls, replayed)) = self.rendered(order, &context).await else { return true };
        let (positions, last) = rerender::applied(order, history);
        let dialect = self.view.project.config.dialect;
        rerender::recorded_differs(dialect, order, (&sqls, &replayed.hashes), &positions, last).unwrap_or(true)
    }

    /// The step that converges a tenant whose applied migrations render differently now (its
    /// variables changed), or nothing.
    fn converge(
        &self,
        tenant: &Tenant,
        order: &[&Migration],
        history: &[strata_db::HistoryRow],
        (sqls, replayed): (&[Cow<'_, str>], &Replayed),
    ) -> Result<Option<Converge>, String> {
        let (positions, last) = rerender::applied(order, history);
        if positions.is_empty() || !rerender::templated(order) {
            return Ok(None);
        }
        let dialect = self.view.project.config.dialect;
        if !rerender::recorded_differs(dialect, order, (sqls, &replayed.hashes), &positions, last)? {
            return Ok(None);
        }
        let now = rerender::hash_now(dialect, order, sqls, &replayed.hashes, &positions)?;
        let context = RenderContext::for_tenant(tenant, Some(&self.env.name));
        rerender::converge(
            dialect,
            (tenant, &self.env.name),
            (order, history),
            &positions,
            (&context, &now),
            (&self.past, &self.view.commit_sha),
        )
    }

    /// A converging step left failed (or cut off) whose effect the schema has, by a later run:
    /// nothing is left to converge, so its row is forgotten rather than kept as a failure.
    async fn forget_stale_converges(
        &self,
        tenant: &Tenant,
        history: &[strata_db::HistoryRow],
        db: &mut Option<TenantDb>,
    ) -> Result<(), String> {
        let Some(db) = db.as_mut().filter(|_| !self.options.dry_run) else { return Ok(()) };
        let stale = history.iter().filter(|r| r.id.starts_with(rerender::VARS_PREFIX) && r.state.is_unsettled());
        for row in stale {
            db.settle(&row.id, None).await.map_err(|e| e.to_string())?;
            self.notes.borrow_mut().entry(tenant.id.clone()).or_default().push(format!(
                "{} {}, and the tenant's schema has its variables now: forgotten",
                row.id,
                if row.state == strata_db::HistoryState::Running { "was cut off" } else { "had failed" }
            ));
        }
        Ok(())
    }

    /// Runs (or, in a dry run, lists) a converging step, recorded under its `vars:` id, and says
    /// so in the tenant's notes. A failed earlier attempt is forgotten first: the step is
    /// computed again from the history, and the same id would otherwise be refused.
    async fn run_converge(
        &self,
        tenant: &Tenant,
        step: &Converge,
        history: &[strata_db::HistoryRow],
        db: &mut Option<TenantDb>,
        dry_sql: &mut Vec<(String, String)>,
        applied: &mut Vec<String>,
    ) -> Result<(), Failure> {
        let Some(db) = db.as_mut().filter(|_| !self.options.dry_run) else {
            dry_sql.push((step.id.clone(), step.sql.clone()));
            applied.push(step.id.clone());
            return Ok(());
        };
        if history.iter().any(|r| r.id == step.id && !r.state.is_done()) {
            db.settle(&step.id, None).await.map_err(|e| (applied.clone(), e.to_string()))?;
        }
        let layer = format!("tenant.{}", tenant.id);
        let checksum = strata_migrations::sum::checksum(&step.sql);
        let run = MigrationRun {
            id: &step.id,
            layer: &layer,
            seq: 0,
            checksum: &checksum,
            sql: &step.sql,
            commit_sha: &self.view.commit_sha,
            schema_hash: &step.schema_hash,
            statements: None,
            resume: None,
            lock_timeout: None,
            statement_timeout: None,
            seed: false,
        };
        self.record(db, &run, applied).await?;
        let summaries: Vec<&str> = step.steps.iter().map(|s| s.summary.as_str()).collect();
        self.notes.borrow_mut().entry(tenant.id.clone()).or_default().push(format!(
            "{}: its variables changed since it applied its migrations; converged with {} ({})",
            rerender::tenant_file(tenant),
            step.id,
            summaries.join("; ")
        ));
        Ok(())
    }

    /// Each migration rendered for the tenant, and the schema hash after each.
    async fn rendered<'m>(&self, order: &[&'m Migration], context: &RenderContext) -> Result<Rendered<'m>, String> {
        let dialect = self.view.project.config.dialect;
        let since = Instant::now();
        let sqls = rendered(dialect, order, context)?;
        let (replayed, parsed) = self.replays.get(dialect, order, &sqls).await?;
        spent(&self.timings, since, |t| &mut t.parse_ms);
        if parsed {
            self.timings.borrow_mut().parsed_sequences += 1;
        }
        Ok((sqls, replayed))
    }
}

/// Whether a tenant with `history` has every migration and seed (a refused seed is not done: the
/// full path says why).
/// Why a cut-off or failed migration holding data statements is left to a person, and how to
/// record what they find.
fn unwitnessed_message(
    id: &str,
    state: strata_db::HistoryState,
    statements: &[String],
    env: &str,
    tenant: &str,
) -> String {
    let what = match state {
        strata_db::HistoryState::Running => "was cut off",
        _ => "had failed",
    };
    let shown: Vec<String> = statements
        .iter()
        .take(3)
        .map(|s| {
            let line = s.lines().next().unwrap_or_default();
            let short: String = line.chars().take(80).collect();
            format!("`{short}{}`", if short.len() < s.len() { "…" } else { "" })
        })
        .collect();
    let more = statements.len().saturating_sub(shown.len());
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!(
        "{id} {what} and holds {} the schema cannot witness ({}{more}): they may or may not have run, so strata will not decide. Look at the tenant's rows, then record it with `strata repair --env {env} --tenant {tenant} --mark applied` (it counts as done) or `--mark rolled-back` (the next apply runs all of it again)",
        strata_core::count(statements.len(), "data statement"),
        shown.join(", ")
    )
}

fn everything_done(order: &[&Migration], seeds: &[Seed], history: &[strata_db::HistoryRow]) -> bool {
    let done: BTreeSet<&str> = history.iter().map(|r| r.id.as_str()).collect();
    order.iter().all(|m| done.contains(m.id().as_str()))
        && crate::seeds::to_run(seeds, history).is_ok_and(|r| r.is_empty())
}
