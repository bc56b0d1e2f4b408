//! Embedded, durable storage: one SQLite database (rusqlite, bundled
//! SQLite), in memory by default or `<data-dir>/timestream.sqlite3`.
//!
//! Databases, tables, tags, batch-load tasks and ingested records are rows;
//! nested properties that the service echoes back (retention, magnetic-store
//! writes, schema, the task request, the progress report) are JSON text in
//! their row, so what is echoed is exactly what was stored. The `records`
//! table is documented for offline queries (see the crate documentation).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::protocol::ApiError;

/// The file name of the store inside `--data-dir`.
pub const DB_FILE: &str = "timestream.sqlite3";
/// A file inside `--data-dir` that one emulator at a time holds locked, so
/// two never run the same tasks on one store.
pub const LOCK_FILE: &str = "timestream.lock";

/// The schema; `user_version` tells which version a file has.
const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS databases (
    database_name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    kms_key_id TEXT NOT NULL,
    creation_time REAL NOT NULL,
    last_updated_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tables (
    database_name TEXT NOT NULL REFERENCES databases(database_name),
    table_name TEXT NOT NULL,
    arn TEXT NOT NULL,
    table_status TEXT NOT NULL,
    retention TEXT NOT NULL,
    magnetic_store_write_properties TEXT NOT NULL,
    schema TEXT NOT NULL,
    creation_time REAL NOT NULL,
    last_updated_time REAL NOT NULL,
    PRIMARY KEY (database_name, table_name)
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS batch_load_tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL UNIQUE,
    client_token TEXT UNIQUE,
    database_name TEXT NOT NULL,
    table_name TEXT NOT NULL,
    task_status TEXT NOT NULL,
    request TEXT NOT NULL,
    progress_report TEXT NOT NULL,
    error_message TEXT,
    record_version INTEGER NOT NULL,
    creation_time REAL NOT NULL,
    last_updated_time REAL NOT NULL,
    resumable_until REAL,
    files_done INTEGER NOT NULL DEFAULT 0,
    stopped_once INTEGER NOT NULL DEFAULT 0,
    file_errors TEXT,
    checkpoint TEXT
);
CREATE TABLE IF NOT EXISTS records (
    database_name TEXT NOT NULL,
    table_name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    measure_name TEXT NOT NULL,
    measure_value_type TEXT NOT NULL,
    measure_value TEXT,
    measures TEXT,
    version INTEGER NOT NULL,
    PRIMARY KEY (database_name, table_name, dimensions, time_ns, measure_name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS measure_types (
    database_name TEXT NOT NULL,
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    measure_value_type TEXT NOT NULL,
    PRIMARY KEY (database_name, table_name, column_name)
);
CREATE VIEW IF NOT EXISTS records_readable AS
SELECT database_name, table_name,
       strftime('%Y-%m-%dT%H:%M:%fZ', time_ns / 1000000000.0, 'unixepoch') AS time,
       time_ns, dimensions, measure_name, measure_value_type, measure_value, measures, version
FROM records;
";

/// The layout version, kept in SQLite's `user_version`. A file of another
/// version is refused rather than misread.
const SCHEMA_VERSION: i64 = 2;

/// Errors opening the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create the data directory `{}`: {source}", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The data directory is a file.
    #[error("the data directory `{}` is a file; give a directory (created when missing)", .0.display())]
    NotADirectory(PathBuf),
    /// The file was written by a tsload with another storage layout.
    #[error(
        "the store `{}` has layout version {found}, this tsload uses {SCHEMA_VERSION}; use another --data-dir (or a matching tsload)",
        path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
    },
    /// Another emulator uses the directory.
    #[error(
        "the data directory `{}` is in use by another tsload emulate; stop it or give another --data-dir",
        .0.display()
    )]
    Locked(PathBuf),
    /// SQLite refused the file or the schema.
    #[error("cannot open the store `{}`: {source}", path.display())]
    Sqlite {
        /// The file (`:memory:` in memory).
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: rusqlite::Error,
    },
}

/// The store: one connection behind a mutex (SQLite serialises writers
/// anyway; reads are short).
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// Held (locked) while the store is open; the OS releases it when the
    /// process ends, however it ends.
    _lock: Option<std::fs::File>,
}

impl Store {
    /// Opens `<dir>/timestream.sqlite3` (creating the directory and the
    /// schema), or an in-memory store when `dir` is `None`. A directory is
    /// used by one store at a time ([`StoreError::Locked`]); the `sqlite3`
    /// shell and other readers are not affected.
    pub fn open(dir: Option<&Path>) -> Result<Self, StoreError> {
        let mut lock = None;
        let (conn, path) = match dir {
            Some(dir) => {
                if dir.exists() && !dir.is_dir() {
                    return Err(StoreError::NotADirectory(dir.to_path_buf()));
                }
                let dir_error = |source| StoreError::Dir {
                    path: dir.to_path_buf(),
                    source,
                };
                std::fs::create_dir_all(dir).map_err(dir_error)?;
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(dir.join(LOCK_FILE))
                    .map_err(dir_error)?;
                match file.try_lock() {
                    Ok(()) => lock = Some(file),
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(StoreError::Locked(dir.to_path_buf()));
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(dir_error(e)),
                }
                let path = dir.join(DB_FILE);
                let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
                    path: path.clone(),
                    source,
                })?;
                (conn, Some(path))
            }
            None => (
                Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
                    path: PathBuf::from(":memory:"),
                    source,
                })?,
                None,
            ),
        };
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        let sqlite = |source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sqlite)?;
        if found != 0 && found != SCHEMA_VERSION {
            return Err(StoreError::Version {
                path: shown.clone(),
                found,
            });
        }
        let setup = |conn: &Connection| -> rusqlite::Result<()> {
            if path.is_some() {
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
            }
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.execute_batch(SCHEMA)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        };
        setup(&conn).map_err(sqlite)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
            _lock: lock,
        })
    }

    /// The SQLite file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs a read-only query, e.g. to look at ingested records in tests:
    /// `store.read(|c| c.query_row("SELECT count(*) FROM records", [], |r| r.get(0)))`.
    pub fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        let conn = match self.conn.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&conn)
    }

    /// Runs `f` with the connection.
    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| ApiError::internal("the store is unusable after a panic"))?;
        f(&mut conn)
    }
}

/// A database row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatabaseRow {
    pub name: String,
    pub arn: String,
    pub kms_key_id: String,
    pub creation_time: f64,
    pub last_updated_time: f64,
}

impl DatabaseRow {
    pub(crate) fn get(conn: &Connection, name: &str) -> rusqlite::Result<Option<Self>> {
        conn.query_row(
            "SELECT database_name, arn, kms_key_id, creation_time, last_updated_time
             FROM databases WHERE database_name = ?1",
            [name],
            Self::from_row,
        )
        .optional()
    }

    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            name: row.get(0)?,
            arn: row.get(1)?,
            kms_key_id: row.get(2)?,
            creation_time: row.get(3)?,
            last_updated_time: row.get(4)?,
        })
    }
}

/// A table row; the JSON members are stored as the service echoes them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableRow {
    pub database: String,
    pub name: String,
    pub arn: String,
    pub status: String,
    pub retention: serde_json::Value,
    pub magnetic: serde_json::Value,
    pub schema: serde_json::Value,
    pub creation_time: f64,
    pub last_updated_time: f64,
}

pub(crate) const TABLE_COLUMNS: &str = "database_name, table_name, arn, table_status, retention, \
     magnetic_store_write_properties, schema, creation_time, last_updated_time";

impl TableRow {
    pub(crate) fn get(conn: &Connection, db: &str, name: &str) -> rusqlite::Result<Option<Self>> {
        conn.query_row(
            &format!(
                "SELECT {TABLE_COLUMNS} FROM tables WHERE database_name = ?1 AND table_name = ?2"
            ),
            params![db, name],
            Self::from_row,
        )
        .optional()
    }

    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
            let text: String = row.get(i)?;
            serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        };
        Ok(Self {
            database: row.get(0)?,
            name: row.get(1)?,
            arn: row.get(2)?,
            status: row.get(3)?,
            retention: json(4)?,
            magnetic: json(5)?,
            schema: json(6)?,
            creation_time: row.get(7)?,
            last_updated_time: row.get(8)?,
        })
    }

    /// `RetentionProperties.MemoryStoreRetentionPeriodInHours`.
    pub(crate) fn memory_hours(&self) -> i64 {
        self.retention["MemoryStoreRetentionPeriodInHours"]
            .as_i64()
            .unwrap_or(6)
    }

    /// `RetentionProperties.MagneticStoreRetentionPeriodInDays`.
    pub(crate) fn magnetic_days(&self) -> i64 {
        self.retention["MagneticStoreRetentionPeriodInDays"]
            .as_i64()
            .unwrap_or(73000)
    }

    /// `MagneticStoreWriteProperties.EnableMagneticStoreWrites`.
    pub(crate) fn magnetic_writes(&self) -> bool {
        self.magnetic["EnableMagneticStoreWrites"]
            .as_bool()
            .unwrap_or(false)
    }

    /// Dimension names of the composite partition key with
    /// `EnforcementInRecord = REQUIRED`.
    pub(crate) fn required_dimensions(&self) -> Vec<String> {
        self.schema["CompositePartitionKey"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|k| k["Type"] == "DIMENSION" && k["EnforcementInRecord"] == "REQUIRED")
            .filter_map(|k| k["Name"].as_str().map(str::to_owned))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_created_in_memory_and_on_disk() {
        let mem = Store::open(None).unwrap();
        assert!(mem.path().is_none());
        let dir = tempfile::tempdir().unwrap();
        let disk = Store::open(Some(&dir.path().join("nested"))).unwrap();
        assert_eq!(
            disk.path().unwrap(),
            dir.path().join("nested").join(DB_FILE)
        );
        drop(disk);
        // Reopening keeps the schema (IF NOT EXISTS) without error.
        let again = Store::open(Some(&dir.path().join("nested"))).unwrap();
        let n: i64 = again
            .with(|c| Ok(c.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn one_store_per_directory_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(Some(dir.path())).unwrap();
        let err = Store::open(Some(dir.path())).unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        assert!(err.to_string().contains("in use by another"), "{err}");
        // Readers of the SQLite file are not locked out.
        let reader = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let n: i64 = reader
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        drop(first);
        Store::open(Some(dir.path())).unwrap();
    }

    #[test]
    fn a_store_of_another_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(Some(dir.path())).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(Some(dir.path())).unwrap_err();
        assert!(
            matches!(err, StoreError::Version { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("another --data-dir"), "{err}");
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = Store::open(Some(&file)).unwrap_err();
        assert!(matches!(err, StoreError::NotADirectory(_)), "{err}");
        assert!(err.to_string().contains("is a file"), "{err}");
    }
}
