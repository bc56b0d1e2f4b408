//! Quota planning (spec §4.1 \[DOC: LIMITS\]): a load of more than 100 files
//! or more than 100 GB is split into parts, each under its own sub-prefix
//! and loaded by its own task. Files keep their order; parts are filled
//! greedily, so part `n` holds the files after part `n-1`'s.
//!
//! Object keys keep each file's path relative to the inputs' common
//! directory (a single file keeps its name), under the task's
//! `ObjectKeyPrefix`; with several parts, under `<prefix>part-NNN/` (users
//! split prefixes the same way, `chunkN/` \[3P: a2edap/ingest-timestream\]).

use std::path::{Component, Path, PathBuf};

use crate::rules::{MAX_FILE_BYTES, MAX_FILES, MAX_TASK_BYTES};

/// The quotas a part must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files per task (100).
    pub max_files: usize,
    /// Bytes per file (5 GB).
    pub max_file_bytes: u64,
    /// Bytes per task (100 GB).
    pub max_task_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_files: MAX_FILES,
            max_file_bytes: MAX_FILE_BYTES,
            max_task_bytes: MAX_TASK_BYTES,
        }
    }
}

/// Why a load cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A file over the per-file limit: no split of the file list helps.
    #[error(
        "`{name}` has {size} bytes, more than the {limit} a file in a batch load task may hold; split it into files of 100 MB to 1 GB (the service's recommended size)"
    )]
    FileTooLarge {
        /// The file.
        name: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Nothing to load.
    #[error("no input files")]
    Empty,
}

/// Splits files (by size, in order) into parts within `limits`; each part
/// is a list of indices into `sizes`.
pub fn split(
    names: &[String],
    sizes: &[u64],
    limits: &Limits,
) -> Result<Vec<Vec<usize>>, PlanError> {
    if sizes.is_empty() {
        return Err(PlanError::Empty);
    }
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0u64;
    for (i, &size) in sizes.iter().enumerate() {
        if size > limits.max_file_bytes {
            return Err(PlanError::FileTooLarge {
                name: names.get(i).cloned().unwrap_or_default(),
                size,
                limit: limits.max_file_bytes,
            });
        }
        if !current.is_empty()
            && (current.len() >= limits.max_files
                || bytes.saturating_add(size) > limits.max_task_bytes)
        {
            parts.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes += size;
    }
    parts.push(current);
    Ok(parts)
}

/// `prefix` joined with `name` as S3 keys join: `a/` + `b` = `a/b`; a
/// prefix not ending in `/` gets one (`a` + `b` = `a/b`); an empty prefix
/// adds nothing.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        format!("{prefix}{name}")
    } else {
        format!("{prefix}/{name}")
    }
}

/// The sub-prefix of part `index` (0-based) of `count`: `part-001/`, …
/// (`count` of 1 keeps the prefix itself).
pub fn part_prefix(prefix: &str, index: usize, count: usize) -> String {
    if count <= 1 {
        return prefix.to_owned();
    }
    let width = count.to_string().len().max(3);
    join(prefix, &format!("part-{:0width$}/", index + 1))
}

/// Key names for local files: each path relative to the files' common
/// directory, with `/` separators; a single file keeps its file name.
pub fn key_names(paths: &[PathBuf]) -> Vec<String> {
    let dirs: Vec<&Path> = paths
        .iter()
        .map(|p| p.parent().unwrap_or(Path::new("")))
        .collect();
    let mut common: Vec<Component<'_>> = match dirs.first() {
        Some(d) => d.components().collect(),
        None => return Vec::new(),
    };
    for d in &dirs[1..] {
        let n = common
            .iter()
            .zip(d.components())
            .take_while(|(a, b)| *a == b)
            .count();
        common.truncate(n);
    }
    paths
        .iter()
        .map(|p| {
            p.components()
                .skip(common.len())
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}.csv")).collect()
    }

    #[test]
    fn under_the_limits_one_part() {
        let p = split(&names(3), &[1, 2, 3], &Limits::default()).unwrap();
        assert_eq!(p, vec![vec![0, 1, 2]]);
    }

    #[test]
    fn more_than_100_files_in_parts_of_100() {
        let sizes = vec![10; 250];
        let p = split(&names(250), &sizes, &Limits::default()).unwrap();
        assert_eq!(p.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
        assert_eq!(p[1][0], 100);
    }

    #[test]
    fn more_than_100_gb_split_by_bytes() {
        let sizes = vec![4_000_000_000; 30]; // 120 GB
        let p = split(&names(30), &sizes, &Limits::default()).unwrap();
        assert_eq!(p.iter().map(Vec::len).collect::<Vec<_>>(), [25, 5]);
        let limits = Limits {
            max_files: 2,
            max_file_bytes: 10,
            max_task_bytes: 10,
        };
        let p = split(&names(4), &[6, 4, 5, 5], &limits).unwrap();
        assert_eq!(p, vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn a_file_over_5_gb_cannot_be_planned() {
        let e = split(&names(2), &[1, 5_000_000_001], &Limits::default()).unwrap_err();
        assert!(matches!(e, PlanError::FileTooLarge { ref name, .. } if name == "f1.csv"));
        assert_eq!(split(&[], &[], &Limits::default()), Err(PlanError::Empty));
    }

    #[test]
    fn prefixes_and_keys() {
        assert_eq!(join("loads/", "a.csv"), "loads/a.csv");
        assert_eq!(join("loads", "a.csv"), "loads/a.csv");
        assert_eq!(join("", "a.csv"), "a.csv");
        assert_eq!(part_prefix("loads/", 0, 1), "loads/");
        assert_eq!(part_prefix("loads/", 0, 3), "loads/part-001/");
        assert_eq!(part_prefix("loads", 11, 1200), "loads/part-0012/");
        let k = key_names(&[
            PathBuf::from("data/x/a.csv"),
            PathBuf::from("data/x/sub/b.csv"),
            PathBuf::from("data/x/c.csv"),
        ]);
        assert_eq!(k, ["a.csv", "sub/b.csv", "c.csv"]);
        assert_eq!(key_names(&[PathBuf::from("/tmp/q/one.csv")]), ["one.csv"]);
    }
}
