//! The task loader and the static checks on arbitrary bytes.
//!
//! Oracles besides "no panic":
//! - a task without errors converts to the effective model and request, and
//!   its CSV dialect is one the reader accepts (the checks and the reader
//!   agree on what is readable);
//! - loading is idempotent: what was loaded, written back as JSON and loaded
//!   again, is the same task.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsload_model::{check, effective};

fuzz_target!(|data: &[u8]| {
    let Ok(loaded) = tsload_model::load_bytes(data, "fuzz.json") else {
        return;
    };
    let diagnostics = check::check(&loaded);
    if !check::has_errors(&diagnostics) {
        if let Some(m) = loaded.data_model() {
            effective::DataModel::from_wire(m).expect("an error-free data model converts");
        }
        if loaded.form.is_whole_task() {
            effective::request_with_defaults(&loaded.request)
                .expect("an error-free request gets its defaults");
        }
        let csv = loaded
            .request
            .data_source_configuration
            .as_ref()
            .and_then(|d| d.csv_configuration.as_ref());
        let dialect =
            effective::CsvDialect::from_wire(csv).expect("an error-free dialect converts");
        tsload_csv::CsvReader::new(
            std::io::empty(),
            &dialect,
            tsload_csv::ReadOptions::default(),
        )
        .expect("the reader accepts a dialect the checks accept");
    }
    let json = loaded.to_json();
    let text = serde_json::to_string(&json).expect("a loaded task serialises");
    let again = tsload_model::load(&text, "again.json").expect("a loaded task loads again");
    assert_eq!(again.to_json(), json, "loading is idempotent");
});
