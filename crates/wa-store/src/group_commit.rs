//! Group commit: small writes from concurrent callers share one transaction and one commit.
//!
//! Every `POST …/messages` stores one message and every accepted send records one wamid. Each
//! alone is a short transaction that ends by taking its tenant's event counter and committing:
//! on PostgreSQL one WAL flush per message, on SQLite one turn of the single writer lock. Under
//! load the callers queue behind each other's commits, and the database, not the work, sets
//! the pace.
//!
//! Here each such write is a [`Write`]: a value that knows how to apply itself inside a given
//! transaction and says which events it produced. Callers submit writes; a few committer tasks
//! take whatever has queued up (up to [`MAX_BATCH`]), run the writes one after another in one
//! transaction, append every write's events at the end (one counter update per tenant,
//! `append_groups_in`), commit once, and answer each caller. Nothing waits on purpose: an idle
//! committer takes a lone write at once, so a quiet system sees the latency of a plain
//! transaction, and a busy one gets batches as large as its backlog.
//!
//! # Guarantees
//! - A caller is answered only after the commit that holds its write, so "answered" still means
//!   "durable", exactly as with a transaction of its own.
//! - Writes are isolated from each other's failures: if any write of a batch fails, or the
//!   commit fails (a deadlock, a serialization failure), the batch is rolled back and every
//!   write is run again alone in its own transaction, and each caller gets its own outcome.
//!   A batch takes the rows of its writes write after write, not in one global order, so two
//!   batches touching the same rows (the same message's statuses delivered twice, at once) can
//!   deadlock on PostgreSQL. A batch therefore waits at most [`BATCH_LOCK_TIMEOUT`] for a row
//!   (not PostgreSQL's one-second deadlock detection); past it the batch is rolled back and its
//!   writes run alone, retried a few times when they meet such a conflict again.
//!   A [`Write`] must therefore be safe to run again after a rollback (all of ours are: they
//!   only read and write the database).
//! - A submitted write is carried out even if its caller stops waiting (a client hung up on the
//!   API): it is not rolled back, as a transaction of the caller's own would be when dropped
//!   before its commit. The outcome is the one of a caller who lost the answer to a committed
//!   write, which callers already handle (idempotency keys, monotonic statuses).
//! - Lock order rows → tenant holds for the batch as a whole: the writes take their rows, the
//!   tenants' counters are taken last, in tenant-id order.
//! - Committers are started on first use on the caller's runtime; if that runtime has gone away
//!   (a test's runtime ended while the store lives on) a write runs in a transaction of its own
//!   instead of being lost.
//!
//! SQLite has one writer, so it gets one committer; PostgreSQL gets [`POSTGRES_COMMITTERS`], so
//! one batch's statements run while another waits for its flush.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex as StdMutex,
        atomic::{AtomicU64, Ordering},
    },
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};
use tokio::sync::{Mutex, mpsc, oneshot};
use wa_domain::{event::NewEvent, ids::TenantId, ports::StoreError};

use crate::{
    error::classify,
    repo::{begin_write, event_log::append_groups_in, finish},
};

/// Writes in one transaction at most: bounds how long one batch holds its locks (and SQLite's
/// write lock), and how much one failure makes run again.
pub(crate) const MAX_BATCH: usize = 128;

/// Committer tasks on PostgreSQL: while one waits for its commit to be flushed, another runs its
/// batch's statements.
pub(crate) const POSTGRES_COMMITTERS: usize = 4;

/// Writes queued beyond the committers before callers wait to submit (back-pressure).
const QUEUE: usize = 4 * MAX_BATCH;

/// A future that borrows the transaction it runs in.
pub(crate) type WriteFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a write did: its result for the caller, and the events of its change for its tenant's
/// log (appended by the batch, last).
pub(crate) struct Written<T> {
    pub(crate) value: T,
    pub(crate) tenant: TenantId,
    pub(crate) events: Vec<NewEvent>,
}

/// One small write, applied inside a transaction it does not own.
pub(crate) trait Write: Send + Sync + 'static {
    /// What the caller gets back.
    type Output: Send + 'static;

    /// Applies the write in `txn`, without appending events (it returns them).
    fn apply<'a>(&'a self, txn: &'a DatabaseTransaction) -> WriteFuture<'a, Written<Self::Output>>;
}

/// A submitted write and the caller waiting for it, with its type erased.
trait Job: Send {
    /// Runs the write in `txn` and keeps its output; returns its tenant and events.
    fn run<'a>(
        &'a mut self,
        txn: &'a DatabaseTransaction,
    ) -> WriteFuture<'a, (TenantId, Vec<NewEvent>)>;

    /// Answers the caller: the kept output once the batch committed, or the error.
    fn answer(self: Box<Self>, outcome: Result<(), StoreError>);
}

struct Submitted<W: Write> {
    write: W,
    output: Option<W::Output>,
    reply: oneshot::Sender<Result<W::Output, StoreError>>,
}

impl<W: Write> Job for Submitted<W> {
    fn run<'a>(
        &'a mut self,
        txn: &'a DatabaseTransaction,
    ) -> WriteFuture<'a, (TenantId, Vec<NewEvent>)> {
        Box::pin(async move {
            let written = self.write.apply(txn).await?;
            self.output = Some(written.value);
            Ok((written.tenant, written.events))
        })
    }

    fn answer(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Self { output, reply, .. } = *self;
        let result = outcome.and_then(|()| {
            output.ok_or_else(|| {
                StoreError::Other("a grouped write committed without its result".into())
            })
        });
        // The caller may have gone away (its request was cancelled); the write stands.
        let _ = reply.send(result);
    }
}

/// The shared queue of writes and the committers that empty it. Cheap to clone.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    sender: mpsc::Sender<Box<dyn Job>>,
    /// The receiving end until the first write starts the committers.
    idle: StdMutex<Option<mpsc::Receiver<Box<dyn Job>>>>,
    committers: usize,
    counters: Arc<Counters>,
}

/// What the committers have done so far (for metrics and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Transactions that carried more than one write and committed.
    pub batches: u64,
    /// Writes committed inside those transactions.
    pub batched_writes: u64,
    /// Writes that ran in a transaction of their own: alone in the queue, or run again after
    /// their batch failed.
    pub alone: u64,
    /// Batches rolled back because one of their writes (or the commit) failed.
    pub failed_batches: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    batched_writes: AtomicU64,
    alone: AtomicU64,
    failed_batches: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("committers", &self.inner.committers)
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// A queue for `db`; committers start with the first write.
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        let committers = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_COMMITTERS,
            _ => 1,
        };
        let (sender, receiver) = mpsc::channel(QUEUE);
        Self {
            inner: Arc::new(Inner {
                db,
                sender,
                idle: StdMutex::new(Some(receiver)),
                committers,
                counters: Arc::default(),
            }),
        }
    }

    /// Applies `write` in a shared transaction and returns its output once that committed.
    ///
    /// # Errors
    /// What the write itself returns when run alone, or the commit's failure.
    pub(crate) async fn run<W: Write>(&self, write: W) -> Result<W::Output, StoreError> {
        self.start();
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Submitted {
            write,
            output: None,
            reply,
        });
        if let Err(mpsc::error::SendError(job)) = self.inner.sender.send(job).await {
            // No committer is left (its runtime ended): the write runs alone.
            run_alone(&self.inner.db, job, &self.inner.counters).await;
        }
        match answer.await {
            Ok(result) => result,
            // The committer was dropped mid-batch (its runtime shut down): the outcome is
            // unknown, which the caller must treat like any interrupted write.
            Err(_) => Err(StoreError::Unavailable(
                "the write was interrupted before it was answered".into(),
            )),
        }
    }

    /// What the committers have done so far.
    pub(crate) fn stats(&self) -> GroupCommitStats {
        let counters = &self.inner.counters;
        GroupCommitStats {
            batches: counters.batches.load(Ordering::Relaxed),
            batched_writes: counters.batched_writes.load(Ordering::Relaxed),
            alone: counters.alone.load(Ordering::Relaxed),
            failed_batches: counters.failed_batches.load(Ordering::Relaxed),
        }
    }

    fn start(&self) {
        let Some(receiver) = self.inner.idle.lock().ok().and_then(|mut idle| idle.take()) else {
            return;
        };
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..self.inner.committers {
            tokio::spawn(commit_loop(
                self.inner.db.clone(),
                receiver.clone(),
                self.inner.counters.clone(),
            ));
        }
    }
}

/// One committer: takes what has queued (at least one write, at most [`MAX_BATCH`]) and commits
/// it as one batch, until every sender is gone.
async fn commit_loop(
    db: DatabaseConnection,
    queue: Arc<Mutex<mpsc::Receiver<Box<dyn Job>>>>,
    counters: Arc<Counters>,
) {
    loop {
        let mut batch = Vec::new();
        {
            let mut receiver = queue.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        metrics::histogram!("wa_store_group_commit_writes").record(batch.len() as f64);
        if batch.len() == 1 {
            if let Some(job) = batch.pop() {
                run_alone(&db, job, &counters).await;
            }
            continue;
        }
        match run_batch(&db, &mut batch).await {
            Ok(()) => {
                counters.batches.fetch_add(1, Ordering::Relaxed);
                counters
                    .batched_writes
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for job in batch {
                    job.answer(Ok(()));
                }
            }
            // Something in the batch failed: each write again alone, with its own outcome.
            Err(error) => {
                counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %error, writes = batch.len(),
                    "a grouped transaction failed; its writes run again one by one");
                for job in batch {
                    run_alone(&db, job, &counters).await;
                }
            }
        }
    }
}

/// How long a batch's writes wait for a row lock on PostgreSQL before the batch gives up and its
/// writes run alone. Two batches can take rows in opposite orders (see the module docs); the
/// database would find that deadlock only after its `deadlock_timeout` (one second by default),
/// stalling every write of the batch meanwhile. A wait this long on a message or conversation
/// row means such a cycle, or the rare collision of two writes of one message (its `accepted`
/// and its first status at once), which the lone re-runs settle just as well.
const BATCH_LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '200ms'";

/// The batch in one transaction: every write, then every event, then the commit.
async fn run_batch(db: &DatabaseConnection, batch: &mut [Box<dyn Job>]) -> Result<(), StoreError> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let txn = begin_write(db).await?;
    let result = async {
        if postgres {
            txn.execute_unprepared(BATCH_LOCK_TIMEOUT)
                .await
                .map_err(classify)?;
        }
        let mut groups = Vec::with_capacity(batch.len());
        for job in batch.iter_mut() {
            groups.push(job.run(&txn).await?);
        }
        if postgres {
            // The tenants' counters are taken in one order by every batch: waiting for them is
            // queueing behind other commits, never a deadlock.
            txn.execute_unprepared("SET LOCAL lock_timeout TO DEFAULT")
                .await
                .map_err(classify)?;
        }
        append_groups_in(&txn, groups).await?;
        Ok(())
    }
    .await;
    finish(txn, result).await
}

/// Attempts of a write run alone, when the database reports a conflict a retry resolves.
const ALONE_ATTEMPTS: u32 = 4;

/// One write in a transaction of its own, answered.
///
/// A lone write can still meet a deadlock on PostgreSQL: a batch of another committer holds the
/// rows of several writes, taken write after write rather than in one global order. The
/// database then aborts one side; a lone write aborted so (or by a serialization failure, or a
/// busy SQLite) runs again after a short pause, a few times, before its caller hears of it.
async fn run_alone(db: &DatabaseConnection, mut job: Box<dyn Job>, counters: &Counters) {
    counters.alone.fetch_add(1, Ordering::Relaxed);
    let mut attempt = 1;
    let outcome = loop {
        let outcome = async {
            let txn = begin_write(db).await?;
            let result = async {
                let group = job.run(&txn).await?;
                append_groups_in(&txn, vec![group]).await?;
                Ok(())
            }
            .await;
            finish(txn, result).await
        }
        .await;
        match outcome {
            Err(StoreError::Unavailable(_)) if attempt < ALONE_ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis(5 << (2 * attempt))).await;
                attempt += 1;
            }
            other => break other,
        }
    };
    job.answer(outcome);
}
