//! `tsload emulate`: a local Timestream Write endpoint that runs batch
//! loads (tsload-emulator), optionally with an S3-compatible server.
//!
//! stdout gets one line per endpoint once it accepts connections, so a
//! script can read the address: `timestream http://127.0.0.1:8000`, then
//! `s3 http://127.0.0.1:9000` with `--serve-s3`. Ctrl-C stops it cleanly.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use tsload_emulator::{Config, Emulator, Faults, S3Source};

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Arguments of `tsload emulate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (loopback by default; signatures are not checked).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free port.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Keep databases, tables, tasks and records in DIR/timestream.sqlite3
    /// (default: in memory, gone on exit).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Region in ARNs and for real S3.
    #[arg(long, default_value = "us-east-1", env = "AWS_REGION")]
    region: String,
    /// Where batch loads read and write S3 objects: an S3-compatible server
    /// (path-style). Default: real S3 through the AWS default chain, or the
    /// `--serve-s3` server when given.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Also serve DIR as S3 (DIR/<bucket>/<key>; any credentials), and let
    /// batch loads use it.
    #[arg(long, value_name = "DIR")]
    serve_s3: Option<PathBuf>,
    /// Port of the `--serve-s3` server; 0 picks a free port.
    #[arg(long, default_value_t = 0, requires = "serve_s3")]
    s3_port: u16,
    /// Answer this share of calls (0..1) with ThrottlingException.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = share)]
    fault_throttle: f64,
    /// Answer this share of calls (0..1) with InternalServerException (500).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = share)]
    fault_error: f64,
    /// Stop every batch-load task once in PROGRESS_STOPPED after N files;
    /// ResumeBatchLoadTask continues it.
    #[arg(long, value_name = "N")]
    fault_stop_after_files: Option<u64>,
    /// Seconds a stopped task stays resumable (ResumableUntil).
    #[arg(long, value_name = "SECS", default_value_t = 7 * 24 * 3600)]
    fault_resumable_for: u64,
    /// Pause this many milliseconds before a task starts and after each file.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    fault_slow_ms: u64,
    /// Seed of the fault generator (same seed, same calls → same faults).
    #[arg(long)]
    fault_seed: Option<u64>,
}

fn share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("`{s}` is not between 0 and 1"))
    }
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            printer.error(&format!("cannot start the runtime: {e}"));
            return ExitStatus::Error;
        }
    };
    runtime.block_on(serve(args, printer))
}

async fn serve(args: &Args, printer: &Printer) -> ExitStatus {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // The S3 server first, so batch loads can default to it.
    let mut s3_task = None;
    let mut s3_endpoint = args.s3_endpoint.clone();
    if let Some(dir) = &args.serve_s3 {
        let addr = SocketAddr::new(args.host, args.s3_port);
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                printer.error(&format!("cannot listen on {addr} for S3: {e}"));
                return ExitStatus::Error;
            }
        };
        let local = listener.local_addr().unwrap_or(addr);
        let url = format!("http://{local}");
        s3_endpoint.get_or_insert_with(|| url.clone());
        let dir = dir.clone();
        let mut rx = stop_rx.clone();
        // Fail early on a bad directory, with the path in the message.
        if !dir.is_dir() {
            printer.error(&format!(
                "`{}` is not a directory; create it first",
                dir.display()
            ));
            return ExitStatus::Error;
        }
        s3_task = Some(tokio::spawn(async move {
            let _ = tsload_emulator::s3::serve(listener, &dir, async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await;
        }));
        printer.out(&format!("s3 {url}\n"));
    }
    let config = Config {
        region: args.region.clone(),
        data_dir: args.data_dir.clone(),
        s3: s3_endpoint.map_or(S3Source::Aws, S3Source::Endpoint),
        faults: Faults {
            seed: args.fault_seed,
            throttle_rate: args.fault_throttle,
            error_rate: args.fault_error,
            stop_after_files: args.fault_stop_after_files,
            resumable_for: Duration::from_secs(args.fault_resumable_for),
            step_delay: Duration::from_millis(args.fault_slow_ms),
        },
    };
    let emulator = match Emulator::new(config) {
        Ok(e) => e,
        Err(e) => {
            printer.error(&e.to_string());
            return ExitStatus::Error;
        }
    };
    let addr = SocketAddr::new(args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            printer.error(&format!("cannot listen on {addr}: {e}"));
            return ExitStatus::Error;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    if let Some(path) = emulator.store().path() {
        printer.note(&format!("store: {}", path.display()));
    } else {
        printer.note("store: in memory (use --data-dir to keep it)");
    }
    printer.note("signatures are not checked; serve on loopback only. Ctrl-C stops.");
    // The listener accepts from here on: print the address for scripts.
    printer.out(&format!("timestream http://{local}\n"));
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(tsload_emulator::serve(emulator, listener, async move {
        let _ = rx.wait_for(|v| *v).await;
    }));
    let _ = tokio::signal::ctrl_c().await;
    printer.note("shutting down");
    let _ = stop_tx.send(true);
    let _ = server.await;
    if let Some(t) = s3_task {
        let _ = t.await;
    }
    ExitStatus::Success
}
