//! The one place that writes to stdout and stderr.
//!
//! stdout carries data (JSON documents, the effective task); stderr carries
//! diagnostics, summaries and errors for people. Both go through
//! [`anstream::AutoStream`], which strips the styling when colour is off:
//! `--color never`, or `--color auto` (the default) when the stream is not a
//! terminal or `NO_COLOR` is set. `--color always` forces it.
//!
//! # Human diagnostics
//!
//! ```text
//! task.json:12:21: error[T104]: `BucketName` `My_Bucket` is not a valid S3 bucket name
//!   at: /DataSourceConfiguration/DataSourceS3Configuration/BucketName
//!   hint: bucket names are lower case
//!   evidence: [MODEL] AWS service model
//! ```
//!
//! The first line is `file:line:column: severity[CODE]: message`, so editors
//! and terminals can jump to it. For CSV findings (`Location::Data`) it is
//! `file:line: ...` and the `at:` line names the record, field and column;
//! the offending value gets a `value:` line (for JSON findings the message
//! already quotes it). The evidence line always shows the tag; rules that
//! rest on our inference read `[INF] inferred, not documented by AWS`.
//!
//! # JSON diagnostics
//!
//! [`JsonDiagnostic`] is the stable JSON shape of one diagnostic, shared by
//! every command's `--format json` document.

use std::io::{self, Write};

use anstream::AutoStream;
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use tsload_model::diag::ColumnNo;
use tsload_model::{Diagnostic, Evidence, Location, Severity};

use crate::cli::ColorChoice;

pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub(crate) const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
pub(crate) const INFERRED: Style = AnsiColor::Magenta.on_default();

/// Decides colour and where output goes.
#[derive(Debug)]
pub(crate) struct Printer {
    pub(crate) color: ColorChoice,
    /// The first failure to write the command's data to stdout (a full
    /// disk, a closed file), other than a closed pipe.
    stdout_failed: std::sync::OnceLock<io::Error>,
}

impl Printer {
    pub(crate) fn new(color: ColorChoice) -> Self {
        Self {
            color,
            stdout_failed: std::sync::OnceLock::new(),
        }
    }

    /// Why the command's data could not be written to stdout, if it could
    /// not: the command then failed, whatever it found (a redirection to a
    /// full disk must not look like a complete result). A reader that
    /// closed the pipe (`tsload … | head`) wanted no more and is no failure.
    pub(crate) fn stdout_error(&self) -> Option<&io::Error> {
        self.stdout_failed.get()
    }

    fn choice(&self) -> anstream::ColorChoice {
        match self.color {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        }
    }

    fn stderr(&self) -> AutoStream<io::Stderr> {
        AutoStream::new(io::stderr(), self.choice())
    }

    fn stdout(&self) -> AutoStream<io::Stdout> {
        AutoStream::new(io::stdout(), self.choice())
    }

    /// Writes diagnostics for people to stderr, a blank line between them.
    pub(crate) fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            self.diagnostic(d);
        }
    }

    /// Writes one diagnostic for people to stderr, followed by a blank line.
    pub(crate) fn diagnostic(&self, d: &Diagnostic) {
        let mut text = String::new();
        render_human(d, &mut text);
        text.push('\n');
        self.write_stderr(&text);
    }

    /// Writes the closing summary of a file to stderr, e.g.
    /// `task.json: 2 errors, 1 warning (CreateBatchLoadTask request)`.
    pub(crate) fn summary(&self, file: &str, counts: Counts, what: &str) {
        let style = if counts.errors > 0 {
            ERROR
        } else if counts.warnings > 0 {
            WARNING
        } else {
            BOLD
        };
        let body = if counts.errors == 0 && counts.warnings == 0 {
            "no problems found".to_owned()
        } else {
            format!(
                "{}, {}",
                count(counts.errors as u64, "error", "errors"),
                count(counts.warnings as u64, "warning", "warnings")
            )
        };
        let file = escape_controls(file);
        self.write_stderr(&format!("{file}: {style}{body}{style:#} ({what})\n"));
    }

    /// Writes a fatal error to stderr: `error: message`.
    pub(crate) fn error(&self, message: &str) {
        let message = escape_controls(message);
        self.write_stderr(&format!("{ERROR}error{ERROR:#}: {message}\n"));
    }

    /// Writes a note to stderr: `note: message`.
    pub(crate) fn note(&self, message: &str) {
        let message = escape_controls(message);
        self.write_stderr(&format!("{BOLD}note{BOLD:#}: {message}\n"));
    }

    /// Writes text for people to stderr as it is (progress notes and
    /// summaries of commands whose stdout carries their result).
    pub(crate) fn err(&self, text: &str) {
        self.write_stderr(&escape_controls(text));
    }

    /// Writes styled text for people to stderr. The caller has escaped
    /// what came from the user with [`escape_controls`]; only the styles'
    /// codes are left, and the stream strips them when colour is off.
    pub(crate) fn err_styled(&self, text: &str) {
        self.write_stderr(text);
    }

    /// [`Printer::err_styled`], to stdout (a report that is the command's
    /// data).
    pub(crate) fn out_styled(&self, text: &str) {
        self.write_stdout(text);
    }

    /// Writes text for people to stdout (a report that is the command's
    /// data, e.g. the summary of `validate`).
    pub(crate) fn out(&self, text: &str) {
        self.write_stdout(&escape_controls(text));
    }

    /// Writes a JSON document to stdout (pretty, one trailing newline).
    pub(crate) fn json(&self, value: &impl Serialize) {
        let mut text = serde_json::to_string_pretty(value).expect("documents serialise to JSON");
        text.push('\n');
        self.write_stdout(&text);
    }

    fn write_stdout(&self, text: &str) {
        let mut out = self.stdout();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            let _ = self.stdout_failed.set(e);
        }
    }

    fn write_stderr(&self, text: &str) {
        write_all(&mut self.stderr(), text);
    }
}

/// Writes and flushes messages, ignoring errors: a closed pipe (`tsload
/// check x 2>&1 | head`) must not turn into a panic, and there is nowhere
/// left to report a failure to write them.
fn write_all(w: &mut impl Write, text: &str) {
    let _ = w.write_all(text.as_bytes());
    let _ = w.flush();
}

/// Shows the control characters of `s` (other than line feed and tab) as
/// `\u{1b}` escapes. Text for people carries file names, CSV values and
/// JSON strings from the inputs; raw, their escape sequences would drive
/// the terminal (move the cursor, clear the screen, set the title). JSON
/// output needs nothing: serde escapes control characters.
pub(crate) fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    escape_where(s, |c| c.is_control() && c != '\n' && c != '\t')
}

/// Like [`escape_controls`], for text that must stay on one line (progress
/// bar messages): line feeds and tabs are escaped too.
pub(crate) fn escape_line(s: &str) -> std::borrow::Cow<'_, str> {
    escape_where(s, char::is_control)
}

fn escape_where(s: &str, escaped: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    if !s.chars().any(&escaped) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if escaped(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub(crate) fn plural<'a>(n: impl Into<u64>, one: &'a str, many: &'a str) -> &'a str {
    if n.into() == 1 { one } else { many }
}

/// `n` and the noun that goes with it: `1 row`, `2 rows`.
pub(crate) fn count(n: impl Into<u64> + Copy + std::fmt::Display, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

/// Errors and warnings of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Counts {
    /// Diagnostics of severity error.
    pub(crate) errors: usize,
    /// Diagnostics of severity warning.
    pub(crate) warnings: usize,
}

impl Counts {
    pub(crate) fn of(diagnostics: &[Diagnostic]) -> Self {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        Self {
            errors,
            warnings: diagnostics.len() - errors,
        }
    }
}

/// How the evidence of a rule reads for people.
pub(crate) fn evidence_label(e: Evidence) -> &'static str {
    match e {
        Evidence::Doc => "[DOC] AWS documentation",
        Evidence::Model => "[MODEL] AWS service model",
        Evidence::Sdk => "[SDK] AWS SDK",
        Evidence::Ex => "[EX] official AWS example",
        Evidence::ThirdParty => "[3P] reported by third parties, not documented by AWS",
        Evidence::Inf => "[INF] inferred, not documented by AWS",
    }
}

/// Renders one diagnostic for people, with styling (stripped by the stream
/// when colour is off). See the module doc for the layout.
pub(crate) fn render_human(d: &Diagnostic, out: &mut String) {
    use std::fmt::Write as _;

    let file = escape_line(d.file.as_deref().unwrap_or("tsload"));
    let (sev_style, sev) = match d.severity {
        Severity::Error => (ERROR, "error"),
        Severity::Warning => (WARNING, "warning"),
    };
    let place = match &d.location {
        Location::Json { line, column, .. } if *line > 0 => format!("{file}:{line}:{column}"),
        Location::Data { line, .. } => format!("{file}:{line}"),
        _ => file.into_owned(),
    };
    let _ = writeln!(
        out,
        "{BOLD}{place}{BOLD:#}: {sev_style}{sev}[{}]{sev_style:#}: {BOLD}{}{BOLD:#}",
        d.rule.code,
        escape_line(&d.message)
    );
    match &d.location {
        Location::Json { pointer, .. } => {
            let pointer = if pointer.is_empty() {
                "(the whole document)"
            } else {
                pointer
            };
            let _ = writeln!(out, "  {DIM}at:{DIM:#} {}", escape_line(pointer));
        }
        Location::Data {
            record,
            field,
            column,
            byte,
            ..
        } => {
            let mut at = format!("record {record}");
            // Columns counted from 1, as in the messages (the JSON's
            // `field` is the 0-based index).
            if let Some(f) = field {
                let _ = write!(at, ", column {}", ColumnNo(*f as usize));
            }
            if let Some(c) = column {
                let _ = write!(at, " (`{c}`)");
            }
            let _ = write!(at, ", byte {byte}");
            let _ = writeln!(out, "  {DIM}at:{DIM:#} {}", escape_line(&at));
        }
        Location::Input => {}
    }
    if let Some(v) = &d.value
        && !matches!(d.location, Location::Json { .. })
    {
        let _ = writeln!(out, "  {DIM}value:{DIM:#} `{}`", escape_line(v));
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "  {HINT}hint:{HINT:#} {}", escape_line(h));
    }
    let ev_style = if d.rule.evidence.is_inferred() {
        INFERRED
    } else {
        DIM
    };
    let _ = writeln!(
        out,
        "  {DIM}evidence:{DIM:#} {ev_style}{}{ev_style:#}",
        evidence_label(d.rule.evidence)
    );
}

/// The JSON shape of one diagnostic (version 1 of every `--format json`
/// document):
///
/// | field | type | meaning |
/// |---|---|---|
/// | `code` | string | rule code, e.g. `T104` |
/// | `slug` | string | rule name, e.g. `invalid-bucket-name` |
/// | `severity` | `"error"` \| `"warning"` | |
/// | `evidence` | `"DOC"` \| `"MODEL"` \| `"SDK"` \| `"EX"` \| `"3P"` \| `"INF"` | `INF` = inferred, not documented by AWS |
/// | `file` | string? | input name |
/// | `location` | object | `{"kind": "json", "pointer", "line", "column"}`, `{"kind": "data", "line", "byte", "record", "field"?, "column"?}` or `{"kind": "input"}` |
/// | `value` | string? | the offending value, cut to 80 characters |
/// | `message` | string | what is wrong |
/// | `hint` | string? | how to fix it |
#[derive(Debug, Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    code: &'static str,
    slug: &'static str,
    severity: Severity,
    evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    location: &'a Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

impl<'a> JsonDiagnostic<'a> {
    pub(crate) fn new(d: &'a Diagnostic) -> Self {
        Self {
            code: d.rule.code,
            slug: d.rule.slug,
            severity: d.severity,
            evidence: d.rule.evidence,
            file: d.file.as_deref(),
            location: &d.location,
            value: d.value.as_deref(),
            message: &d.message,
            hint: d.hint.as_deref(),
        }
    }

    /// All of `diagnostics`, in order.
    pub(crate) fn all(diagnostics: &'a [Diagnostic]) -> Vec<Self> {
        diagnostics.iter().map(Self::new).collect()
    }
}

#[cfg(test)]
mod tests {
    use tsload_model::Rule;

    use super::*;

    static R: Rule = Rule {
        code: "X001",
        slug: "example",
        severity: Severity::Warning,
        evidence: Evidence::Inf,
        summary: "an example",
    };

    fn plain(d: &Diagnostic) -> String {
        let mut s = String::new();
        render_human(d, &mut s);
        let mut out = Vec::new();
        let mut strip = anstream::StripStream::new(&mut out);
        strip.write_all(s.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn human_json_location() {
        let d = Diagnostic::new(
            &R,
            Location::Json {
                pointer: "/A".into(),
                line: 2,
                column: 3,
            },
            "bad `A`",
        )
        .with_file("t.json")
        .with_hint("fix it");
        assert_eq!(
            plain(&d),
            "t.json:2:3: warning[X001]: bad `A`\n  at: /A\n  hint: fix it\n  evidence: [INF] inferred, not documented by AWS\n"
        );
        let mut styled = String::new();
        render_human(&d, &mut styled);
        assert!(styled.contains("\u{1b}["), "styled output has escapes");
    }

    #[test]
    fn human_data_location() {
        let d = Diagnostic::new(
            &R,
            Location::Data {
                line: 7,
                byte: 120,
                record: 6,
                field: Some(2),
                column: Some("cpu".into()),
            },
            "not a number",
        )
        .with_file("data.csv")
        .with_value("abc");
        assert_eq!(
            plain(&d),
            "data.csv:7: warning[X001]: not a number\n  at: record 6, column #3 (`cpu`), byte 120\n  value: `abc`\n  evidence: [INF] inferred, not documented by AWS\n"
        );
    }

    #[test]
    fn progress_messages_stay_on_one_line() {
        assert_eq!(escape_line("data.csv"), "data.csv");
        assert_eq!(
            escape_line("a\nb\tc\u{1b}[2J.csv"),
            "a\\u{a}b\\u{9}c\\u{1b}[2J.csv"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            escape_controls("a\u{1b}]0;t\u{7}b\r\u{9b}2J\u{7f}"),
            "a\\u{1b}]0;t\\u{7}b\\u{d}\\u{9b}2J\\u{7f}"
        );
        let d = Diagnostic::new(&R, Location::Input, "found `x\u{1b}[2J`")
            .with_file("f\u{1b}.csv")
            .with_value("x\u{1b}[2J")
            .with_hint("h\u{7}");
        let text = plain(&d);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(
            text.starts_with("f\\u{1b}.csv: warning[X001]: found `x\\u{1b}[2J`"),
            "{text}"
        );
    }

    #[test]
    fn json_shape() {
        let d = Diagnostic::new(&R, Location::Input, "m").with_file("f");
        let v = serde_json::to_value(JsonDiagnostic::new(&d)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "code": "X001", "slug": "example", "severity": "warning", "evidence": "INF",
                "file": "f", "location": {"kind": "input"}, "message": "m"
            })
        );
    }
}
