//! Diagnostics shared by every tsload crate: rules with stable codes, a
//! severity and the evidence behind them, and where a problem was found.
//!
//! Libraries only *build* diagnostics; the binary's printer decides how they
//! look (human, JSON, JSONL). Each crate declares its rules as `static`
//! [`Rule`]s in a `rules` module and lists them in a `RULES` slice, so the
//! reference of every code can be generated from one place.
//!
//! Code prefixes: `T` task and data-model checks (tsload-model), `C` CSV
//! framing and dialect (tsload-csv), `H` header and plan, `R` rows, values
//! and records (tsload-mapper), `F` inputs and quotas (tsload-runner).

use serde::Serialize;
use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The service would reject or fail this; exit code 1.
    Error,
    /// Suspicious or undocumented; exit code 0 unless `--deny-warnings`.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// Where a rule comes from: the evidence tags of `batchload-spec.md` §0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Evidence {
    /// Stated in AWS documentation.
    #[serde(rename = "DOC")]
    Doc,
    /// Stated in the service model (botocore `service-2.json`).
    #[serde(rename = "MODEL")]
    Model,
    /// Read from the generated AWS SDK.
    #[serde(rename = "SDK")]
    Sdk,
    /// Shown by an official AWS example.
    #[serde(rename = "EX")]
    Ex,
    /// Reported by a third party.
    #[serde(rename = "3P")]
    ThirdParty,
    /// Our inference: not documented, a hypothesis about the service.
    #[serde(rename = "INF")]
    Inf,
}

impl Evidence {
    /// The tag as written in the spec, e.g. `INF`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Doc => "DOC",
            Self::Model => "MODEL",
            Self::Sdk => "SDK",
            Self::Ex => "EX",
            Self::ThirdParty => "3P",
            Self::Inf => "INF",
        }
    }

    /// Whether the rule is our hypothesis rather than the service's
    /// documented behaviour. Printers must say so next to the finding.
    pub fn is_inferred(self) -> bool {
        matches!(self, Self::Inf)
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.tag())
    }
}

/// A check with a stable code. Declared once as a `static`, referenced by
/// every diagnostic it produces.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Stable code, e.g. `T201`. Never reused for another meaning.
    pub code: &'static str,
    /// Short kebab-case name, e.g. `missing-time-column`; fixture names use it.
    pub slug: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Evidence behind the rule.
    pub evidence: Evidence,
    /// One line saying what the rule checks.
    pub summary: &'static str,
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.code, self.slug)
    }
}

/// Where a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// A member of a JSON document (the task or the data model).
    Json {
        /// RFC 6901 JSON pointer, e.g. `/DataModelConfiguration/DataModel/TimeUnit`.
        pointer: String,
        /// 1-based line of the member in the file (0 when unknown).
        line: u32,
        /// 1-based column of the member in the file (0 when unknown).
        column: u32,
    },
    /// A place in a CSV input.
    Data {
        /// 1-based physical line (header = line 1; embedded newlines counted).
        line: u64,
        /// 0-based byte offset of the record (or of the field, when known).
        byte: u64,
        /// 0-based index of the record (header = 0).
        record: u64,
        /// 0-based field index, when the finding is about one field.
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<u32>,
        /// Header name of that field, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<String>,
    },
    /// A whole input (file or S3 object), or the whole run.
    Input,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule that fired (serialised as its code).
    #[serde(rename = "code")]
    pub rule: &'static Rule,
    /// The severity in force (the rule's default unless raised).
    pub severity: Severity,
    /// Input file or S3 URL; `None` for findings about the run itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where in that input.
    pub location: Location,
    /// The offending value, truncated to [`MAX_VALUE_CHARS`] characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong, no trailing period, literals in backticks.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Values quoted in diagnostics are cut to this many characters.
pub const MAX_VALUE_CHARS: usize = 80;

impl Diagnostic {
    /// A diagnostic at `location` with the rule's default severity.
    pub fn new(rule: &'static Rule, location: Location, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.severity,
            file: None,
            location,
            value: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the input's name.
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Adds the offending value, truncated for display.
    pub fn with_value(mut self, value: &str) -> Self {
        self.value = Some(truncate_value(value));
        self
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A column's number for people, counted from 1 as spreadsheets and
/// editors count: `#4` for field index 3. JSON locations keep the 0-based
/// index ([`Location::Data`]'s `field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnNo(pub usize);

impl fmt::Display for ColumnNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0 as u64 + 1)
    }
}

/// Cuts `value` to [`MAX_VALUE_CHARS`] characters, marking the cut with `…`.
pub fn truncate_value(value: &str) -> String {
    match value.char_indices().nth(MAX_VALUE_CHARS) {
        None => value.to_owned(),
        Some((i, _)) => format!("{}…", &value[..i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static R: Rule = Rule {
        code: "X001",
        slug: "example",
        severity: Severity::Warning,
        evidence: Evidence::Inf,
        summary: "an example",
    };

    #[test]
    fn serialises_code_and_location() {
        let d = Diagnostic::new(
            &R,
            Location::Json {
                pointer: "/A".into(),
                line: 2,
                column: 3,
            },
            "bad `A`",
        )
        .with_hint("fix it");
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["code"], "X001");
        assert_eq!(v["severity"], "warning");
        assert_eq!(v["location"]["kind"], "json");
        assert_eq!(v["location"]["line"], 2);
        assert!(R.evidence.is_inferred());
    }

    #[test]
    fn truncates_long_values_on_char_boundaries() {
        let long = "é".repeat(100);
        let t = truncate_value(&long);
        assert_eq!(t.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(truncate_value("short"), "short");
    }
}
