//! Records as JSON lines, in the WriteRecords `Record` shape.

use std::io::Write;
use std::path::Path;

use tsload_mapper::WriteRecord;

use super::{EmitError, RecordWriter};
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

impl RecordWriter for JsonlWriter {
    fn write(&mut self, records: &[WriteRecord], _lines: &[u64]) -> Result<(), EmitError> {
        for r in records {
            self.line.clear();
            serde_json::to_writer(&mut self.line, r).expect("records serialise");
            self.line.push(b'\n');
            self.file
                .write_all(&self.line)
                .map_err(|source| WriteError {
                    path: self.file.path().to_path_buf(),
                    source,
                })?;
            self.count += 1;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64, EmitError> {
        self.file.commit()?;
        Ok(self.count)
    }
}
