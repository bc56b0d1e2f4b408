//! Output files are written atomically: to a temporary file in the target's
//! folder, then renamed over the target. A failed or interrupted run never
//! leaves a partial report behind, and never truncates an existing file
//! before the new one is complete.
//!
//! A symlink is followed: the file it points to is replaced, the link stays.
//! A target that exists and is not a regular file (`/dev/stdout`,
//! `/dev/null`, a named pipe) is written in place, since renaming over it
//! would replace the device or pipe with a file.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Failure to write an output file; always names the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`: {source}", path.display())]
pub struct WriteError {
    /// The output the user asked for.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: io::Error,
}

/// A file being written; it appears at its path only on [`AtomicFile::commit`].
/// Dropping it without committing removes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: BufWriter<Target>,
}

/// Where the bytes go before [`AtomicFile::commit`].
#[derive(Debug)]
enum Target {
    /// A temporary file, renamed over `dest` on commit.
    Temp {
        file: tempfile::NamedTempFile,
        dest: PathBuf,
    },
    /// A device or pipe, written in place.
    Direct(std::fs::File),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Temp { file, .. } => file.write(buf),
            Self::Direct(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Temp { file, .. } => file.flush(),
            Self::Direct(f) => f.flush(),
        }
    }
}

/// Follows symlinks from `path` to the path of the file they name (which
/// need not exist yet). Gives up after 40 links, as the kernel does.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

impl AtomicFile {
    /// Starts writing `path` (its folder must exist).
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let err = |source| WriteError {
            path: path.to_path_buf(),
            source,
        };
        if path.is_dir() {
            return Err(err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )));
        }
        let dest = resolve(path).map_err(err)?;
        let target = match std::fs::metadata(&dest) {
            Ok(m) if !m.is_file() => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&dest)
                    .map_err(err)?;
                Target::Direct(f)
            }
            _ => {
                let dir = match dest.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => dir,
                };
                let file = tempfile::Builder::new()
                    .prefix(".tsload-")
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(err)?;
                Target::Temp { file, dest }
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            tmp: BufWriter::with_capacity(128 * 1024, target),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> Result<(), WriteError> {
        let path = self.path;
        let err = |source| WriteError {
            path: path.clone(),
            source,
        };
        match self.tmp.into_inner().map_err(|e| err(e.into_error()))? {
            Target::Temp { file, dest } => {
                file.as_file().sync_all().map_err(err)?;
                file.persist(&dest).map_err(|e| err(e.error))?;
            }
            Target::Direct(mut f) => f.flush().map_err(err)?,
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    })?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"{}").unwrap();
        assert!(!p.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}");
    }

    #[test]
    fn dropped_file_leaves_nothing_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomic(&p, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symlink_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("sub/real.json");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("sub/real.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        // A dangling link: the file it names is created.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("sub/new.json", &dangling).unwrap();
        write_atomic(&dangling, b"x").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("sub/new.json")).unwrap(),
            b"x"
        );
        // A loop is an error naming the path.
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let e = write_atomic(&a, b"x").unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{e}");
    }

    /// A named pipe (like a device) is written in place: renaming over it
    /// would replace it with a regular file (over `/dev/null`, as root).
    #[test]
    fn a_pipe_is_written_in_place() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let reader = std::thread::spawn({
            let fifo = fifo.clone();
            move || {
                let mut s = String::new();
                std::fs::File::open(fifo)
                    .unwrap()
                    .read_to_string(&mut s)
                    .unwrap();
                s
            }
        });
        write_atomic(&fifo, b"through the pipe").unwrap();
        use std::os::unix::fs::FileTypeExt;
        let t = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(t.is_fifo(), "the pipe was replaced: {t:?}");
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn errors_name_the_path() {
        let e = AtomicFile::create(Path::new("/nonexistent-dir-tsload/x.json")).unwrap_err();
        assert!(
            e.to_string().contains("/nonexistent-dir-tsload/x.json"),
            "{e}"
        );
    }
}
