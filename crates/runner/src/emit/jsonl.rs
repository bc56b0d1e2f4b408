//! Records as JSON lines, in the WriteRecords `Record` shape.
//!
//! The worker threads write each chunk's lines straight from the rows
//! ([`tsload_mapper::RecordView::write_json`], the same bytes serde_json
//! makes of a [`WriteRecord`]); this writer appends them in input order.

use std::io::Write;
use std::path::Path;

use tsload_mapper::WriteRecord;

use super::{Batch, EmitError, Encoding, RecordWriter};
use crate::atomic::{AtomicFile, WriteError};

/// Writes one record per line.
#[derive(Debug)]
pub struct JsonlWriter {
    file: AtomicFile,
    line: Vec<u8>,
    count: u64,
}

impl JsonlWriter {
    /// Starts `path`.
    pub fn create(path: &Path) -> Result<Self, EmitError> {
        Ok(Self {
            file: AtomicFile::create(path)?,
            line: Vec::with_capacity(512),
            count: 0,
        })
    }
}

impl JsonlWriter {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        self.file.write_all(bytes).map_err(|source| {
            WriteError {
                path: self.file.path().to_path_buf(),
                source,
            }
            .into()
        })
    }
}

impl RecordWriter for JsonlWriter {
    fn encoding(&self) -> Encoding {
        Encoding::Jsonl
    }

    fn write_batch(&mut self, batch: Batch) -> Result<(), EmitError> {
        match batch {
            Batch::Jsonl(b) => {
                self.write_all(&b.lines)?;
                self.count += b.count;
                Ok(())
            }
            Batch::Owned(b) => self.write(&b.records, &b.lines),
            Batch::Parquet(_) => Err(EmitError::Mismatch),
        }
    }

    fn write(&mut self, records: &[WriteRecord], _lines: &[u64]) -> Result<(), EmitError> {
        for r in records {
            self.line.clear();
            serde_json::to_writer(&mut self.line, r).expect("records serialise");
            self.line.push(b'\n');
            let line = std::mem::take(&mut self.line);
            let r = self.write_all(&line);
            self.line = line;
            r?;
            self.count += 1;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64, EmitError> {
        self.file.commit()?;
        Ok(self.count)
    }
}
