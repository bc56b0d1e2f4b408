//! Files too large for one task (over 5 GB \[DOC: LIMITS\]) are uploaded as
//! pieces: each piece is the file's header followed by a run of whole
//! records, cut at record boundaries found by the CSV reader (so quoted
//! newlines never split a record), about `piece_bytes` each (the service
//! recommends 100 MB to 1 GB a file \[DOC: BP\]). Nothing is copied on disk:
//! a piece is read as the header bytes and then a byte range of the file.
//!
//! A piece's physical lines map back to the file's: the piece's line `L`
//! (after its header lines) is the file's line `L - header_lines - 1 +
//! first_line`, so error reports about pieces are explained in the lines
//! of the file the user has.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tsload_csv::{CsvReader, HeaderOutcome, ReadOptions};
use tsload_model::effective::CsvDialect;

use super::explain::FileExplanation;
use crate::input::Input;
use crate::validate::Opener;

/// One piece of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// 0-based index.
    pub index: usize,
    /// Byte offset of its first record in the file.
    pub start: u64,
    /// Byte offset past its last record.
    pub end: u64,
    /// The file's physical line of its first record.
    pub first_line: u64,
}

/// A file cut into pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pieces {
    /// The file.
    pub path: PathBuf,
    /// Bytes before the first record (the header line), repeated at the
    /// start of every piece.
    pub header: Arc<[u8]>,
    /// The pieces, in file order.
    pub pieces: Vec<Piece>,
}

impl Pieces {
    /// Physical lines of the header bytes.
    pub fn header_lines(&self) -> u64 {
        (self.header.split(|b| *b == b'\n').count() - 1) as u64
    }

    /// Size of piece `i` as uploaded.
    pub fn size(&self, i: usize) -> u64 {
        let p = &self.pieces[i];
        self.header.len() as u64 + (p.end - p.start)
    }

    /// A reader over piece `i`.
    pub fn open(&self, i: usize) -> io::Result<impl Read + Send + use<>> {
        let p = &self.pieces[i];
        let mut f = std::fs::File::open(&self.path)?;
        f.seek(SeekFrom::Start(p.start))?;
        Ok(io::Cursor::new(Arc::clone(&self.header)).chain(f.take(p.end - p.start)))
    }

    /// The file's line of piece `i`'s line `line` (header lines stay).
    pub fn file_line(&self, i: usize, line: u64) -> u64 {
        let h = self.header_lines();
        if line <= h {
            line
        } else {
            line - h - 1 + self.pieces[i].first_line
        }
    }
}

/// Why a file could not be cut.
#[derive(Debug, thiserror::Error)]
#[error("cannot cut `{}` into pieces: {message}", path.display())]
pub struct SplitError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub message: String,
}

/// Cuts `path` into pieces of about `piece_bytes` (at least one record
/// each), at record boundaries of `dialect`.
pub fn cut(path: &Path, dialect: &CsvDialect, piece_bytes: u64) -> Result<Pieces, SplitError> {
    let err = |message: String| SplitError {
        path: path.to_path_buf(),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .len();
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let mut reader =
        CsvReader::new(io::BufReader::new(file), dialect, opts).map_err(|e| err(e.to_string()))?;
    match reader.header().map_err(|e| err(e.to_string()))? {
        HeaderOutcome::Header(_) => {}
        _ => return Err(err("it has no readable header".into())),
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut header_end = None;
    while let Some(rec) = reader.read_record().map_err(|e| err(e.to_string()))? {
        let pos = rec.position();
        if header_end.is_none() {
            header_end = Some(pos.byte);
        }
        let cut_here = match pieces.last() {
            None => true,
            Some(last) => pos.byte - last.start >= piece_bytes.max(1),
        };
        if cut_here {
            if let Some(last) = pieces.last_mut() {
                last.end = pos.byte;
            }
            pieces.push(Piece {
                index: pieces.len(),
                start: pos.byte,
                end: size,
                first_line: pos.line,
            });
        }
    }
    let Some(header_end) = header_end else {
        return Err(err("it has no records".into()));
    };
    let mut header = vec![0u8; header_end as usize];
    let mut f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    f.read_exact(&mut header).map_err(|e| err(e.to_string()))?;
    Ok(Pieces {
        path: path.to_path_buf(),
        header: header.into(),
        pieces,
    })
}

/// The key name of piece `index` of `count`: `dir/big.csv` →
/// `dir/big.part-002.csv`.
pub fn piece_name(name: &str, index: usize, count: usize) -> String {
    let width = count.to_string().len().max(3);
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > name.rfind('/').map_or(0, |s| s + 1) => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    format!("{stem}.part-{:0width$}{ext}", index + 1)
}

/// The stand-in path of a piece, for [`Input::File`] and [`PieceOpener`].
pub fn piece_path(path: &Path, index: usize) -> PathBuf {
    PathBuf::from(format!("{}#piece-{}", path.display(), index + 1))
}

/// Opens pieces by their stand-in paths, and everything else through
/// `inner`.
pub struct PieceOpener<'a> {
    /// Every other input.
    pub inner: &'a dyn Opener,
    /// The cut files.
    pub files: &'a [Pieces],
}

impl PieceOpener<'_> {
    /// The file and piece a stand-in path names.
    pub fn find(&self, path: &Path) -> Option<(&Pieces, usize)> {
        self.files.iter().find_map(|p| {
            (0..p.pieces.len())
                .find(|&i| piece_path(&p.path, i) == path)
                .map(|i| (p, i))
        })
    }
}

impl Opener for PieceOpener<'_> {
    fn open(&self, input: &Input) -> io::Result<Box<dyn Read + Send>> {
        if let Input::File { path, .. } = input
            && let Some((p, i)) = self.find(path)
        {
            return Ok(Box::new(p.open(i)?));
        }
        self.inner.open(input)
    }

    fn open_at(&self, input: &Input) -> io::Result<Option<Arc<dyn tsload_csv::ReadAt>>> {
        match input {
            Input::File { path, .. } if self.find(path).is_some() => Ok(None),
            _ => self.inner.open_at(input),
        }
    }
}

/// Rewrites an explanation of piece `i` in the lines of its file.
pub fn to_file_lines(e: &mut FileExplanation, pieces: &Pieces, i: usize) {
    for r in &mut e.ranges {
        r.lines = [
            pieces.file_line(i, r.lines[0]),
            pieces.file_line(i, r.lines[1]),
        ];
        for row in &mut r.rows {
            row.line = pieces.file_line(i, row.line);
        }
        for f in &mut r.findings {
            f.line = pieces.file_line(i, f.line);
        }
    }
    e.input = Some(format!(
        "{} (piece {} of {}, from line {})",
        pieces.path.display(),
        i + 1,
        pieces.pieces.len(),
        pieces.pieces[i].first_line
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_record_boundaries_and_maps_lines_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        // A quoted newline in line 3-4 must not be cut.
        let text = "host,v\nh1,1\n\"h\n2\",2\nh3,3\nh4,4\nh5,5\n";
        std::fs::write(&path, text).unwrap();
        let dialect = CsvDialect::from_wire(None).unwrap();
        let pieces = cut(&path, &dialect, 9).unwrap();
        assert_eq!(&*pieces.header, b"host,v\n");
        let bodies: Vec<String> = (0..pieces.pieces.len())
            .map(|i| {
                let mut s = String::new();
                pieces.open(i).unwrap().read_to_string(&mut s).unwrap();
                assert_eq!(s.len() as u64, pieces.size(i));
                s
            })
            .collect();
        assert_eq!(
            bodies,
            [
                "host,v\nh1,1\n\"h\n2\",2\n",
                "host,v\nh3,3\nh4,4\n",
                "host,v\nh5,5\n"
            ]
        );
        // Piece 2's line 3 (`h4,4`) is the file's line 6.
        assert_eq!(pieces.pieces[1].first_line, 5);
        assert_eq!(pieces.file_line(1, 3), 6);
        assert_eq!(pieces.file_line(1, 1), 1);
        assert_eq!(pieces.file_line(0, 3), 3);
        // Every byte of the records is in exactly one piece.
        let total: u64 = (0..3).map(|i| pieces.size(i) - 7).sum();
        assert_eq!(total, text.len() as u64 - 7);
    }

    #[test]
    fn piece_names() {
        assert_eq!(piece_name("big.csv", 1, 3), "big.part-002.csv");
        assert_eq!(piece_name("d.x/big", 0, 1000), "d.x/big.part-0001");
        assert_eq!(
            piece_path(Path::new("/a/b.csv"), 0),
            Path::new("/a/b.csv#piece-1")
        );
    }
}
