//! Where the records of a checked row go: a [`RecordSink`] receives each
//! record that would be written as a borrowed [`RecordView`] (the row's
//! fields resolved through the plan), so a consumer can build what it needs
//! — an owned [`WriteRecord`], Parquet columns — without an intermediate
//! owned record.

use tsload_csv::record::Record;

use crate::plan::Plan;
use crate::record::{self, WriteRecord};

/// One record a row would write, borrowed from the row. Only handed out for
/// records that passed every check.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) rec: &'a Record<'a>,
    /// Index of the record's mapping in the plan.
    pub(crate) spec: u32,
    pub(crate) time_ns: i64,
    /// The measure name read from `MeasureNameColumn` (empty when the
    /// mapping has a fixed name).
    pub(crate) name: &'a [u8],
}

impl RecordView<'_> {
    /// The record as an owned WriteRecords `Record`.
    pub fn to_write_record(&self) -> WriteRecord {
        record::build(self.plan, self.rec, self.spec, self.time_ns, self.name)
    }

    /// Time of the record, nanoseconds since the epoch.
    pub fn time_ns(&self) -> i64 {
        self.time_ns
    }
}

/// Receives the records of checked rows, in row order.
pub trait RecordSink {
    /// One record that would be written.
    fn record(&mut self, view: &RecordView<'_>);
}

/// Owned records, as the WriteRecords API shows them.
impl RecordSink for Vec<WriteRecord> {
    fn record(&mut self, view: &RecordView<'_>) {
        self.push(view.to_write_record());
    }
}
