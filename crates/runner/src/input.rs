//! Inputs of a validation: local files, directories, globs, standard input
//! and S3 objects, expanded into an ordered list, and the quota checks of
//! `batchload-spec.md` §4.1 over that list.
//!
//! A directory stands for an S3 prefix: every file under it is an input,
//! recursively, in sorted byte order of the path, because the service reads
//! every object under its prefix.

use std::fmt;
use std::path::{Path, PathBuf};

use tsload_model::diag::{Diagnostic, Location};

use crate::rules;

/// An input as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A file, a directory or a glob pattern.
    Path(String),
    /// `-`: standard input.
    Stdin,
    /// `s3://bucket/prefix`: every object under the prefix.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key prefix (may be empty).
        prefix: String,
    },
}

impl InputSpec {
    /// Parses one command-line input.
    pub fn parse(arg: &str) -> Self {
        if arg == "-" {
            return Self::Stdin;
        }
        if let Some(rest) = arg.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            return Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            };
        }
        Self::Path(arg.to_owned())
    }
}

/// One concrete input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A local file.
    File {
        /// Path as found.
        path: PathBuf,
        /// Size in bytes.
        size: u64,
    },
    /// Standard input (size unknown).
    Stdin,
    /// An S3 object.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// Size in bytes.
        size: u64,
    },
}

impl Input {
    /// The name used in messages and reports.
    pub fn name(&self) -> String {
        match self {
            Self::File { path, .. } => path.display().to_string(),
            Self::Stdin => "<stdin>".to_owned(),
            Self::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
        }
    }

    /// The name the service would put in `fileName` of its report: the S3
    /// key, or the local file's name as given \[INF\].
    pub fn report_name(&self) -> String {
        match self {
            Self::S3 { key, .. } => key.clone(),
            _ => self.name(),
        }
    }

    /// Size in bytes, when known before reading.
    pub fn size(&self) -> Option<u64> {
        match self {
            Self::File { size, .. } | Self::S3 { size, .. } => Some(*size),
            Self::Stdin => None,
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A local input that cannot be used; the run stops with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Nothing at that path, and it is not a glob that matches.
    #[error("`{0}`: no such file or directory")]
    NotFound(String),
    /// A glob that matches no file.
    #[error("`{0}`: the pattern matches no file")]
    NoMatch(String),
    /// An `s3://` URL without a bucket.
    #[error("`{0}`: no bucket; write s3://BUCKET/PREFIX")]
    NoBucket(String),
    /// A symbolic link to nothing.
    #[error("`{}`: a symbolic link to `{}`, which does not exist", path.display(), target.display())]
    DanglingLink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// Standard input given more than once: it can be read once.
    #[error("`-` (standard input) is given more than once; it can be read only once")]
    StdinTwice,
    /// The same file given twice (by two spellings, or as a file and
    /// inside a directory): its rows would be counted twice.
    #[error("`{first}` and `{second}` are the same file; give each input once")]
    SameFile {
        /// The first spelling.
        first: String,
        /// The second.
        second: String,
    },
    /// A directory without files (as an empty S3 prefix, which fails the
    /// task \[INF: spec §2.4\]).
    #[error("`{0}`: the directory holds no files to load")]
    EmptyDirectory(String),
    /// A malformed glob.
    #[error("`{pattern}`: invalid pattern: {message}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// I/O error while listing.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// What.
        #[source]
        source: std::io::Error,
    },
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn file_input(path: PathBuf) -> Result<Input, InputError> {
    let meta = std::fs::metadata(&path).map_err(|source| match std::fs::read_link(&path) {
        Ok(target) if source.kind() == std::io::ErrorKind::NotFound => InputError::DanglingLink {
            path: path.clone(),
            target,
        },
        _ => InputError::Io {
            path: path.clone(),
            source,
        },
    })?;
    Ok(Input::File {
        path,
        size: meta.len(),
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let io = |source: std::io::Error| InputError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Expands local specs (files, directories, globs, `-`) in order. S3 specs
/// are returned untouched in `remote`, in their place, for the caller to
/// list with an S3 client.
pub fn expand_local(specs: &[InputSpec]) -> Result<Vec<Expanded>, InputError> {
    let mut out = Vec::new();
    for spec in specs {
        match spec {
            InputSpec::Stdin => out.push(Expanded::Local(Input::Stdin)),
            InputSpec::S3 { bucket, prefix } => {
                if bucket.is_empty() {
                    let slash = if prefix.is_empty() { "" } else { "/" };
                    return Err(InputError::NoBucket(format!("s3://{slash}{prefix}")));
                }
                out.push(Expanded::Remote {
                    bucket: bucket.clone(),
                    prefix: prefix.clone(),
                });
            }
            InputSpec::Path(p) => {
                let path = Path::new(p);
                if path.is_dir() {
                    let mut files = Vec::new();
                    walk(path, &mut files)?;
                    if files.is_empty() {
                        return Err(InputError::EmptyDirectory(p.clone()));
                    }
                    for f in files {
                        out.push(Expanded::Local(file_input(f)?));
                    }
                } else if path.exists() {
                    out.push(Expanded::Local(file_input(path.to_path_buf())?));
                } else if is_glob(p) {
                    let paths = glob::glob(p).map_err(|e| InputError::BadPattern {
                        pattern: p.clone(),
                        message: e.msg.to_owned(),
                    })?;
                    let mut found: Vec<PathBuf> = Vec::new();
                    for entry in paths {
                        let entry = entry.map_err(|e| InputError::Io {
                            path: e.path().to_path_buf(),
                            source: std::io::Error::new(e.error().kind(), e.error().to_string()),
                        })?;
                        if entry.is_file() {
                            found.push(entry);
                        }
                    }
                    if found.is_empty() {
                        return Err(InputError::NoMatch(p.clone()));
                    }
                    found.sort();
                    for f in found {
                        out.push(Expanded::Local(file_input(f)?));
                    }
                } else {
                    return Err(InputError::NotFound(p.clone()));
                }
            }
        }
    }
    Ok(out)
}

/// Refuses inputs that are read twice: `-` more than once, or one source
/// under two names (symlinks, hard links, a file also inside a given
/// directory, `-` and `/dev/stdin`, `-` redirected from a file also given).
/// S3 objects are listed once per prefix and not compared.
pub fn check_distinct(inputs: &[Input]) -> Result<(), InputError> {
    if inputs.iter().filter(|i| matches!(i, Input::Stdin)).count() > 1 {
        return Err(InputError::StdinTwice);
    }
    let sources: Vec<_> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File { path, .. } => Some((crate::atomic::source_identity(Some(path))?, i)),
            Input::Stdin => Some((crate::atomic::source_identity(None)?, i)),
            Input::S3 { .. } => None,
        })
        .collect();
    if let Some((first, second)) =
        crate::atomic::first_repeat(sources.iter().map(|(id, input)| (id, *input)))
    {
        let spelling = |i: &Input| match i {
            Input::Stdin => "-".to_owned(),
            other => other.name(),
        };
        return Err(InputError::SameFile {
            first: spelling(first),
            second: spelling(second),
        });
    }
    Ok(())
}

/// An expanded spec: a concrete local input, or an S3 prefix still to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expanded {
    /// Ready to read.
    Local(Input),
    /// To be listed.
    Remote {
        /// Bucket.
        bucket: String,
        /// Prefix.
        prefix: String,
    },
}

/// The quota checks of §4.1 over the whole list of inputs, plus warnings
/// about objects the service would read although they are not CSV files.
pub fn check_quotas(inputs: &[Input]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if inputs.len() > rules::MAX_FILES {
        out.push(
            Diagnostic::new(
                &rules::F001,
                Location::Input,
                format!("{} inputs, at most {} files per task", inputs.len(), rules::MAX_FILES),
            )
            .with_hint("split the files over several prefixes and tasks (`tsload submit` does this for you)"),
        );
    }
    let mut total: u64 = 0;
    for input in inputs {
        let Some(size) = input.size() else { continue };
        total = total.saturating_add(size);
        if size > rules::MAX_FILE_BYTES {
            out.push(
                Diagnostic::new(
                    &rules::F002,
                    Location::Input,
                    format!("{size} bytes, more than the 5 GB a file may hold"),
                )
                .with_file(input.name())
                .with_hint(
                    "split the file into parts of 100 MB to 1 GB (the service's recommended size)",
                ),
            );
        }
        if size == 0 {
            out.push(
                Diagnostic::new(
                    &rules::F005,
                    Location::Input,
                    "zero-byte object: no header, nothing to load",
                )
                .with_file(input.name())
                .with_hint("remove it from the prefix; folder markers count as objects"),
            );
        }
        let name = input.name();
        if !matches!(input, Input::Stdin)
            && !name.to_ascii_lowercase().ends_with(".csv")
            && size > 0
        {
            out.push(
                Diagnostic::new(
                    &rules::F004,
                    Location::Input,
                    "the name does not end in `.csv`; the service reads every object under the prefix as CSV",
                )
                .with_file(name)
                .with_hint("keep only the CSV files of this load under the prefix"),
            );
        }
    }
    if total > rules::MAX_TASK_BYTES {
        out.push(
            Diagnostic::new(
                &rules::F003,
                Location::Input,
                format!("{total} bytes in all, more than the 100 GB a task may load"),
            )
            .with_hint("split the load over several tasks"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(InputSpec::parse("-"), InputSpec::Stdin);
        assert_eq!(
            InputSpec::parse("s3://b/p/q"),
            InputSpec::S3 {
                bucket: "b".into(),
                prefix: "p/q".into()
            }
        );
        assert_eq!(
            InputSpec::parse("s3://b"),
            InputSpec::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert_eq!(InputSpec::parse("a.csv"), InputSpec::Path("a.csv".into()));
    }

    #[test]
    fn expands_directories_recursively_in_sorted_order_and_globs() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        for f in ["b.csv", "a.csv", "sub/c.csv", "notes.txt"] {
            std::fs::write(d.path().join(f), "x\n").unwrap();
        }
        let got = expand_local(&[InputSpec::Path(d.path().display().to_string())]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|e| match e {
                Expanded::Local(i) => i.name().rsplit('/').next().unwrap().to_owned(),
                Expanded::Remote { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(names, ["a.csv", "b.csv", "notes.txt", "c.csv"]);
        let pat = format!("{}/*.csv", d.path().display());
        assert_eq!(expand_local(&[InputSpec::Path(pat)]).unwrap().len(), 2);
        let none = format!("{}/*.parquet", d.path().display());
        assert!(matches!(
            expand_local(&[InputSpec::Path(none)]),
            Err(InputError::NoMatch(_))
        ));
        assert!(matches!(
            expand_local(&[InputSpec::Path("/no/such/file.csv".into())]),
            Err(InputError::NotFound(_))
        ));
        // Read twice: the same file through its directory, stdin twice.
        let once = expand_local(&[InputSpec::Path(
            d.path().join("a.csv").display().to_string(),
        )])
        .unwrap();
        let mut twice: Vec<Input> = once
            .iter()
            .chain(&got)
            .map(|e| match e {
                Expanded::Local(i) => i.clone(),
                Expanded::Remote { .. } => unreachable!(),
            })
            .collect();
        assert!(matches!(
            check_distinct(&twice),
            Err(InputError::SameFile { .. })
        ));
        twice.truncate(1);
        check_distinct(&twice).unwrap();
        assert!(matches!(
            check_distinct(&[Input::Stdin, Input::Stdin]),
            Err(InputError::StdinTwice)
        ));
        // `s3://` without a bucket; a link to nothing.
        let e = expand_local(&[InputSpec::parse("s3://")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`s3://`: no bucket; write s3://BUCKET/PREFIX"
        );
        let broken = d.path().join("broken.csv");
        std::os::unix::fs::symlink("nowhere.csv", &broken).unwrap();
        let e = expand_local(&[InputSpec::Path(d.path().display().to_string())]).unwrap_err();
        assert!(matches!(e, InputError::DanglingLink { .. }), "{e}");
        assert!(
            e.to_string()
                .ends_with("a symbolic link to `nowhere.csv`, which does not exist"),
            "{e}"
        );
        // A directory with only empty directories in it: nothing to load.
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir(empty.path().join("sub")).unwrap();
        let spec = empty.path().display().to_string();
        let e = expand_local(&[InputSpec::Path(spec.clone())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("`{spec}`: the directory holds no files to load")
        );
    }

    #[test]
    fn quota_checks() {
        let f = |n: usize, size: u64| Input::S3 {
            bucket: "b".into(),
            key: format!("k{n}.csv"),
            size,
        };
        let many: Vec<Input> = (0..101).map(|n| f(n, 10)).collect();
        let codes = |d: Vec<Diagnostic>| d.iter().map(|d| d.rule.code).collect::<Vec<_>>();
        assert_eq!(codes(check_quotas(&many)), ["F001"]);
        assert_eq!(codes(check_quotas(&[f(0, 5_000_000_001)])), ["F002"]);
        let big: Vec<Input> = (0..21).map(|n| f(n, 4_900_000_000)).collect();
        assert_eq!(codes(check_quotas(&big)), ["F003"]);
        let odd = [
            Input::S3 {
                bucket: "b".into(),
                key: "x/".into(),
                size: 0,
            },
            Input::S3 {
                bucket: "b".into(),
                key: "x/data.gz".into(),
                size: 5,
            },
        ];
        assert_eq!(codes(check_quotas(&odd)), ["F005", "F004"]);
    }
}
