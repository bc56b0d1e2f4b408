//! A reader waiting on slow storage must not spin. This test has a binary of
//! its own: it reads the process's CPU time, which other tests running in
//! the same process would add to.

#![cfg(target_os = "linux")]

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tsload_csv::{ChunkSink, CsvReader, ReadAt, ReadOptions, Record};
use tsload_model::effective::CsvDialect;

/// A file whose second 4 KiB are slow to read, as on a network mount.
struct Slow(Vec<u8>);

impl ReadAt for Slow {
    fn read_at(&self, out: &mut [u8], offset: u64) -> io::Result<usize> {
        if (4096..8192).contains(&offset) {
            std::thread::sleep(Duration::from_millis(300));
        }
        self.0.read_at(out, offset)
    }
}

struct Count(u64);

impl ChunkSink for Count {
    type Output = u64;
    fn record(&mut self, _: &Record<'_>) {
        self.0 += 1;
    }
    fn finish(self) -> u64 {
        self.0
    }
}

/// User + system time of this process, in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The fields after the command name (which may hold spaces), from
    // `state` on: utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Reading by offset, the driver waits for the slow chunk on a pool thread:
/// it must block, not spin (it once spun, a core busy for the whole wait).
#[test]
fn waiting_for_a_slow_chunk_costs_no_cpu() {
    let mut input = b"a,b\n".to_vec();
    for i in 0..4000 {
        input.extend_from_slice(format!("{i},{}\n", "x".repeat(i % 30)).as_bytes());
    }
    let rows = 4000;
    let opts = ReadOptions {
        threads: 2,
        chunk_bytes: 1024,
        window_bytes: 4096,
        read_bytes: 1000,
        ..ReadOptions::default()
    };
    let mut rdr = CsvReader::new(io::empty(), &CsvDialect::default(), opts)
        .unwrap()
        .with_read_at(Arc::new(Slow(input)));
    rdr.header().unwrap();
    let (t0, c0) = (Instant::now(), cpu_ticks());
    let mut got = 0;
    rdr.run(
        || Count(0),
        |done| {
            got += done.output;
            std::ops::ControlFlow::Continue(())
        },
    )
    .unwrap();
    let (wall, ticks) = (t0.elapsed(), cpu_ticks() - c0);
    assert_eq!(got, rows);
    assert!(wall >= Duration::from_millis(300), "{wall:?}");
    // Ticks are 10 ms. Measured: the spinning driver took 59 ticks in 2.1 s
    // of waiting, the blocked one 0.
    let spin_ticks = wall.as_millis() as u64 / 10;
    assert!(
        ticks * 10 < spin_ticks,
        "{ticks} ticks of CPU in {wall:?} of waiting"
    );
}
