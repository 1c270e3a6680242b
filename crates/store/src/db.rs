//! Connections, transactions and the query executor shared by both backends.

use crate::StoreError;
use crate::audit::NewAudit;
use crate::dialect::placeholders;
use crate::feed::Unnumbered;
use crate::vault::Vault;
use sea_query::Value;
use sea_query_sqlx::SqlxValues;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{
    AssertSqlSafe, FromRow, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool,
    Transaction,
};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// How to open the store.
#[derive(Debug, Clone)]
pub enum StoreOptions {
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl StoreOptions {
    /// Chooses the backend: a `postgres://` URL if one is given, else a SQLite file in `data_dir`.
    pub fn from_config(database_url: Option<&str>, data_dir: &std::path::Path) -> StoreOptions {
        match database_url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                StoreOptions::Postgres(u.to_owned())
            }
            Some(u) => StoreOptions::Sqlite(PathBuf::from(u.trim_start_matches("sqlite://"))),
            None => StoreOptions::Sqlite(data_dir.join("shanzhi.db")),
        }
    }
}

/// SQLite's page cache per connection, KiB.
pub(crate) const CACHE_KIB: u32 = 16_384;

/// Past this length the SQLite WAL is started over, and its file is cut back to it when it is
/// (64 MiB).
const WAL_LIMIT_BYTES: u64 = 64 << 20;

/// A WAL frame's page: SQLite's default page size, which the store never changes.
const WAL_FRAME_BYTES: i64 = 4096;

/// How long a SQLite statement waits for a lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per SQLite connection (the driver's default is 100).
const STATEMENTS: usize = 400;

/// A portable SQL statement: text with `?` placeholders and the values to bind, in order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// A statement with no values yet.
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Binds the next `?`.
    pub fn bind(mut self, v: impl Into<Value>) -> Sql {
        self.values.push(v.into());
        self
    }

    /// Appends text (for optional clauses).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends text containing one `?` and binds it.
    pub fn push_bind(&mut self, text: &str, v: impl Into<Value>) -> &mut Sql {
        self.text.push_str(text);
        self.values.push(v.into());
        self
    }

    /// Appends `text (?, ?, …)` with one bound value per item (callers make sure the list is
    /// not empty: `IN ()` is not valid SQL).
    pub fn push_list<V: Into<Value>>(
        &mut self,
        text: &str,
        items: impl IntoIterator<Item = V>,
    ) -> &mut Sql {
        self.text.push_str(text);
        self.text.push_str(" (");
        for (i, v) in items.into_iter().enumerate() {
            self.text.push_str(if i == 0 { "?" } else { ", ?" });
            self.values.push(v.into());
        }
        self.text.push(')');
        self
    }
}

/// A row type readable from both backends.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A connection of either backend, borrowed for one statement.
pub enum Target<'a> {
    /// SQLite.
    Sqlite(&'a mut SqliteConnection),
    /// PostgreSQL.
    Postgres(&'a mut PgConnection),
}

impl Sql {
    /// The text for `backend` and the values to bind. The text is only ever assembled from
    /// constant fragments in this crate; every value travels as a bound parameter, which is why
    /// it may be asserted safe.
    fn into_parts(self, backend: Backend) -> (String, SqlxValues) {
        let text = placeholders(&self.text, backend).into_owned();
        (text, SqlxValues(sea_query::Values(self.values)))
    }
}

/// Anything statements can run on: a pooled connection or a transaction.
pub trait Exec: Send {
    /// The connection to run the next statement on.
    fn target(&mut self) -> Target<'_>;

    /// Which database this is (for the few statements that differ).
    fn backend(&mut self) -> Backend {
        match self.target() {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement and returns the rows it affected.
    fn exec(&mut self, sql: Sql) -> impl Future<Output = Result<u64, StoreError>> + Send {
        async move { exec_on(self.target(), sql).await }
    }

    /// Runs a query and decodes every row.
    fn all<T: Record>(
        &mut self,
        sql: Sql,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send {
        async move {
            Ok(match self.target() {
                Target::Sqlite(c) => {
                    let (t, a) = sql.into_parts(Backend::Sqlite);
                    sqlx::query_as_with::<_, T, _>(AssertSqlSafe(t), a)
                        .fetch_all(c)
                        .await?
                }
                Target::Postgres(c) => {
                    let (t, a) = sql.into_parts(Backend::Postgres);
                    sqlx::query_as_with::<_, T, _>(AssertSqlSafe(t), a)
                        .fetch_all(c)
                        .await?
                }
            })
        }
    }

    /// Runs a query and decodes the first row, if any.
    fn opt<T: Record>(
        &mut self,
        sql: Sql,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send {
        async move {
            Ok(match self.target() {
                Target::Sqlite(c) => {
                    let (t, a) = sql.into_parts(Backend::Sqlite);
                    sqlx::query_as_with::<_, T, _>(AssertSqlSafe(t), a)
                        .fetch_optional(c)
                        .await?
                }
                Target::Postgres(c) => {
                    let (t, a) = sql.into_parts(Backend::Postgres);
                    sqlx::query_as_with::<_, T, _>(AssertSqlSafe(t), a)
                        .fetch_optional(c)
                        .await?
                }
            })
        }
    }

    /// Runs a query that must return exactly one row.
    fn one<T: Record>(&mut self, sql: Sql) -> impl Future<Output = Result<T, StoreError>> + Send {
        async move {
            self.opt(sql)
                .await?
                .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
        }
    }
}

/// Runs a statement on a connection and returns the rows it affected.
async fn exec_on(target: Target<'_>, sql: Sql) -> Result<u64, StoreError> {
    Ok(match target {
        Target::Sqlite(c) => {
            let (t, a) = sql.into_parts(Backend::Sqlite);
            sqlx::query_with(AssertSqlSafe(t), a)
                .execute(c)
                .await?
                .rows_affected()
        }
        Target::Postgres(c) => {
            let (t, a) = sql.into_parts(Backend::Postgres);
            sqlx::query_with(AssertSqlSafe(t), a)
                .execute(c)
                .await?
                .rows_affected()
        }
    })
}

/// A pooled connection.
pub struct Conn {
    inner: ConnInner,
    chain: Option<Arc<Vault>>,
    settler: Option<Arc<Settler>>,
}

enum ConnInner {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Exec for Conn {
    fn target(&mut self) -> Target<'_> {
        match &mut self.inner {
            ConnInner::Sqlite(c) => Target::Sqlite(c),
            ConnInner::Postgres(c) => Target::Postgres(c),
        }
    }

    /// A write made for a write request runs in a transaction of its own that also carries
    /// the request's audit record, so no change is ever without its record.
    async fn exec(&mut self, sql: Sql) -> Result<u64, StoreError> {
        let Some(record) = crate::audit::request_record() else {
            return exec_on(self.target(), sql).await;
        };
        let chain = self.chain.clone();
        let n = {
            let mut tx = match &mut self.inner {
                ConnInner::Sqlite(c) => {
                    TxRef::Sqlite(sqlx::Connection::begin_with(&mut **c, "BEGIN IMMEDIATE").await?)
                }
                ConnInner::Postgres(c) => TxRef::Postgres(sqlx::Connection::begin(&mut **c).await?),
            };
            let n = tx.exec(sql).await?;
            crate::audit::write(&mut tx, &[record], chain.as_deref()).await?;
            match tx {
                TxRef::Sqlite(t) => t.commit().await?,
                TxRef::Postgres(t) => t.commit().await?,
            }
            n
        };
        if let Some(settler) = &self.settler {
            settler.after_commit().await;
        }
        Ok(n)
    }
}

impl Conn {
    /// Runs a statement that keeps the server's own books (limit counters): it describes no
    /// change anyone answers for, so it carries no audit record even inside a write request.
    pub async fn bookkeeping(&mut self, sql: Sql) -> Result<u64, StoreError> {
        exec_on(self.target(), sql).await
    }
}

/// A transaction on a borrowed connection.
enum TxRef<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

impl Exec for TxRef<'_> {
    fn target(&mut self) -> Target<'_> {
        match self {
            TxRef::Sqlite(t) => Target::Sqlite(t),
            TxRef::Postgres(t) => Target::Postgres(t),
        }
    }
}

/// A transaction; dropped without [`Tx::commit`] it rolls back, so nothing is half-written.
/// The audit records it carries ([`Tx::audit`]) are sealed into the chain and written by its
/// commit, so a change and its record stand or fall together.
pub struct Tx {
    inner: TxInner,
    /// PostgreSQL: who gives positions after the commit ([`Store::settle`]).
    settler: Option<Arc<Settler>>,
    chain: Option<Arc<Vault>>,
    audit: Vec<NewAudit>,
    feed: Vec<(shanzhi_domain::notify::FeedKind, String)>,
    feed_at: i64,
}

enum TxInner {
    /// SQLite (`BEGIN IMMEDIATE`: takes the write lock up front, so read-then-write
    /// transactions never fail on lock upgrade).
    Sqlite(WriteTx),
    /// PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

impl Exec for Tx {
    fn target(&mut self) -> Target<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => t.target(),
            TxInner::Postgres(t) => Target::Postgres(t),
        }
    }
}

/// The SQLite write connection: taken in turn, first come first served, by one write
/// transaction at a time. It is not pooled: a pool returns a connection through a task of its
/// own and tests it with a round trip when it is returned and again when it is taken, which
/// under load kept the next batch of reports waiting about 2 ms behind the last (BENCHMARKS.md).
/// Closed, it holds nothing.
type Writer = Arc<tokio::sync::Mutex<Option<SqliteConnection>>>;

/// A transaction on the SQLite write connection; dropped before its commit, it rolls back (the
/// rollback is queued to the connection's worker ahead of whatever the next holder runs).
struct WriteTx {
    conn: tokio::sync::OwnedMappedMutexGuard<Option<SqliteConnection>, SqliteConnection>,
    open: bool,
}

type SqliteTransactions = <Sqlite as sqlx::Database>::TransactionManager;

impl WriteTx {
    /// Waits its turn for the write connection (as long as a statement waits for a lock);
    /// nothing is begun yet.
    async fn take(writer: &Writer) -> Result<WriteTx, StoreError> {
        let held = tokio::time::timeout(BUSY_TIMEOUT, writer.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
        let conn = tokio::sync::OwnedMutexGuard::try_map(held, Option::as_mut)
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        Ok(WriteTx { conn, open: false })
    }

    /// `BEGIN IMMEDIATE` on the held connection.
    async fn begin(mut self) -> Result<WriteTx, StoreError> {
        use sqlx_core::transaction::TransactionManager;
        SqliteTransactions::begin(
            &mut self.conn,
            Some(sqlx::SqlStr::from_static("BEGIN IMMEDIATE")),
        )
        .await?;
        self.open = true;
        Ok(self)
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        use sqlx_core::transaction::TransactionManager;
        SqliteTransactions::commit(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }
}

impl Exec for WriteTx {
    fn target(&mut self) -> Target<'_> {
        Target::Sqlite(&mut self.conn)
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            use sqlx_core::transaction::TransactionManager;
            SqliteTransactions::start_rollback(&mut self.conn);
        }
    }
}

impl Tx {
    /// Adds audit records to what this transaction writes at its commit.
    pub fn audit(&mut self, items: impl IntoIterator<Item = NewAudit>) {
        self.audit.extend(items);
    }

    /// Adds an entry to the change feed every process follows, written by this
    /// transaction's commit (`at`: when, ms).
    pub fn publish(&mut self, kind: shanzhi_domain::notify::FeedKind, payload: String, at: i64) {
        self.feed.push((kind, payload));
        self.feed_at = self.feed_at.max(at);
    }

    /// Writes the audit records — this transaction's own and the request's it runs for —
    /// and the change feed's entries, commits, and (PostgreSQL) gives them their positions.
    pub async fn commit(self) -> Result<(), StoreError> {
        if let Some(settler) = self.end().await? {
            settler.after_commit().await;
        }
        Ok(())
    }

    /// Commits as [`Tx::commit`] does but returns without waiting for the positions
    /// (PostgreSQL): a pass is started and gives them within milliseconds. For the report
    /// intake, whose answers depend on nothing but durability; its commits then do not queue
    /// behind the deployment's one pass at a time.
    pub async fn commit_durable(self) -> Result<(), StoreError> {
        if let Some(settler) = self.end().await? {
            settler.wanted.notify_one();
        }
        Ok(())
    }

    /// Writes what the commit carries and commits; returns the settler when a pass is needed.
    async fn end(mut self) -> Result<Option<Arc<Settler>>, StoreError> {
        let mut items = std::mem::take(&mut self.audit);
        items.extend(crate::audit::request_record());
        let chain = self.chain.clone();
        if !items.is_empty() {
            crate::audit::write(&mut self, &items, chain.as_deref()).await?;
        }
        let feed = std::mem::take(&mut self.feed);
        let written = if feed.is_empty() {
            Vec::new()
        } else {
            let at = self.feed_at;
            crate::feed::write(&mut self, &feed, at).await?
        };
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        let settler = self
            .settler
            .filter(|_| !items.is_empty() || !feed.is_empty());
        if let Some(s) = &settler {
            s.written
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(written);
        }
        Ok(settler)
    }
}

/// Key of the advisory lock [`settle`] runs under (one per deployment: every process's passes
/// take turns).
const SETTLE_LOCK: i64 = 4_508_020_002;

/// PostgreSQL: gives positions to what commits left without — chains the audit records
/// committed with their own seal and numbers the change feed's entries, in the order they
/// became visible — in one short transaction under a deployment-wide advisory lock. Only these
/// passes take turns; the commits themselves run side by side, whichever process makes them.
async fn settle(
    c: &mut PgConnection,
    chain: Option<&Vault>,
    feed: Unnumbered<'_>,
) -> Result<(), StoreError> {
    let mut tx = TxRef::Postgres(sqlx::Connection::begin(c).await?);
    tx.exec(Sql::new("SELECT pg_advisory_xact_lock(?)").bind(SETTLE_LOCK))
        .await?;
    settle_in(&mut tx, chain, feed).await?;
    if let TxRef::Postgres(t) = tx {
        t.commit().await?;
    }
    Ok(())
}

/// The pass itself, in a transaction that holds the settle lock (SQLite: the write lock).
async fn settle_in(
    tx: &mut impl Exec,
    chain: Option<&Vault>,
    feed: Unnumbered<'_>,
) -> Result<(), StoreError> {
    if let Some(vault) = chain {
        crate::audit::chain_pending(tx, vault).await?;
    }
    crate::feed::number(tx, feed).await?;
    Ok(())
}

/// Runs the passes of one process (PostgreSQL), one at a time: a commit waits for a pass that
/// began after it ended, and every commit that ended before a pass began shares it — the
/// passes' own commits are grouped as the intake's are, so they keep up with any load.
#[derive(Debug)]
struct Settler {
    pool: PgPool,
    chain: Option<Arc<Vault>>,
    pass: tokio::sync::Mutex<()>,
    /// Passes begun.
    begun: AtomicU64,
    /// Change-feed entries this process's commits wrote, for the next pass to number.
    written: std::sync::Mutex<Vec<i64>>,
    /// A pass is asked to look for every entry without a position ([`Store::settle`]).
    scan: AtomicBool,
    /// Wakes the task that runs passes for commits that did not wait ([`Tx::commit_durable`]);
    /// commits during a pass leave one wake-up, so one more pass follows.
    wanted: Arc<tokio::sync::Notify>,
}

impl Drop for Settler {
    fn drop(&mut self) {
        self.wanted.notify_one();
    }
}

impl Settler {
    /// Returns once a pass that began after this call has ended. The change is durable
    /// whatever happens here, so a failure is logged, and the next pass (any commit's, or a
    /// feed follower's every few seconds) does it.
    async fn after_commit(&self) {
        if let Err(e) = self.settle().await {
            tracing::warn!(error = %e, "settling after commit");
        }
    }

    /// As [`Settler::after_commit`], and the pass also looks for entries that no process's
    /// own list names.
    async fn settle_all(&self) -> Result<(), StoreError> {
        self.scan.store(true, Ordering::Release);
        self.settle().await
    }

    async fn settle(&self) -> Result<(), StoreError> {
        let needed = self.begun.load(Ordering::Acquire) + 1;
        let _turn = self.pass.lock().await;
        // A pass numbered `needed` began after the call; holding the turn, it has ended.
        if self.begun.load(Ordering::Acquire) >= needed {
            return Ok(());
        }
        self.begun.fetch_add(1, Ordering::AcqRel);
        let scan = self.scan.swap(false, Ordering::AcqRel);
        let written = std::mem::take(&mut *self.written.lock().unwrap_or_else(|p| p.into_inner()));
        let feed = if scan {
            Unnumbered::All
        } else {
            Unnumbered::Written(&written)
        };
        // What a failed pass took is left to the next scan (followers ask for one every few
        // seconds).
        settle(
            &mut *self.pool.acquire().await?,
            self.chain.as_deref(),
            feed,
        )
        .await
    }
}

/// Wakes when another commit wrote to the change feed ([`Store::listen`]).
pub struct FeedListener(sqlx::postgres::PgListener);

impl FeedListener {
    /// Waits for the next notification. After a lost connection it reconnects and listens
    /// again; what was sent meanwhile is not lost, only late (followers also look every few
    /// seconds).
    pub async fn next(&mut self) -> Result<(), StoreError> {
        self.0.recv().await?;
        Ok(())
    }
}

/// Held while a process seeds the database at start-up ([`Store::startup_lock`]).
pub struct StartupLock(Option<Transaction<'static, Postgres>>);

impl StartupLock {
    /// Lets the next process start.
    pub async fn release(self) -> Result<(), StoreError> {
        if let Some(tx) = self.0 {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// The store: a pool on one backend, and the key that seals the audit chain.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    chain: Option<Arc<Vault>>,
    settler: Option<Arc<Settler>>,
    /// SQLite: what the checkpoints know of the WAL.
    wal: Arc<Wal>,
    /// SQLite: held by the tally fold, which sums outside the write lock (one process).
    folding: Arc<tokio::sync::Mutex<()>>,
}

/// What the checkpoints know of a SQLite WAL.
#[derive(Debug)]
struct Wal {
    /// Its length in frames at the last checkpoint, to tell a quiet second.
    frames: AtomicI64,
    /// Past the limit: the next write transaction starts it over first.
    restart: AtomicBool,
}

/// A checkpoint that must wait for readers to leave the WAL and holds writers off meanwhile
/// (`RESTART` or `TRUNCATE`): it waits a tenth of a second at most, and answers (busy, frames,
/// copied), busy being 1 when it gave up (it is tried again a second later).
async fn brief_checkpoint(
    conn: &mut SqliteConnection,
    mode: &'static str,
) -> Result<(i64, i64, i64), StoreError> {
    sqlx::query("PRAGMA busy_timeout = 100")
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query_as(AssertSqlSafe(format!("PRAGMA wal_checkpoint({mode})")))
        .fetch_one(&mut *conn)
        .await;
    sqlx::query(AssertSqlSafe(format!(
        "PRAGMA busy_timeout = {}",
        BUSY_TIMEOUT.as_millis()
    )))
    .execute(&mut *conn)
    .await?;
    Ok(done?)
}

#[derive(Debug, Clone)]
enum Pool {
    /// SQLite: connections for reads, and the one for write transactions.
    Sqlite {
        read: SqlitePool,
        write: Writer,
    },
    Postgres(PgPool),
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(opts: &StoreOptions) -> Result<Store, StoreError> {
        let pool = match opts {
            StoreOptions::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::files::private_dir(dir)?;
                }
                // Created here, owner-only: SQLite gives its -wal and -shm files the same mode.
                if !path.exists() {
                    crate::files::private_file(path)?;
                }
                // WAL lets readers run beside the writer; NORMAL sync in WAL mode survives a
                // process crash (kill -9) and loses at most the last commits on power loss.
                let o = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    // 16 MiB of page cache per connection (the default is 2 MiB): the case
                    // table's indexes stay in memory under a steady stream of reports.
                    .pragma("cache_size", format!("-{CACHE_KIB}"))
                    // Checkpoints run from a background task (`Store::checkpoint`), not inside
                    // whichever commit happens to cross the WAL threshold: that commit would
                    // wait for the checkpoint's fsync, and every report queued behind it too.
                    .pragma("wal_autocheckpoint", "0")
                    // When the WAL starts over (every frame copied, no reader behind), its file
                    // is cut back to this size instead of keeping a burst's length.
                    .pragma("journal_size_limit", WAL_LIMIT_BYTES.to_string())
                    // Room for every statement the write connection runs, with multi-row
                    // statements in their few lengths (`bulk::runs`), so none is prepared again.
                    .statement_cache_capacity(STATEMENTS)
                    .busy_timeout(BUSY_TIMEOUT);
                // A connection to a local file does not go stale: no test round trip when
                // one is taken from the pool.
                let read = SqlitePoolOptions::new()
                    .max_connections(8)
                    .test_before_acquire(false)
                    .connect_with(o.clone())
                    .await?;
                // SQLite writes one transaction at a time whatever the pool: the write
                // transactions queue for one connection (in order, without the busy
                // handler's sleeps), and its page cache stays valid from one commit to the
                // next because no other connection wrote in between.
                let write = sqlx::ConnectOptions::connect(&o).await?;
                Pool::Sqlite {
                    read,
                    write: Arc::new(tokio::sync::Mutex::new(Some(write))),
                }
            }
            StoreOptions::Postgres(url) => {
                let o = PgConnectOptions::from_str(url)?;
                // An unreachable database is told within two seconds (503, try again), not
                // after every request has hung.
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(2))
                    .connect_with(o)
                    .await?;
                Pool::Postgres(pool)
            }
        };
        let store = Store {
            pool,
            chain: None,
            settler: None,
            wal: Arc::new(Wal {
                frames: AtomicI64::new(-1),
                restart: AtomicBool::new(false),
            }),
            folding: Arc::default(),
        }
        .with_settler();
        store.migrate().await?;
        // A WAL left long by a burst before a crash is emptied before serving.
        store.truncate_wal().await?;
        Ok(store)
    }

    /// The same store, sealing audit records into the chain with `vault`'s key as they are
    /// committed (without one they are written unsealed).
    pub fn with_chain(self, vault: Arc<Vault>) -> Store {
        Store {
            chain: Some(vault),
            ..self
        }
        .with_settler()
    }

    /// The same store with its own settler (PostgreSQL), sealing with its key.
    fn with_settler(self) -> Store {
        let settler = match &self.pool {
            Pool::Sqlite { .. } => None,
            Pool::Postgres(p) => {
                let settler = Arc::new(Settler {
                    pool: p.clone(),
                    chain: self.chain.clone(),
                    pass: tokio::sync::Mutex::new(()),
                    begun: AtomicU64::new(0),
                    written: std::sync::Mutex::new(Vec::new()),
                    scan: AtomicBool::new(false),
                    wanted: Arc::new(tokio::sync::Notify::new()),
                });
                // Ends with the settler (it holds a weak reference; the settler's drop wakes it).
                let (weak, wanted) = (Arc::downgrade(&settler), settler.wanted.clone());
                tokio::spawn(async move {
                    loop {
                        wanted.notified().await;
                        match weak.upgrade() {
                            Some(settler) => settler.after_commit().await,
                            None => return,
                        }
                    }
                });
                Some(settler)
            }
        };
        Store { settler, ..self }
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite { read: p, .. } => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Copies committed WAL pages into the SQLite database file without blocking writers
    /// (a passive checkpoint); run every second by the server. The WAL only starts over when
    /// a writer finds every page copied and no reader behind, which a steady stream of commits
    /// never leaves it, and a checkpoint that waits for the write lock hardly ever gets it
    /// between the intake's commits: so once the WAL passes [`WAL_LIMIT_BYTES`], the next write
    /// transaction starts it over before it begins ([`Store::begin`]). After a second in which
    /// nothing was written, the file is emptied. Nothing on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        let Pool::Sqlite { read: p, .. } = &self.pool else {
            return Ok(());
        };
        let mut conn = p.acquire().await?;
        let (_busy, frames, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&mut *conn)
                .await?;
        let before = self.wal.frames.swap(frames, Ordering::Relaxed);
        if frames > 0 && frames == copied && frames == before {
            if let (0, _, _) = brief_checkpoint(&mut conn, "TRUNCATE").await? {
                self.wal.frames.store(0, Ordering::Relaxed);
                self.wal.restart.store(false, Ordering::Relaxed);
            }
        } else if frames.saturating_mul(WAL_FRAME_BYTES) >= WAL_LIMIT_BYTES as i64 {
            // The restart is made by the next writer, holding the intake meanwhile, and first
            // copies what was committed since this pass: a second pass leaves it less.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *conn)
                .await?;
            self.wal.restart.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Empties the SQLite WAL file (at start: a crash may have left it long).
    async fn truncate_wal(&self) -> Result<(), StoreError> {
        if let Pool::Sqlite { read: p, .. } = &self.pool {
            brief_checkpoint(&mut *p.acquire().await?, "TRUNCATE").await?;
        }
        Ok(())
    }

    /// The tally fold's turn: folds in this process go one at a time.
    pub(crate) async fn fold_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.folding.lock().await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A pooled connection for reads or single-statement writes.
    pub async fn conn(&self) -> Result<Conn, StoreError> {
        let inner = match &self.pool {
            Pool::Sqlite { read, .. } => ConnInner::Sqlite(read.acquire().await?),
            Pool::Postgres(p) => ConnInner::Postgres(p.acquire().await?),
        };
        Ok(Conn {
            inner,
            chain: self.chain.clone(),
            settler: self.settler.clone(),
        })
    }

    /// Gives positions to audit records and change-feed entries that commits left without.
    /// On PostgreSQL every commit does this right after it ends; SQLite's commits number and
    /// chain under the write lock they hold anyway. What a process that died between its
    /// commit and this pass left behind is settled by the next pass, which feed followers run
    /// every few seconds.
    pub async fn settle(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Postgres(_) => match &self.settler {
                Some(settler) => settler.settle_all().await,
                None => Ok(()),
            },
            Pool::Sqlite { write, .. } => {
                let mut tx = WriteTx::take(write).await?.begin().await?;
                settle_in(&mut tx, self.chain.as_deref(), Unnumbered::All).await?;
                tx.commit().await
            }
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let inner = match &self.pool {
            Pool::Sqlite { write, .. } => {
                // Asked for by the checkpoint: before this writer takes the lock, nobody holds
                // it, and the few pages written since the passive pass are quickly copied.
                let mut held = WriteTx::take(write).await?;
                if self.wal.restart.swap(false, Ordering::Relaxed) {
                    let (busy, _, _) = brief_checkpoint(&mut held.conn, "RESTART").await?;
                    if busy != 0 {
                        self.wal.restart.store(true, Ordering::Relaxed);
                    }
                }
                TxInner::Sqlite(held.begin().await?)
            }
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx {
            inner,
            settler: self.settler.clone(),
            chain: self.chain.clone(),
            audit: Vec::new(),
            feed: Vec::new(),
            feed_at: 0,
        })
    }

    /// Takes the deployment's start-up lock: processes starting at once seed one after another
    /// (PostgreSQL: a transaction-scoped advisory lock, freed by [`StartupLock::release`] or
    /// when the holder dies). SQLite has one process by design: nothing to take.
    pub async fn startup_lock(&self) -> Result<StartupLock, StoreError> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(StartupLock(None)),
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(4508020001)")
                    .execute(&mut *tx)
                    .await?;
                Ok(StartupLock(Some(tx)))
            }
        }
    }

    /// A listener woken by every commit that writes to the change feed (PostgreSQL's
    /// `LISTEN`); None on SQLite, whose one process wakes its follower itself.
    pub async fn listen(&self) -> Result<Option<FeedListener>, StoreError> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(None),
            Pool::Postgres(p) => {
                let mut l = sqlx::postgres::PgListener::connect_with(p).await?;
                l.listen(crate::feed::CHANNEL).await?;
                Ok(Some(FeedListener(l)))
            }
        }
    }

    /// Pool statistics for `/metrics`: (open connections, idle connections).
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.pool {
            // The write connection counts as open, and idle when no transaction holds it.
            Pool::Sqlite { read, write } => (
                read.size() + 1,
                read.num_idle() + usize::from(write.try_lock().is_ok()),
            ),
            Pool::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    /// Checks the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.conn()
            .await?
            .one::<(i32,)>(Sql::new("SELECT 1"))
            .await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                if let Some(conn) = write.lock().await.take() {
                    let _ = sqlx::Connection::close(conn).await;
                }
                read.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}
