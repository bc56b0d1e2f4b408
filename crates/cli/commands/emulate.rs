//! `tsload emulate`: a local Timestream Write endpoint that runs batch
//! loads (tsload-emulator), optionally with an S3-compatible server.
//!
//! stdout gets one line per endpoint once everything is up, so a script can
//! read the addresses: `s3 http://127.0.0.1:9000` first with `--serve-s3`,
//! then `timestream http://127.0.0.1:8000` last. Notes go to stderr. Ctrl-C
//! (or SIGTERM) stops it cleanly: running batch-load tasks stop at their
//! next step and, with `--data-dir`, continue on the next start.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use tsload_emulator::{Config, Emulator, Faults, S3Source};

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// What `tsload emulate --help` ends with.
const AFTER_HELP: &str = "\
Output:
  Once every endpoint accepts connections, stdout gets one line each:
  `s3 http://HOST:PORT` (with --serve-s3), then `timestream http://HOST:PORT`.
  Notes go to stderr.

Clients: give the URL as the endpoint and keep endpoint discovery off (discovery
would send later calls to https://, which the emulator does not speak). Any
credentials work.
  aws timestream-write list-databases --endpoint-url http://127.0.0.1:8000
  boto3.client(\"timestream-write\", endpoint_url=\"http://127.0.0.1:8000\")
  aws-sdk-rust: Client::from_conf(..) with .endpoint_url(..), without
  with_endpoint_discovery_enabled()

Records ingested with --data-dir DIR can be read offline:
  sqlite3 DIR/timestream.sqlite3 \"select * from records_readable limit 10\"

Exit codes:
  0  stopped by Ctrl-C or SIGTERM
  2  usage error, or the ports, the store or the S3 directory cannot be used";

/// Arguments of `tsload emulate`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
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
    #[arg(long, value_name = "URL", value_parser = crate::aws::endpoint_url)]
    s3_endpoint: Option<String>,
    /// Also serve DIR as S3 (DIR/BUCKET/KEY; any credentials), and let
    /// batch loads use it. Each subdirectory is a bucket; a call on any
    /// other bucket is NoSuchBucket, as on AWS (PutObject creates none).
    #[arg(long, value_name = "DIR")]
    serve_s3: Option<PathBuf>,
    /// Port of the `--serve-s3` server; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = 0, requires = "serve_s3")]
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
    #[arg(long, value_name = "SEED")]
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

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM (`docker stop`,
/// `systemctl stop`, `kill`).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The address to connect to: loopback for a wildcard address (`--host
/// 0.0.0.0` listens everywhere, but is no address to connect to).
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

async fn bind(addr: SocketAddr, what: &str, printer: &Printer) -> Option<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => Some(l),
        Err(e) => {
            printer.error(&format!(
                "cannot listen on {addr}{what}: {e}; choose another port (0 picks a free one)"
            ));
            None
        }
    }
}

async fn serve(args: &Args, printer: &Printer) -> ExitStatus {
    // Everything that can fail is checked before any address is printed,
    // so a script that reads stdout sees addresses only from a server that
    // is up.
    let s3 = match &args.serve_s3 {
        Some(dir) => {
            let endpoint = match tsload_emulator::s3::S3Endpoint::new(dir) {
                Ok(e) => e,
                Err(e) => {
                    printer.error(&format!(
                        "--serve-s3: {e}; create the directory first (its subdirectories are the buckets)"
                    ));
                    return ExitStatus::Error;
                }
            };
            let Some(listener) =
                bind(SocketAddr::new(args.host, args.s3_port), " for S3", printer).await
            else {
                return ExitStatus::Error;
            };
            Some((endpoint, listener))
        }
        None => None,
    };
    let s3_url = s3.as_ref().map(|(_, l)| {
        let addr = l
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(args.host, args.s3_port));
        format!("http://{}", reachable(addr))
    });
    let config = Config {
        region: args.region.clone(),
        data_dir: args.data_dir.clone(),
        s3: match (&args.s3_endpoint, &s3_url) {
            (Some(url), _) | (None, Some(url)) => S3Source::Endpoint(url.clone()),
            (None, None) => S3Source::Aws,
        },
        faults: Faults {
            seed: args.fault_seed,
            throttle_rate: args.fault_throttle,
            error_rate: args.fault_error,
            stop_after_files: args.fault_stop_after_files,
            resumable_for: Duration::from_secs(args.fault_resumable_for),
            step_delay: Duration::from_millis(args.fault_slow_ms),
        },
    };
    let batch_s3 = match &config.s3 {
        S3Source::Endpoint(url) => url.clone(),
        S3Source::Aws => "AWS S3 (default credential chain)".to_owned(),
    };
    let emulator = match Emulator::new(config) {
        Ok(e) => e,
        Err(e) => {
            printer.error(&format!("--data-dir: {e}"));
            return ExitStatus::Error;
        }
    };
    let Some(listener) = bind(SocketAddr::new(args.host, args.port), "", printer).await else {
        return ExitStatus::Error;
    };
    let local = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::new(args.host, args.port));

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let s3_task = s3.map(|(endpoint, listener)| {
        tokio::spawn(endpoint.serve(listener, stopped(stop_rx.clone())))
    });
    let server = tokio::spawn(tsload_emulator::serve(
        std::sync::Arc::clone(&emulator),
        listener,
        stopped(stop_rx.clone()),
    ));

    match emulator.store().path() {
        Some(path) => printer.note(&format!("store: {}", path.display())),
        None => printer.note("store: in memory (use --data-dir to keep it)"),
    }
    printer.note(&format!("batch loads read from {batch_s3}"));
    if !args.host.is_loopback() {
        printer.note(&format!(
            "listening on {}, not loopback: anyone who can reach it can use it",
            args.host
        ));
    }
    printer.note("signatures are not checked; Ctrl-C stops");
    // Both listeners accept from here on: the addresses, for scripts.
    if let Some(url) = &s3_url {
        printer.out(&format!("s3 {url}\n"));
    }
    printer.out(&format!("timestream http://{}\n", reachable(local)));

    shutdown_signal().await;
    printer.note("shutting down");
    let _ = stop_tx.send(true);
    let _ = server.await;
    if let Some(t) = s3_task {
        let _ = t.await;
    }
    ExitStatus::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        assert_eq!(reachable(any).to_string(), "127.0.0.1:8000");
        let any6: SocketAddr = "[::]:8000".parse().unwrap();
        assert_eq!(reachable(any6).to_string(), "[::1]:8000");
        let own: SocketAddr = "192.0.2.7:8000".parse().unwrap();
        assert_eq!(reachable(own), own);
    }

    #[test]
    fn shares_are_between_0_and_1() {
        assert_eq!(share("0.25"), Ok(0.25));
        assert!(share("1.5").unwrap_err().contains("between 0 and 1"));
        assert!(share("x").unwrap_err().contains("not a number"));
    }
}
