#!/usr/bin/env python3
"""Helpers of scripts/bench.sh: result checks, peak RSS, the results table.

  check   runs `tsload validate --format json` on the good and bad files and
          fails unless the counts match the generator's (rows, and every
          generated defect found under its rule)
  rss     runs commands one at a time and records each one's peak RSS
          (getrusage of the child, via os.wait4) and wall time
  report  reads hyperfine's JSON exports and prints the table (markdown)
  settle  puts files in one known page-cache state: drops their cached pages
          (posix_fadvise DONTNEED) and reads each back once, sequentially
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

# gen_csv.py's defect kinds -> the rule each must raise (one per bad row).
DEFECT_RULES = {
    "bad_double": "R010",
    "bad_bigint": "R012",
    "bad_bool": "R014",
    "bad_time": "R002",
    "empty_time": "R001",
    "short_row": "C008",
    "empty_dim": "R024",
}
# Defects that fail the row as a parse failure (the rest fail the record).
PARSE_FAILURES = {"bad_double", "bad_bigint", "bad_bool", "bad_time", "empty_time", "short_row"}


def validate(bin_, task, path):
    out = subprocess.run(
        [bin_, "validate", task, path, "--format", "json", "--quiet"],
        check=False, capture_output=True, text=True,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"bench: tsload validate {path} exited {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


def data_rows(path):
    with open(path, "rb") as f:
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 22), b""))
    return n - 1


def cmd_check(a):
    problems = []
    good = validate(a.bin, a.task, a.good)
    pr = good["ProgressReport"]
    rows = data_rows(a.good)
    if pr["RecordsProcessed"] != rows or pr["RecordsIngested"] != rows:
        problems.append(f"{a.good}: {pr} but the file has {rows} data rows, all good")
    if pr["ParseFailures"] or pr["RecordIngestionFailures"]:
        problems.append(f"{a.good}: failures on a clean file: {pr}")

    bad = validate(a.bin, a.task, a.bad)
    pr = bad["ProgressReport"]
    log = open(a.bad_log).read()
    kinds = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", log)}
    rows = kinds["rows"]
    counts = {r["code"]: r["count"] for r in bad["rules"]}
    for kind, rule in DEFECT_RULES.items():
        if counts.get(rule, 0) != kinds[kind]:
            problems.append(f"{a.bad}: {kinds[kind]} {kind} rows but {rule} counted {counts.get(rule, 0)}")
    want_parse = sum(kinds[k] for k in PARSE_FAILURES)
    want_ingest = kinds["bad_rows"] - want_parse
    if pr["RecordsProcessed"] != rows:
        problems.append(f"{a.bad}: RecordsProcessed {pr['RecordsProcessed']}, the file has {rows}")
    if pr["ParseFailures"] != want_parse or pr["RecordIngestionFailures"] != want_ingest:
        problems.append(
            f"{a.bad}: ParseFailures {pr['ParseFailures']} (want {want_parse}), "
            f"RecordIngestionFailures {pr['RecordIngestionFailures']} (want {want_ingest})")
    json.dump({"good": good, "bad": bad}, open(a.out, "w"))
    if problems:
        sys.exit("bench: results are wrong:\n  " + "\n  ".join(problems))
    print(f"bench: results checked: {kinds['bad_rows']} defects of {len(DEFECT_RULES)} kinds found",
          file=sys.stderr)


def cmd_rss(a):
    out = {}
    for spec in a.cmd:
        name, cmd = spec.split("=", 1)
        t0 = time.monotonic()
        with open(os.devnull, "w") as null:
            p = subprocess.Popen(shlex.split(cmd), stdout=null, stderr=null)
            _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            sys.exit(f"bench: `{cmd}` exited {code}")
        # ru_maxrss is in KiB on Linux.
        out[name] = {"maxrss_kib": ru.ru_maxrss, "wall_s": wall, "user_s": ru.ru_utime,
                     "sys_s": ru.ru_stime, "load": open("/proc/loadavg").read().split()[:3]}
        print(f"bench: {name}: peak RSS {ru.ru_maxrss / 1024:.1f} MiB, {wall:.2f} s", file=sys.stderr)
    json.dump(out, open(a.out, "w"), indent=1)


def cmd_settle(a):
    """A file's cached pages drift as the machine ages them: a file that
    has sat in the cache for hours, partly evicted and read back in pieces,
    was read by `cat` at 6 GB/s, and at 13 GB/s once dropped and read back
    in one pass (docs/performance.md, "Page-cache state"). Every run
    starts from the second state, whatever the files went through before.
    Dropping needs no privilege (clean pages of a file one can read)."""
    for path in a.files:
        start = time.monotonic()
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            while os.read(fd, 1 << 20):
                pass
        finally:
            os.close(fd)
        print(f"bench: settled {path} in {time.monotonic() - start:.1f} s", file=sys.stderr)


def cmd_report(a):
    d = a.data
    check = json.load(open(os.path.join(d, "check.json")))
    rss = json.load(open(os.path.join(d, "rss.json")))
    size = {"good": os.path.getsize(a.good), "bad": os.path.getsize(a.bad)}
    rows = {"good": check["good"]["ProgressReport"]["RecordsProcessed"],
            "bad": check["bad"]["ProgressReport"]["RecordsProcessed"]}
    times = {}   # name -> all run times
    cpu_s = {}   # name -> per-round mean user + system seconds
    ratios = {}  # name -> per-round median / cat median
    loads = []
    rounds = [str(r) for r in range(1, a.rounds + 1)]
    if os.path.exists(os.path.join(d, "hf-parquet.json")):
        rounds.append("parquet")
    for r in rounds:
        hf = json.load(open(os.path.join(d, f"hf-{r}.json")))
        med = {}
        for res in hf["results"]:
            med[res["command"]] = statistics.median(res["times"])
            if res["command"] == "cat" and r == "parquet":
                continue  # the parquet run's `cat` is its own baseline only
            times.setdefault(res["command"], []).extend(res["times"])
            cpu_s.setdefault(res["command"], []).append(res["user"] + res["system"])
        for name, m in med.items():
            base = med["cat-bad"] if name.startswith("bad") or name == "cat-bad" else med["cat"]
            if name == "cat" and r == "parquet":
                continue
            ratios.setdefault(name, []).append(m / base)
        for edge in ("before", "after"):
            loads.append(open(os.path.join(d, f"load-{r}.{edge}")).read().split())
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    nproc = os.cpu_count()
    lo = min(float(l[0]) for l in loads)
    hi = max(float(l[0]) for l in loads)

    rows_out = [
        ("`cat FILE > /dev/null`", "cat", "good", "-"),
        ("validate, 1 thread", "t1", "good", "t1"),
        ("validate, 2 threads", "t2", "good", "t2"),
        ("`cat` bad-row file", "cat-bad", "bad", "-"),
        ("bad-row variant, 1 thread", "bad-t1", "bad", "bad-t1"),
        ("bad-row variant, 2 threads", "bad-t2", "bad", "bad-t2"),
        ("`--emit out.parquet`, 2 threads", "parquet-t2", "good", "parquet-t2"),
    ]
    print(f"Machine: {nproc} cores, {cpu}; 1-minute load average {lo:.1f}-{hi:.1f} during the runs.")
    print(f"Input: {size['good'] / 2**30:.2f} GiB, {rows['good']:,} data rows (warm page cache, "
          f"settled: each file's cached pages dropped and read back once before the rounds); "
          f"{a.rounds} hyperfine rounds; time = median of all runs, ratio = median over rounds "
          f"of (median / `cat` median in the same round). CPU s = user + system time of the "
          f"process (all threads), less sensitive to the machine's load than wall time.")
    print()
    print("| run | median s (min-max) | GB/s | M rows/s | × `cat` | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for label, name, which, rname in rows_out:
        if name not in times:
            continue
        t = times[name]
        m = statistics.median(t)
        gbs = size[which] / 1e9 / m
        mrs = rows[which] / 1e6 / m
        ratio = statistics.median(ratios[name])
        r = rss.get(rname)
        rss_s = f"{r['maxrss_kib'] / 1024:.1f}" if r else "-"
        cpu = statistics.median(cpu_s[name])
        print(f"| {label} | {m:.3f} ({min(t):.3f}-{max(t):.3f}) | {gbs:.2f} | {mrs:.2f} | "
              f"{ratio:.2f} | {cpu:.2f} | {rss_s} |")
    big = [k for k in rss if k.startswith("4g")]
    if big:
        print()
        header = len(open(a.good, "rb").readline())
        big_bytes = 4 * (size["good"] - header) + header
        print(f"4 GiB input ({big_bytes / 2**30:.2f} GiB: the header and the data rows 4 times; "
              f"`4g-pipe` through a pipe, `4g-file` from a file, read by offset), one run each:")
        print()
        print("| run | wall s | GB/s | CPU s | peak RSS MiB | load |")
        print("|---|---|---|---|---|---|")
        for k in big:
            r = rss[k]
            print(f"| {k} | {r['wall_s']:.2f} | {big_bytes / 1e9 / r['wall_s']:.2f} | "
                  f"{r['user_s'] + r['sys_s']:.2f} | {r['maxrss_kib'] / 1024:.1f} | {r['load'][0]} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("check")
    c.add_argument("--bin", required=True)
    c.add_argument("--task", required=True)
    c.add_argument("--good", required=True)
    c.add_argument("--bad", required=True)
    c.add_argument("--bad-log", required=True)
    c.add_argument("--out", required=True)
    r = sub.add_parser("rss")
    r.add_argument("--cmd", action="append", required=True, help="NAME=COMMAND")
    r.add_argument("--out", required=True)
    p = sub.add_parser("report")
    p.add_argument("--data", required=True)
    p.add_argument("--good", required=True)
    p.add_argument("--bad", required=True)
    p.add_argument("--rounds", type=int, required=True)
    st = sub.add_parser("settle")
    st.add_argument("files", nargs="+")
    a = ap.parse_args()
    {"check": cmd_check, "rss": cmd_rss, "report": cmd_report, "settle": cmd_settle}[a.what](a)


if __name__ == "__main__":
    main()
