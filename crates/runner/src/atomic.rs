//! Output files are written atomically: to a temporary file in the target's
//! folder, then renamed over the target. A failed or interrupted run never
//! leaves a partial report behind, and never truncates an existing file
//! before the new one is complete.
//!
//! A new file gets the usual mode (`0666` less the umask), a replaced file
//! keeps its own. [`check_outputs`] refuses, before anything is written, an
//! output that is one of the run's inputs or another output.
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

/// An output that would overwrite a file the run reads, or another output.
#[derive(Debug, thiserror::Error)]
pub enum Clobber {
    /// The output is one of the files the run reads.
    #[error(
        "`{flag} {}` would overwrite `{}`, which this run reads; choose another path",
        out.display(),
        read.display()
    )]
    Read {
        /// The output's flag, e.g. `--report`.
        flag: &'static str,
        /// The output as given.
        out: PathBuf,
        /// The file read, as given.
        read: PathBuf,
    },
    /// Two outputs are the same file.
    #[error(
        "`{first} {}` and `{second} {}` are the same file; give each output its own path",
        first_path.display(),
        second_path.display()
    )]
    Outputs {
        /// The first output's flag.
        first: &'static str,
        /// Its path as given.
        first_path: PathBuf,
        /// The second output's flag.
        second: &'static str,
        /// Its path as given.
        second_path: PathBuf,
    },
}

/// What makes two paths the same file: the device and inode of an existing
/// regular file, else the canonical folder and the name of a file to come.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    Path(PathBuf),
}

/// The identity of `path`; `None` for what is not a regular file (a device
/// such as `/dev/null`, a pipe: sharing those loses nothing) or a path
/// whose folder does not exist (creating the output reports that).
pub(crate) fn identity(path: &Path) -> Option<Identity> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => None,
        #[cfg(unix)]
        Ok(m) => inode(&m),
        #[cfg(not(unix))]
        Ok(_) => std::fs::canonicalize(path).ok().map(Identity::Path),
        Err(_) => {
            // Where the write will land: a dangling symlink's target.
            let path = resolve(path).ok()?;
            let dir = std::fs::canonicalize(folder(&path)).ok()?;
            Some(Identity::Path(dir.join(path.file_name()?)))
        }
    }
}

/// The identity of what an input reads, whatever it is (a pipe or a device
/// as well as a file): `path`, or standard input's descriptor for `None`.
/// Reading one source twice splits or repeats its rows.
pub(crate) fn source_identity(path: Option<&Path>) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let m = match path {
            Some(p) => std::fs::metadata(p).ok()?,
            None => std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned().ok()?)
                .metadata()
                .ok()?,
        };
        Some(Identity::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path?).ok().map(Identity::Path)
    }
}

/// The identity of a regular file from its metadata.
#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    m.is_file().then(|| Identity::Inode(m.dev(), m.ino()))
}

/// The folder `path` is in (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The first two of `items` with the same [`Identity`] (the same file),
/// in order.
pub(crate) fn first_repeat<'a, T: Copy>(
    items: impl IntoIterator<Item = (&'a Identity, T)>,
) -> Option<(T, T)> {
    let mut seen: Vec<(&Identity, T)> = Vec::new();
    for (id, item) in items {
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
            return Some((*first, item));
        }
        seen.push((id, item));
    }
    None
}

/// Refuses `outputs` (each with its flag) when one of them is a file in
/// `reads` (the task, the inputs) or two of them are the same file: the
/// run would destroy what it reads, or keep only the last output written.
/// Symlinks and hard links are seen through.
pub fn check_outputs<'a>(
    outputs: &[(&'static str, &'a Path)],
    reads: impl IntoIterator<Item = &'a Path>,
) -> Result<(), Clobber> {
    let outs: Vec<_> = outputs
        .iter()
        .filter_map(|&(flag, path)| Some((identity(path)?, flag, path)))
        .collect();
    if let Some(((first, first_path), (second, second_path))) =
        first_repeat(outs.iter().map(|(id, flag, path)| (id, (*flag, *path))))
    {
        return Err(Clobber::Outputs {
            first,
            first_path: first_path.to_path_buf(),
            second,
            second_path: second_path.to_path_buf(),
        });
    }
    for read in reads {
        let Some(id) = identity(read) else { continue };
        if let Some((_, flag, out)) = outs.iter().find(|o| o.0 == id) {
            return Err(Clobber::Read {
                flag,
                out: out.to_path_buf(),
                read: read.to_path_buf(),
            });
        }
    }
    Ok(())
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

/// A duplicate of stdout's or stderr's descriptor when `path` is the
/// regular file that stream writes to; writes through it land at the
/// stream's position (appending after `>>`).
fn std_stream_file(path: &Path) -> Option<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let target = identity(path)?;
        let streams = [
            std::io::stdout().as_fd().try_clone_to_owned(),
            std::io::stderr().as_fd().try_clone_to_owned(),
        ];
        streams
            .into_iter()
            .flatten()
            .map(std::fs::File::from)
            .find(|f| f.metadata().ok().and_then(|m| inode(&m)).as_ref() == Some(&target))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
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
        if path == Path::new("-") {
            return Err(err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "`-` means standard input for inputs; an output needs a path (`/dev/stdout` for standard output)",
            )));
        }
        let open = |target| Self {
            path: path.to_path_buf(),
            tmp: BufWriter::with_capacity(128 * 1024, target),
        };
        // The file behind our own stdout or stderr (`--report /dev/stdout >>
        // log.txt`, or the redirection's file by name): written through that
        // stream, at its position. Renaming a new file over it would cut off
        // what the shell had and what is printed after.
        if let Some(f) = std_stream_file(path) {
            return Ok(open(Target::Direct(f)));
        }
        // A device or a pipe reached through a link that only the kernel can
        // follow: `/dev/stdout` in `… | cat` is `/proc/self/fd/1`, a link to
        // `pipe:[…]`, which names no file.
        if let Ok(m) = std::fs::metadata(path)
            && !m.is_file()
        {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(err)?;
            return Ok(open(Target::Direct(f)));
        }
        let dest = resolve(path).map_err(err)?;
        let dir = folder(&dest);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".tsload-").suffix(".tmp");
        // The mode of a file created the usual way (tempfile's own
        // default is 0600), which the umask then narrows.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        // The temporary file's name is ours, not the user's: errors name
        // the folder.
        let file = builder.tempfile_in(dir).map_err(|e| {
            let why = if dir.is_dir() {
                format!("cannot create a file in `{}`: {}", dir.display(), e.kind())
            } else {
                format!("its folder `{}` does not exist", dir.display())
            };
            err(io::Error::new(e.kind(), why))
        })?;
        // A file replaced keeps its mode.
        #[cfg(unix)]
        if let Ok(m) = std::fs::metadata(&dest) {
            use std::os::unix::fs::PermissionsExt;
            // Its permission bits, not setuid, setgid or sticky.
            let mode = m.permissions().mode() & 0o777;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(err)?;
        }
        Ok(open(Target::Temp { file, dest }))
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

    #[cfg(unix)]
    #[test]
    fn modes_are_the_usual_ones_and_a_replaced_file_keeps_its_own() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        // `File::create` uses 0666 less the umask, as a shell redirection.
        let usual = dir.path().join("usual");
        std::fs::File::create(&usual).unwrap();
        let new = dir.path().join("new.json");
        write_atomic(&new, b"x").unwrap();
        assert_eq!(mode(&new), mode(&usual));
        let kept = dir.path().join("kept.json");
        std::fs::write(&kept, b"old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&kept, b"new").unwrap();
        assert_eq!(mode(&kept), 0o640);
    }

    #[test]
    fn outputs_may_not_overwrite_what_is_read_or_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        let task = dir.path().join("task.json");
        std::fs::write(&input, b"t\n").unwrap();
        std::fs::write(&task, b"{}").unwrap();
        let reads = [input.as_path(), task.as_path()];
        let report = dir.path().join("report.json");
        let fine = [
            ("--report", report.as_path()),
            ("--emit", Path::new("/dev/null")),
        ];
        check_outputs(&fine, reads).unwrap();

        // The input itself, through another spelling and through a link.
        let dotted = dir.path().join(".").join("in.csv");
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        for out in [&input, &dotted, &link] {
            let e = check_outputs(&[("--emit", out.as_path())], reads).unwrap_err();
            assert!(matches!(e, Clobber::Read { flag: "--emit", .. }), "{e}");
        }
        let e = check_outputs(&[("--diagnostics", task.as_path())], reads).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "`--diagnostics {}` would overwrite `{}`, which this run reads; choose another path",
                task.display(),
                task.display()
            )
        );

        // Two outputs, the file not there yet, spelled two ways.
        let e = check_outputs(
            &[
                ("--report", report.as_path()),
                ("--emit", dir.path().join("./report.json").as_path()),
            ],
            reads,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                Clobber::Outputs {
                    first: "--report",
                    second: "--emit",
                    ..
                }
            ),
            "{e}"
        );
        // A dangling symlink is where its target will be.
        let target = dir.path().join("nowhere.jsonl");
        let dangling = dir.path().join("dangling.jsonl");
        std::os::unix::fs::symlink("nowhere.jsonl", &dangling).unwrap();
        let e = check_outputs(
            &[
                ("--diagnostics", dangling.as_path()),
                ("--emit", target.as_path()),
            ],
            reads,
        )
        .unwrap_err();
        assert!(matches!(e, Clobber::Outputs { .. }), "{e}");
        // Devices may be shared.
        let null = Path::new("/dev/null");
        check_outputs(&[("--report", null), ("--emit", null)], reads).unwrap();
    }

    /// `/dev/stdout` into a pipe is `/proc/self/fd/1`, a link to
    /// `pipe:[…]` that names no file: written in place, through the link.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_behind_a_proc_link_is_written_in_place() {
        use std::io::Read as _;
        use std::os::fd::AsRawFd as _;
        let (mut reader, writer) = std::io::pipe().unwrap();
        let link = PathBuf::from(format!("/proc/self/fd/{}", writer.as_raw_fd()));
        write_atomic(&link, b"through the pipe").unwrap();
        drop(writer);
        let mut got = String::new();
        reader.read_to_string(&mut got).unwrap();
        assert_eq!(got, "through the pipe");
    }

    #[test]
    fn errors_name_the_folder_not_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("missing/out.json");
        let e = AtomicFile::create(&out).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "cannot write `{}`: its folder `{}` does not exist",
                out.display(),
                dir.path().join("missing").display()
            )
        );
    }

    #[test]
    fn a_dash_is_not_an_output_path() {
        let e = AtomicFile::create(Path::new("-")).unwrap_err();
        assert!(e.to_string().contains("an output needs a path"), "{e}");
        assert!(!Path::new("-").exists());
    }

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
