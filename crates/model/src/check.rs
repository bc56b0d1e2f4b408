//! Static checks of a loaded task: everything that can be known about a
//! `CreateBatchLoadTask` request without reading its data or calling AWS.
//!
//! [`check`] runs every rule of [`crate::rules`] over a [`Loaded`] file and
//! returns the loader's diagnostics together with its own, sorted by
//! position. Each diagnostic carries the rule (code, slug, severity,
//! evidence), the JSON pointer of the offending member *in the file* (so a
//! bare model says `/TimeUnit`, a describe response
//! `/BatchLoadTaskDescription/...`), its line and column, a message and a
//! hint.
//!
//! What is checked:
//!
//! - the constraints of the service model (spec §7.4): required members,
//!   lengths, enumerations, the patterns of bucket names, object keys and
//!   prefixes (full match), database and table names (pattern, plus 3..256
//!   from the CreateTable docs), `ClientToken` 1..64, `RecordVersion ≥ 1`;
//! - the data-model rules V1–V16 of spec §1.5, except V12 (source columns in
//!   the CSV header), which needs the data and belongs to `validate`;
//! - the naming rules of §4.3 for every *target* name: dimension names
//!   (`DestinationColumn`, defaulting to `SourceColumn`), attribute names
//!   (`TargetMultiMeasureAttributeName`, defaulting to `SourceColumn`) and
//!   fixed measure names (`TargetMultiMeasureName`, mixed-mapping names);
//!   measure names read from `MeasureNameColumn` come from the data;
//! - the limits of §4.2 that a model alone can break;
//! - the `CsvConfiguration` values of §2.2 and the report's KMS settings.
//!
//! For a bare data model only the data-model checks run, and for a data
//! model configuration only those and V1: the request around them is not
//! there to check. A task whose diagnostics contain no error
//! converts with [`crate::effective::DataModel::from_wire`] and
//! [`crate::effective::CsvDialect::from_wire`] (tested over every fixture).

use std::collections::HashMap;

use crate::diag::{Diagnostic, Location, Rule};
use crate::load::{Form, Loaded, MODEL_POINTER};
use crate::rules;
use crate::span::{Anchor, join};
use crate::wire::{
    CsvConfiguration, DataModel, DataModelConfiguration, DataSourceConfiguration, EncryptionOption,
    MeasureValueType, MultiMeasureAttributeMapping, ReportConfiguration,
};

/// Runs every static check over `loaded`. Returns the loader's diagnostics
/// and the checks', sorted by line and column (ties keep their order).
pub fn check(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut c = Checker {
        loaded,
        out: loaded.diagnostics.clone(),
    };
    match loaded.form {
        Form::DataModel => {
            if let Some(m) = loaded.data_model() {
                c.data_model(m, MODEL_POINTER);
            }
        }
        Form::DataModelConfiguration => {
            c.data_model_configuration(loaded.request.data_model_configuration.as_ref());
        }
        Form::Request | Form::Describe => c.request(),
    }
    let mut out = c.out;
    out.sort_by_key(|d| match d.location {
        Location::Json { line, column, .. } => (line, column),
        _ => (u32::MAX, u32::MAX),
    });
    out
}

/// Whether `diagnostics` contain an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// System identifiers: "may not be used for dimension or measure names"
/// (spec §4.3). Case-sensitive.
pub const RESERVED_NAMES: &[&str] = &[
    "time",
    "measure_value",
    "measure_name",
    "ts_non_existent_col",
];

/// Prefixes no dimension or measure name may start with (spec §4.3):
/// documented for column names (`ts_`, `measure_name`) and dimension names
/// (`measure_value`); for measure names `measure_value` is inferred
/// ([`rules::MEASURE_VALUE_PREFIX`]).
pub const RESERVED_PREFIXES: &[&str] = &["ts_", "measure_name", "measure_value"];

/// Whether a dimension name (`dimension`) or a measure or attribute name
/// is a reserved system identifier or starts with a reserved prefix (spec
/// §4.3, case-sensitive): the rule it breaks and the identifier or prefix.
/// [`rules::RESERVED_NAME`] and [`rules::RESERVED_PREFIX`] are documented;
/// a measure name starting with `measure_value` gets
/// [`rules::MEASURE_VALUE_PREFIX`], inferred. Shared by the task's static
/// checks and the rows' `MeasureNameColumn` values.
pub fn reserved_name(name: &[u8], dimension: bool) -> Option<(&'static Rule, &'static str)> {
    if let Some(n) = RESERVED_NAMES.iter().find(|n| n.as_bytes() == name) {
        return Some((&rules::RESERVED_NAME, n));
    }
    let prefix = RESERVED_PREFIXES
        .iter()
        .find(|p| name.starts_with(p.as_bytes()))?;
    if !dimension && *prefix == "measure_value" {
        return Some((&rules::MEASURE_VALUE_PREFIX, prefix));
    }
    Some((&rules::RESERVED_PREFIX, prefix))
}

/// What a name that [`reserved_name`] found starting with `prefix` does,
/// for messages: "starts with …", saying when the rule is inferred. The
/// task's names and the rows' `MeasureNameColumn` values share it.
pub fn reserved_prefix_phrase(rule: &Rule, prefix: &str) -> String {
    if rule == &rules::MEASURE_VALUE_PREFIX {
        format!(
            "starts with `{prefix}`, a prefix documented as reserved for dimension names and assumed to be for measure names"
        )
    } else {
        format!("starts with the reserved prefix `{prefix}`")
    }
}

/// Reserved keywords of Timestream's query language (spec §4.3 \[DOC\]).
pub const SQL_RESERVED_WORDS: &[&str] = &[
    "ALTER",
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEALLOCATE",
    "DELETE",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXECUTE",
    "EXISTS",
    "EXTRACT",
    "FALSE",
    "FOR",
    "FROM",
    "FULL",
    "GROUP",
    "GROUPING",
    "HAVING",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NATURAL",
    "NORMALIZE",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PREPARE",
    "RECURSIVE",
    "RIGHT",
    "ROLLUP",
    "SELECT",
    "TABLE",
    "THEN",
    "TRUE",
    "UESCAPE",
    "UNION",
    "UNNEST",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Dimensions per table (spec §4.2).
pub const MAX_DIMENSIONS: usize = 128;
/// Measures per multi-measure record (spec §4.2).
pub const MAX_ATTRIBUTES: usize = 256;
/// Bytes in a dimension name (spec §4.2).
pub const MAX_DIMENSION_NAME_BYTES: usize = 60;
/// Bytes in a measure name (spec §4.2).
pub const MAX_MEASURE_NAME_BYTES: usize = 256;

/// Column separators the service model's documentation lists.
const DOCUMENTED_SEPARATORS: &[char] = &[',', '|', ';', '\t', ' '];
/// Quote characters the service model's documentation lists.
const DOCUMENTED_QUOTES: &[char] = &['"', '\''];

struct Checker<'a> {
    loaded: &'a Loaded,
    out: Vec<Diagnostic>,
}

/// What a target name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    /// A dimension (≤ 60 bytes, no `:`).
    Dimension,
    /// An attribute of the multi-measure record number `record`.
    Attribute { record: usize },
    /// A measure name (`measure_name` value) of a single- or multi-measure record.
    Measure,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            Self::Dimension => "dimension",
            Self::Attribute { .. } => "attribute",
            Self::Measure => "measure name",
        }
    }

    fn a_noun(self) -> &'static str {
        match self {
            Self::Dimension => "a dimension",
            Self::Attribute { .. } => "an attribute",
            Self::Measure => "a measure name",
        }
    }
}

/// One target name and where it comes from.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    kind: NameKind,
    /// Request pointer of the member that sets the name.
    pointer: String,
    /// The member that would set it explicitly, when the name is defaulted
    /// from `SourceColumn` (for the hint).
    defaulted_from: Option<&'static str>,
    /// Scalar type, for attributes and single-measure names.
    value_type: Option<MeasureValueType>,
}

/// The role of a source column (V16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Time,
    Dimension,
    MeasureName,
    Measure,
}

impl Role {
    fn noun(self) -> &'static str {
        match self {
            Self::Time => "the time column",
            Self::Dimension => "a dimension",
            Self::MeasureName => "the measure name column",
            Self::Measure => "a measure",
        }
    }
}

/// Everything the data-model walk collects for the cross-member rules.
#[derive(Default)]
struct Names {
    targets: Vec<Target>,
    sources: Vec<(String, Role, String)>,
}

impl Checker<'_> {
    fn diag(
        &self,
        rule: &'static Rule,
        pointer: &str,
        anchor: Anchor,
        message: String,
    ) -> Diagnostic {
        Diagnostic::new(rule, self.loaded.location(pointer, anchor), message)
            .with_file(&self.loaded.name)
    }

    fn emit(
        &mut self,
        rule: &'static Rule,
        pointer: &str,
        anchor: Anchor,
        message: String,
        hint: Option<String>,
    ) {
        let mut d = self.diag(rule, pointer, anchor, message);
        d.hint = hint;
        self.out.push(d);
    }

    fn missing(&mut self, parent: &str, member: &str, shape: &str) {
        let pointer = join(parent, member);
        self.emit(
            &rules::MISSING_REQUIRED_MEMBER,
            &pointer,
            Anchor::Member,
            format!("`{shape}` has no `{member}`, which the service model requires"),
            Some(format!(
                "add `{member}` at `{}`",
                self.loaded.form.file_pointer(&pointer)
            )),
        );
    }

    /// T102 for strings: `min..=max` characters (Unicode scalar values, as
    /// Smithy counts string length).
    fn length(&mut self, pointer: &str, member: &str, value: &str, min: usize, max: Option<usize>) {
        let n = value.chars().count();
        if n >= min && max.is_none_or(|m| n <= m) {
            return;
        }
        let bounds = match max {
            Some(max) => format!("{min}..{max} characters"),
            None => format!(
                "at least {min} character{}",
                if min == 1 { "" } else { "s" }
            ),
        };
        let hint = if n == 0 {
            format!("give `{member}` a value, or leave it out if it is optional")
        } else {
            format!("shorten `{member}`")
        };
        self.emit(
            &rules::LENGTH_OUT_OF_RANGE,
            pointer,
            Anchor::Value,
            format!("`{member}` must be {bounds}, found {n}"),
            Some(hint),
        );
    }

    /// T102 for an optional `SchemaName` (min length 1).
    fn schema_name(&mut self, parent: &str, member: &str, value: Option<&String>) {
        if let Some(v) = value {
            self.length(&join(parent, member), member, v, 1, None);
        }
    }

    fn unknown_enum(&mut self, pointer: &str, member: &str, found: &str, allowed: &[&str]) {
        let list = allowed
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let hint = crate::schema::closest(found, allowed.iter().copied()).map_or_else(
            || format!("use one of {list}"),
            |c| format!("did you mean `{c}`?"),
        );
        self.emit(
            &rules::UNKNOWN_ENUM_VALUE,
            pointer,
            Anchor::Value,
            format!("`{member}` must be one of {list}, found `{found}`"),
            Some(hint),
        );
    }

    // ----- request -------------------------------------------------------

    fn request(&mut self) {
        let r = &self.loaded.request;
        if let Some(t) = &r.client_token {
            self.length("/ClientToken", "ClientToken", t, 1, Some(64));
        }
        // The describe response has no `ClientToken`; everything else it
        // echoes from the request.
        let shape = match self.loaded.form {
            Form::Describe => "BatchLoadTaskDescription",
            _ => "CreateBatchLoadTaskRequest",
        };
        for (member, value) in [
            ("TargetDatabaseName", &r.target_database_name),
            ("TargetTableName", &r.target_table_name),
        ] {
            match value {
                None => self.missing("", member, shape),
                Some(v) => self.resource_name(member, v),
            }
        }
        if let Some(v) = r.record_version
            && v < 1
        {
            self.emit(
                &rules::RECORD_VERSION_BELOW_ONE,
                "/RecordVersion",
                Anchor::Value,
                format!("`RecordVersion` must be at least 1, found {v}"),
                Some("leave it out for version 1, or give a version higher than the records already stored".into()),
            );
        }
        match &r.data_source_configuration {
            None => self.missing("", "DataSourceConfiguration", shape),
            Some(ds) => self.data_source(ds),
        }
        match &r.report_configuration {
            None => self.missing("", "ReportConfiguration", shape),
            Some(rc) => self.report(rc),
        }
        self.data_model_configuration(r.data_model_configuration.as_ref());
    }

    fn resource_name(&mut self, member: &str, v: &str) {
        let pointer = join("", member);
        let thing = if member == "TargetDatabaseName" {
            "database"
        } else {
            "table"
        };
        if let Some((i, c)) = v
            .chars()
            .enumerate()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            self.emit(
                &rules::INVALID_RESOURCE_NAME,
                &pointer,
                Anchor::Value,
                format!(
                    "`{member}` `{v}` has {} at character {}; only `a-z`, `A-Z`, `0-9`, `_`, `.` and `-` are allowed",
                    show(c),
                    i + 1
                ),
                Some(format!("use the {thing} name exactly as created in Timestream")),
            );
        }
        let n = v.chars().count();
        if !(3..=256).contains(&n) {
            self.emit(
                &rules::RESOURCE_NAME_LENGTH,
                &pointer,
                Anchor::Value,
                format!("`{member}` must be 3..256 characters, found {n}"),
                Some(format!(
                    "Timestream {thing} names are 3..256 characters long"
                )),
            );
        }
        if RESERVED_NAMES.contains(&v) {
            self.emit(
                &rules::SYSTEM_IDENTIFIER_RESOURCE_NAME,
                &pointer,
                Anchor::Value,
                format!("`{member}` `{v}` is a Timestream system identifier"),
                Some(format!(
                    "AWS recommends not naming a {thing} after a system identifier"
                )),
            );
        }
    }

    fn data_source(&mut self, ds: &DataSourceConfiguration) {
        const P: &str = "/DataSourceConfiguration";
        match &ds.data_source_s3_configuration {
            None => self.missing(P, "DataSourceS3Configuration", "DataSourceConfiguration"),
            Some(s3) => {
                let p = join(P, "DataSourceS3Configuration");
                match &s3.bucket_name {
                    None => self.missing(&p, "BucketName", "DataSourceS3Configuration"),
                    Some(b) => self.bucket(&join(&p, "BucketName"), "BucketName", b),
                }
                if let Some(k) = &s3.object_key_prefix {
                    self.object_key(&join(&p, "ObjectKeyPrefix"), "ObjectKeyPrefix", k, 1024);
                }
            }
        }
        match &ds.data_format {
            None => self.missing(P, "DataFormat", "DataSourceConfiguration"),
            Some(f) if !f.is_known() => self.unknown_enum(
                &join(P, "DataFormat"),
                "DataFormat",
                f.as_str(),
                crate::wire::DataFormat::VALUES,
            ),
            Some(_) => {}
        }
        if let Some(csv) = &ds.csv_configuration {
            self.csv(csv);
        }
    }

    fn report(&mut self, rc: &ReportConfiguration) {
        const P: &str = "/ReportConfiguration";
        let Some(s3) = &rc.report_s3_configuration else {
            self.emit(
                &rules::NO_REPORT_LOCATION,
                P,
                Anchor::Member,
                "`ReportConfiguration` has no `ReportS3Configuration`; where the service writes the error report is then undocumented".into(),
                Some("add `ReportS3Configuration` with a `BucketName` for the error report".into()),
            );
            return;
        };
        let p = join(P, "ReportS3Configuration");
        match &s3.bucket_name {
            None => self.missing(&p, "BucketName", "ReportS3Configuration"),
            Some(b) => self.bucket(&join(&p, "BucketName"), "BucketName", b),
        }
        if let Some(k) = &s3.object_key_prefix {
            self.object_key(&join(&p, "ObjectKeyPrefix"), "ObjectKeyPrefix", k, 928);
        }
        if let Some(e) = &s3.encryption_option
            && !e.is_known()
        {
            self.unknown_enum(
                &join(&p, "EncryptionOption"),
                "EncryptionOption",
                e.as_str(),
                EncryptionOption::VALUES,
            );
        }
        if let Some(k) = &s3.kms_key_id {
            self.length(&join(&p, "KmsKeyId"), "KmsKeyId", k, 1, Some(2048));
        }
        let kms = s3.encryption_option == Some(EncryptionOption::SseKms);
        if kms && s3.kms_key_id.is_none() {
            self.emit(
                &rules::KMS_KEY_MISSING,
                &join(&p, "EncryptionOption"),
                Anchor::Value,
                "`EncryptionOption` is `SSE_KMS` but `KmsKeyId` is missing; the API reference says an error is thrown".into(),
                Some("add `KmsKeyId` with the KMS key for the report, or use `SSE_S3`".into()),
            );
        }
        if !kms && s3.kms_key_id.is_some() {
            let found = s3
                .encryption_option
                .as_ref()
                .map_or_else(|| "not set".to_owned(), |e| format!("`{e}`"));
            self.emit(
                &rules::KMS_KEY_UNUSED,
                &join(&p, "KmsKeyId"),
                Anchor::Member,
                format!("`KmsKeyId` is set but `EncryptionOption` is {found}; the key is probably not used"),
                Some("set `EncryptionOption` to `SSE_KMS` to encrypt the report with this key, or remove `KmsKeyId`".into()),
            );
        }
    }

    /// `S3BucketName`: 3..63 characters, `[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]`.
    fn bucket(&mut self, pointer: &str, member: &str, b: &str) {
        let n = b.chars().count();
        let edge_ok =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let body_ok = b
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if (3..=63).contains(&n)
            && body_ok
            && edge_ok(b.chars().next())
            && edge_ok(b.chars().last())
        {
            return;
        }
        let hint = if b.starts_with("s3://") || b.starts_with("arn:") {
            "give the bare bucket name, without `s3://` or an ARN".to_owned()
        } else if b.contains('/') {
            "a bucket name has no `/`: put the path after the bucket in the key or prefix member"
                .to_owned()
        } else if b.chars().any(|c| c.is_ascii_uppercase()) {
            "bucket names are lower case".to_owned()
        } else if b.contains('_') {
            "bucket names use `-`, not `_`".to_owned()
        } else {
            "bucket names are 3..63 characters of `a-z`, `0-9`, `.` and `-`, starting and ending with a letter or digit".to_owned()
        };
        self.emit(
            &rules::INVALID_BUCKET_NAME,
            pointer,
            Anchor::Value,
            format!("`{member}` `{b}` is not a valid S3 bucket name"),
            Some(hint),
        );
    }

    /// `S3ObjectKey` (max 1024) / `S3ObjectKeyPrefix` (max 928), full match of
    /// `[a-zA-Z0-9|!\-_*'\(\)]([a-zA-Z0-9]|[!\-_*'\(\)\/.])+`.
    fn object_key(&mut self, pointer: &str, member: &str, k: &str, max: usize) {
        let n = k.chars().count();
        if n == 0 || n > max {
            self.emit(
                &rules::INVALID_OBJECT_KEY,
                pointer,
                Anchor::Value,
                format!("`{member}` must be 1..{max} characters, found {n}"),
                Some(if n == 0 {
                    format!("leave `{member}` out, or give a key")
                } else {
                    format!("shorten `{member}`")
                }),
            );
            return;
        }
        let first_ok = |c: char| c.is_ascii_alphanumeric() || "|!-_*'()".contains(c);
        let rest_ok = |c: char| c.is_ascii_alphanumeric() || "!-_*'()/.".contains(c);
        let bad = k
            .chars()
            .enumerate()
            .find(|&(i, c)| if i == 0 { !first_ok(c) } else { !rest_ok(c) });
        let (detail, hint) = match bad {
            None if n >= 2 => return,
            None => (
                "the pattern needs at least 2 characters".to_owned(),
                "use a longer key or prefix".to_owned(),
            ),
            Some((i, c)) => {
                let what = show(c);
                let detail = format!("{what} is not allowed at character {}", i + 1);
                let hint = if k.starts_with("s3://") {
                    "give only the key, without `s3://` and the bucket".to_owned()
                } else if i == 0 && c == '/' {
                    "drop the leading `/`: S3 keys do not start with one".to_owned()
                } else if i == 0 && c == '.' {
                    "a key may not start with `.` in the service model's pattern".to_owned()
                } else if c == '=' {
                    "Hive-style `name=value` folders cannot be used: the service model's pattern rejects `=`; copy the objects under a prefix without `=`".to_owned()
                } else if c == '|' {
                    "`|` is allowed only as the first character".to_owned()
                } else {
                    "S3 keys here may use only `a-z`, `A-Z`, `0-9` and `! - _ * ' ( ) / .`; copy the objects under a prefix without other characters".to_owned()
                };
                (detail, hint)
            }
        };
        self.emit(
            &rules::INVALID_OBJECT_KEY,
            pointer,
            Anchor::Value,
            format!("`{member}` `{k}` does not match the service model's pattern: {detail}"),
            Some(hint),
        );
    }

    fn data_model_configuration(&mut self, dmc: Option<&DataModelConfiguration>) {
        const P: &str = "/DataModelConfiguration";
        let Some(dmc) = dmc else {
            self.emit(
                &rules::NO_DATA_MODEL,
                P,
                Anchor::Member,
                "the task has no `DataModelConfiguration`; the service model allows this, but how the service would map the CSV is undocumented".into(),
                Some("add `DataModelConfiguration` with a `DataModel`".into()),
            );
            return;
        };
        match (&dmc.data_model, &dmc.data_model_s3_configuration) {
            (None, None) => self.emit(
                &rules::NO_DATA_MODEL,
                P,
                Anchor::Member,
                "`DataModelConfiguration` has neither `DataModel` nor `DataModelS3Configuration`".into(),
                Some("add a `DataModel`, or a `DataModelS3Configuration` pointing at one".into()),
            ),
            (Some(_), Some(_)) => self.emit(
                &rules::DATA_MODEL_INLINE_AND_S3,
                &join(P, "DataModelS3Configuration"),
                Anchor::Member,
                "both `DataModel` and `DataModelS3Configuration` are set; which one the service uses is undocumented".into(),
                Some("keep only one of them".into()),
            ),
            _ => {}
        }
        if let Some(s3) = &dmc.data_model_s3_configuration {
            let p = join(P, "DataModelS3Configuration");
            if let Some(b) = &s3.bucket_name {
                self.bucket(&join(&p, "BucketName"), "BucketName", b);
            }
            if let Some(k) = &s3.object_key {
                self.object_key(&join(&p, "ObjectKey"), "ObjectKey", k, 1024);
            }
            if s3.bucket_name.is_none() || s3.object_key.is_none() {
                let missing = if s3.bucket_name.is_none() {
                    "BucketName"
                } else {
                    "ObjectKey"
                };
                self.emit(
                    &rules::INCOMPLETE_DATA_MODEL_LOCATION,
                    &join(&p, missing),
                    Anchor::Member,
                    format!("`DataModelS3Configuration` has no `{missing}`, so the data model cannot be found"),
                    Some("give both `BucketName` and `ObjectKey` of the data model object".into()),
                );
            }
            if dmc.data_model.is_none() {
                self.emit(
                    &rules::DATA_MODEL_IN_S3,
                    &p,
                    Anchor::Member,
                    "the data model is kept in S3, so its mappings were not checked".into(),
                    Some("download it and run `tsload check` on that file, or inline it as `DataModel`".into()),
                );
            }
        }
        if let Some(m) = &dmc.data_model {
            self.data_model(m, MODEL_POINTER);
        }
    }

    // ----- data model ----------------------------------------------------

    fn data_model(&mut self, m: &DataModel, p: &str) {
        let mut names = Names::default();
        match &m.time_column {
            None => self.emit(
                &rules::MISSING_TIME_COLUMN,
                &join(p, "TimeColumn"),
                Anchor::Member,
                "the data model has no `TimeColumn`; the service model allows this, but every record needs a time and what the service does without one is undocumented".into(),
                Some("set `TimeColumn` to the CSV column holding epoch times".into()),
            ),
            Some(t) => {
                self.length(&join(p, "TimeColumn"), "TimeColumn", t, 1, Some(256));
                names.sources.push((t.clone(), Role::Time, join(p, "TimeColumn")));
            }
        }
        if let Some(u) = &m.time_unit
            && !u.is_known()
        {
            self.unknown_enum(
                &join(p, "TimeUnit"),
                "TimeUnit",
                u.as_str(),
                crate::wire::TimeUnit::VALUES,
            );
        }
        if let Some(c) = &m.measure_name_column {
            self.length(
                &join(p, "MeasureNameColumn"),
                "MeasureNameColumn",
                c,
                1,
                Some(256),
            );
            names
                .sources
                .push((c.clone(), Role::MeasureName, join(p, "MeasureNameColumn")));
        }
        self.dimensions(m, p, &mut names);

        let multi_p = join(p, "MultiMeasureMappings");
        let mixed_p = join(p, "MixedMeasureMappings");
        match (&m.multi_measure_mappings, &m.mixed_measure_mappings) {
            (None, None) => self.emit(
                &rules::NO_MEASURE_MAPPINGS,
                p,
                Anchor::Member,
                "the data model has neither `MultiMeasureMappings` nor `MixedMeasureMappings`, so it writes no measures".into(),
                Some("add `MultiMeasureMappings` with the measure columns".into()),
            ),
            (Some(_), Some(_)) => self.emit(
                &rules::BOTH_MEASURE_MAPPINGS,
                &mixed_p,
                Anchor::Member,
                "both `MultiMeasureMappings` and `MixedMeasureMappings` are set; the documentation presents them as two options".into(),
                Some("keep one: `MultiMeasureMappings` for multi-measure records only, `MixedMeasureMappings` when single-measure records are needed".into()),
            ),
            _ => {}
        }
        if let Some(mm) = &m.multi_measure_mappings {
            self.multi(mm, m, &multi_p, &mut names);
        }
        if let Some(mixed) = &m.mixed_measure_mappings {
            if mixed.is_empty() {
                self.emit(
                    &rules::LENGTH_OUT_OF_RANGE,
                    &mixed_p,
                    Anchor::Value,
                    "`MixedMeasureMappings` must have at least 1 mapping, found 0".into(),
                    Some("add a mapping, or remove `MixedMeasureMappings`".into()),
                );
            }
            for (i, mx) in mixed.iter().enumerate() {
                self.mixed(mx, m, &join(&mixed_p, &i.to_string()), i + 1, &mut names);
            }
        }
        self.target_names(&names.targets);
        self.roles(&names.sources);
    }

    fn dimensions(&mut self, m: &DataModel, p: &str, names: &mut Names) {
        let dp = join(p, "DimensionMappings");
        let dims = m.dimension_mappings.as_deref().unwrap_or_default();
        if dims.is_empty() {
            let what = if m.dimension_mappings.is_some() {
                "is empty"
            } else {
                "is missing"
            };
            self.emit(
                &rules::NO_DIMENSIONS,
                &dp,
                Anchor::Member,
                format!(
                    "`DimensionMappings` {what}; the service model requires at least one dimension"
                ),
                Some(
                    "map at least one CSV column as a dimension: `{\"SourceColumn\": \"host\"}`"
                        .into(),
                ),
            );
        }
        if dims.len() > MAX_DIMENSIONS {
            self.emit(
                &rules::TOO_MANY_DIMENSIONS,
                &join(&dp, &MAX_DIMENSIONS.to_string()),
                Anchor::Value,
                format!(
                    "{} dimensions are mapped; a table has at most {MAX_DIMENSIONS}",
                    dims.len()
                ),
                Some(
                    "map fewer columns as dimensions (extra ones can be VARCHAR attributes)".into(),
                ),
            );
        }
        for (i, d) in dims.iter().enumerate() {
            let ip = join(&dp, &i.to_string());
            self.schema_name(&ip, "SourceColumn", d.source_column.as_ref());
            self.schema_name(&ip, "DestinationColumn", d.destination_column.as_ref());
            let Some(src) = &d.source_column else {
                self.emit(
                    &rules::DIMENSION_WITHOUT_SOURCE,
                    &join(&ip, "SourceColumn"),
                    Anchor::Member,
                    "this dimension mapping has no `SourceColumn`, so it reads no column; the service model leaves it optional".into(),
                    Some("set `SourceColumn` to the CSV header of the dimension".into()),
                );
                continue;
            };
            names
                .sources
                .push((src.clone(), Role::Dimension, join(&ip, "SourceColumn")));
            let (name, member, defaulted_from) = match &d.destination_column {
                Some(n) => (n, "DestinationColumn", None),
                None => (src, "SourceColumn", Some("DestinationColumn")),
            };
            names.targets.push(Target {
                name: name.clone(),
                kind: NameKind::Dimension,
                pointer: join(&ip, member),
                defaulted_from,
                value_type: None,
            });
        }
    }

    fn multi(
        &mut self,
        mm: &crate::wire::MultiMeasureMappings,
        m: &DataModel,
        p: &str,
        names: &mut Names,
    ) {
        self.schema_name(
            p,
            "TargetMultiMeasureName",
            mm.target_multi_measure_name.as_ref(),
        );
        match (&m.measure_name_column, &mm.target_multi_measure_name) {
            (None, None) => self.emit(
                &rules::MISSING_TARGET_MULTI_MEASURE_NAME,
                &join(p, "TargetMultiMeasureName"),
                Anchor::Member,
                "`MultiMeasureMappings` has no `TargetMultiMeasureName` and the data model has no `MeasureNameColumn`, so the records have no measure name".into(),
                Some("set `TargetMultiMeasureName` (one name for every record) or `MeasureNameColumn` (a name per row)".into()),
            ),
            (Some(c), Some(t)) => self.emit(
                &rules::MEASURE_NAME_COLUMN_AND_TARGET,
                &join(p, "TargetMultiMeasureName"),
                Anchor::Member,
                format!("both `MeasureNameColumn` (`{c}`) and `TargetMultiMeasureName` (`{t}`) are set; which one names the records is undocumented (tsload assumes the column)"),
                Some("remove one of them".into()),
            ),
            (None, Some(t)) => names.targets.push(Target {
                name: t.clone(),
                kind: NameKind::Measure,
                pointer: join(p, "TargetMultiMeasureName"),
                defaulted_from: None,
                value_type: None,
            }),
            (Some(_), None) => {}
        }
        let ap = join(p, "MultiMeasureAttributeMappings");
        let attrs = mm
            .multi_measure_attribute_mappings
            .as_deref()
            .unwrap_or_default();
        if attrs.is_empty() {
            let what = if mm.multi_measure_attribute_mappings.is_some() {
                "is empty"
            } else {
                "is missing"
            };
            self.emit(
                &rules::NO_MULTI_MEASURE_ATTRIBUTES,
                &ap,
                Anchor::Member,
                format!("`MultiMeasureAttributeMappings` {what}; multi-measure records need at least one attribute"),
                Some("map the measure columns: `{\"SourceColumn\": \"cpu\", \"MeasureValueType\": \"DOUBLE\"}`".into()),
            );
        }
        self.attributes(attrs, &ap, 0, names);
    }

    fn mixed(
        &mut self,
        mx: &crate::wire::MixedMeasureMapping,
        m: &DataModel,
        p: &str,
        record: usize,
        names: &mut Names,
    ) {
        self.schema_name(p, "MeasureName", mx.measure_name.as_ref());
        self.schema_name(p, "SourceColumn", mx.source_column.as_ref());
        self.schema_name(p, "TargetMeasureName", mx.target_measure_name.as_ref());
        if let (Some(c), None) = (&m.measure_name_column, &mx.measure_name) {
            self.emit(
                &rules::MIXED_MAPPING_WITHOUT_MEASURE_NAME,
                &join(p, "MeasureName"),
                Anchor::Member,
                format!("the data model has `MeasureNameColumn` (`{c}`) but this mapping has no `MeasureName`, so no row selects it (by analogy with scheduled queries, where it is required)"),
                Some(format!("set `MeasureName` to the value of `{c}` that selects this mapping")),
            );
        }
        let vt_p = join(p, "MeasureValueType");
        let Some(vt) = &mx.measure_value_type else {
            self.missing(p, "MeasureValueType", "MixedMeasureMapping");
            return;
        };
        if !vt.is_known() {
            self.unknown_enum(
                &vt_p,
                "MeasureValueType",
                vt.as_str(),
                MeasureValueType::VALUES,
            );
            return;
        }
        let attrs_p = join(p, "MultiMeasureAttributeMappings");
        if *vt == MeasureValueType::Multi {
            let attrs = mx
                .multi_measure_attribute_mappings
                .as_deref()
                .unwrap_or_default();
            if attrs.is_empty() {
                self.emit(
                    &rules::MULTI_MAPPING_WITHOUT_ATTRIBUTES,
                    &attrs_p,
                    Anchor::Member,
                    "this `MULTI` mapping has no `MultiMeasureAttributeMappings`; the documentation requires them".into(),
                    Some("list the attributes of the multi-measure record".into()),
                );
            }
            if let Some(s) = &mx.source_column {
                self.emit(
                    &rules::SOURCE_COLUMN_ON_MULTI_MAPPING,
                    &join(p, "SourceColumn"),
                    Anchor::Member,
                    format!("`SourceColumn` (`{s}`) on a `MULTI` mapping is probably not read: the attributes name their own columns"),
                    Some("remove `SourceColumn`, or map the column as an attribute".into()),
                );
            }
            match mx.target_measure_name.as_ref().or(mx.measure_name.as_ref()) {
                None => self.emit(
                    &rules::MULTI_MAPPING_WITHOUT_NAME,
                    &join(p, "TargetMeasureName"),
                    Anchor::Member,
                    "this `MULTI` mapping has neither `TargetMeasureName` nor `MeasureName`, so its records have no measure name (the documented default is the source column, which a `MULTI` mapping does not have)".into(),
                    Some("set `TargetMeasureName`".into()),
                ),
                Some(n) => {
                    let member = if mx.target_measure_name.is_some() { "TargetMeasureName" } else { "MeasureName" };
                    names.targets.push(Target {
                        name: n.clone(),
                        kind: NameKind::Measure,
                        pointer: join(p, member),
                        defaulted_from: None,
                        value_type: None,
                    });
                }
            }
            self.attributes(attrs, &attrs_p, record, names);
            return;
        }
        // A scalar single-measure record.
        if *vt == MeasureValueType::Timestamp {
            self.emit(
                &rules::SCALAR_TIMESTAMP_MEASURE,
                &vt_p,
                Anchor::Value,
                "`TIMESTAMP` is supported only for multi-measure records, not as a single-measure record".into(),
                Some("use `BIGINT`, or move the column into a `MULTI` mapping as a `TIMESTAMP` attribute".into()),
            );
        }
        if mx.multi_measure_attribute_mappings.is_some() {
            self.emit(
                &rules::SCALAR_MAPPING_WITH_ATTRIBUTES,
                &attrs_p,
                Anchor::Member,
                format!("a `{vt}` mapping writes one value; its `MultiMeasureAttributeMappings` would not be read"),
                Some("set `MeasureValueType` to `MULTI` for a multi-measure record, or remove the attributes".into()),
            );
        }
        let Some(src) = &mx.source_column else {
            self.emit(
                &rules::SCALAR_MAPPING_WITHOUT_SOURCE,
                &join(p, "SourceColumn"),
                Anchor::Member,
                format!("this `{vt}` mapping has no `SourceColumn`, so it has no value to read"),
                Some("set `SourceColumn` to the CSV column holding the measure value".into()),
            );
            return;
        };
        names
            .sources
            .push((src.clone(), Role::Measure, join(p, "SourceColumn")));
        let (name, member, defaulted_from) = if let Some(t) = &mx.target_measure_name {
            (t, "TargetMeasureName", None)
        } else if let Some(n) = &mx.measure_name {
            (n, "MeasureName", None)
        } else {
            (src, "SourceColumn", Some("TargetMeasureName"))
        };
        names.targets.push(Target {
            name: name.clone(),
            kind: NameKind::Measure,
            pointer: join(p, member),
            defaulted_from,
            value_type: Some(vt.clone()),
        });
    }

    fn attributes(
        &mut self,
        attrs: &[MultiMeasureAttributeMapping],
        p: &str,
        record: usize,
        names: &mut Names,
    ) {
        if attrs.len() > MAX_ATTRIBUTES {
            self.emit(
                &rules::TOO_MANY_ATTRIBUTES,
                &join(p, &MAX_ATTRIBUTES.to_string()),
                Anchor::Value,
                format!(
                    "{} attributes in one multi-measure record; the limit is {MAX_ATTRIBUTES}",
                    attrs.len()
                ),
                Some("split the attributes over several `MULTI` mappings".into()),
            );
        }
        for (i, a) in attrs.iter().enumerate() {
            let ap = join(p, &i.to_string());
            self.schema_name(&ap, "SourceColumn", a.source_column.as_ref());
            self.schema_name(
                &ap,
                "TargetMultiMeasureAttributeName",
                a.target_multi_measure_attribute_name.as_ref(),
            );
            let vt_p = join(&ap, "MeasureValueType");
            match &a.measure_value_type {
                None => self.emit(
                    &rules::MISSING_MEASURE_VALUE_TYPE,
                    &vt_p,
                    Anchor::Member,
                    "this attribute has no `MeasureValueType`; the service model allows that, but the default type is undocumented, so tsload requires it".into(),
                    Some("add `\"MeasureValueType\"`: one of `DOUBLE`, `BIGINT`, `VARCHAR`, `BOOLEAN`, `TIMESTAMP`".into()),
                ),
                Some(MeasureValueType::Multi) => self.emit(
                    &rules::UNKNOWN_ENUM_VALUE,
                    &vt_p,
                    Anchor::Value,
                    "`MULTI` is not a type of an attribute: attributes are `DOUBLE`, `BIGINT`, `BOOLEAN`, `VARCHAR` or `TIMESTAMP`".into(),
                    Some("`MULTI` belongs in a `MixedMeasureMapping`; give the attribute's scalar type".into()),
                ),
                Some(t) if !t.is_known() => {
                    self.unknown_enum(&vt_p, "MeasureValueType", t.as_str(), &MeasureValueType::VALUES[..5]);
                }
                Some(_) => {}
            }
            let Some(src) = &a.source_column else {
                self.missing(&ap, "SourceColumn", "MultiMeasureAttributeMapping");
                continue;
            };
            names
                .sources
                .push((src.clone(), Role::Measure, join(&ap, "SourceColumn")));
            let (name, member, defaulted_from) = match &a.target_multi_measure_attribute_name {
                Some(n) => (n, "TargetMultiMeasureAttributeName", None),
                None => (src, "SourceColumn", Some("TargetMultiMeasureAttributeName")),
            };
            names.targets.push(Target {
                name: name.clone(),
                kind: NameKind::Attribute { record },
                pointer: join(&ap, member),
                defaulted_from,
                value_type: a
                    .measure_value_type
                    .clone()
                    .filter(MeasureValueType::is_known),
            });
        }
    }

    // ----- names ---------------------------------------------------------

    fn target_names(&mut self, targets: &[Target]) {
        for t in targets {
            self.target_name(t);
        }
        // V13: duplicates and dimension/measure clashes; T311: type conflicts.
        let mut seen: HashMap<&str, Vec<&Target>> = HashMap::new();
        for t in targets {
            if t.name.is_empty() {
                continue;
            }
            let earlier = seen.entry(&t.name).or_default();
            if let Some(first) = earlier.iter().find(|e| clashes(e.kind, t.kind)) {
                let at = self.loaded.form.file_pointer(&first.pointer);
                let (rule_msg, hint) = if first.kind == NameKind::Dimension
                    && t.kind == NameKind::Dimension
                {
                    (
                        format!(
                            "dimension name `{}` is used twice (first at `{at}`)",
                            t.name
                        ),
                        "give each dimension its own `DestinationColumn`".to_owned(),
                    )
                } else if matches!(
                    (first.kind, t.kind),
                    (NameKind::Attribute { .. }, NameKind::Attribute { .. })
                ) {
                    (
                        format!(
                            "attribute name `{}` is used twice in one record (first at `{at}`)",
                            t.name
                        ),
                        "give each attribute its own `TargetMultiMeasureAttributeName`".to_owned(),
                    )
                } else {
                    (
                        format!(
                            "`{}` names both {} (at `{at}`) and {}; a dimension cannot have the name of a measure",
                            t.name,
                            first.kind.a_noun(),
                            t.kind.a_noun()
                        ),
                        "rename one of them (names are case-sensitive)".to_owned(),
                    )
                };
                let d = self
                    .diag(
                        &rules::DUPLICATE_TARGET_NAME,
                        &t.pointer,
                        Anchor::Value,
                        rule_msg,
                    )
                    .with_hint(with_default(hint, t));
                self.out.push(d);
            } else if let Some(first) = earlier.iter().find(|e| {
                same_namespace(e.kind, t.kind)
                    && e.value_type.is_some()
                    && t.value_type.is_some()
                    && e.value_type != t.value_type
            }) {
                let at = self.loaded.form.file_pointer(&first.pointer);
                let (a, b) = (
                    first.value_type.as_ref().map(ToString::to_string),
                    t.value_type.as_ref().map(ToString::to_string),
                );
                let d = self
                    .diag(
                        &rules::MEASURE_TYPE_CONFLICT,
                        &t.pointer,
                        Anchor::Value,
                        format!(
                            "{} `{}` is `{}` here but `{}` at `{at}`; a column's type is fixed when it is first written",
                            t.kind.noun(),
                            t.name,
                            b.unwrap_or_default(),
                            a.unwrap_or_default()
                        ),
                    )
                    .with_hint("use one type for the name everywhere, or rename one of them");
                self.out.push(d);
            }
            earlier.push(t);
        }
    }

    fn target_name(&mut self, t: &Target) {
        let n = t.name.as_str();
        if n.is_empty() {
            return; // T102 already
        }
        let dim = t.kind == NameKind::Dimension;
        let noun = t.kind.noun();
        match reserved_name(n.as_bytes(), dim) {
            Some((rule, _)) if rule == &rules::RESERVED_NAME => {
                let d = self
                    .diag(rule, &t.pointer, Anchor::Value, format!("{noun} `{n}` is a reserved system identifier of Timestream"))
                    .with_hint(with_default(format!("choose another {noun} name; `time`, `measure_name`, `measure_value` and `ts_non_existent_col` are reserved"), t));
                self.out.push(d);
            }
            Some((rule, prefix)) => {
                let message = format!("{noun} `{n}` {}", reserved_prefix_phrase(rule, prefix));
                let d = self
                    .diag(rule, &t.pointer, Anchor::Value, message)
                    .with_hint(with_default("choose a name that does not start with `ts_`, `measure_name` or `measure_value`".to_owned(), t));
                self.out.push(d);
            }
            None => {}
        }
        if n.contains(':') {
            let (rule, msg) = if dim {
                (
                    &rules::COLON_IN_DIMENSION_NAME,
                    format!(
                        "dimension name `{n}` contains `:`, which dimension names cannot contain"
                    ),
                )
            } else {
                (
                    &rules::COLON_IN_MEASURE_NAME,
                    format!(
                        "{noun} `{n}` contains `:`; the documentation forbids it in dimension names, and the `measure_value::type` column syntax makes it risky in measure names"
                    ),
                )
            };
            let d = self
                .diag(rule, &t.pointer, Anchor::Value, msg)
                .with_hint(with_default("replace `:` with `_`".to_owned(), t));
            self.out.push(d);
        }
        let (rule, max) = if dim {
            (&rules::DIMENSION_NAME_TOO_LONG, MAX_DIMENSION_NAME_BYTES)
        } else {
            (&rules::MEASURE_NAME_TOO_LONG, MAX_MEASURE_NAME_BYTES)
        };
        if n.len() > max {
            let d = self
                .diag(
                    rule,
                    &t.pointer,
                    Anchor::Value,
                    format!(
                        "{noun} `{}` is {} bytes; the limit is {max} bytes",
                        crate::diag::truncate_value(n),
                        n.len()
                    ),
                )
                .with_hint(with_default(
                    format!("use a name of at most {max} bytes (UTF-8)"),
                    t,
                ));
            self.out.push(d);
        }
        if SQL_RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(n)) {
            let d = self
                .diag(&rules::SQL_RESERVED_WORD, &t.pointer, Anchor::Value, format!("{noun} `{n}` is a reserved word of Timestream's query language; queries must quote it as `\"{n}\"`"))
                .with_hint(with_default("choose another name if you want to query it without quotes".to_owned(), t));
            self.out.push(d);
        }
    }

    /// V16: a source column used in two roles.
    fn roles(&mut self, sources: &[(String, Role, String)]) {
        let mut first: HashMap<&str, (Role, &str)> = HashMap::new();
        let mut warned: Vec<&str> = Vec::new();
        for (col, role, pointer) in sources {
            match first.get(col.as_str()) {
                None => {
                    first.insert(col, (*role, pointer));
                }
                Some(&(r0, p0)) if r0 != *role && !warned.contains(&col.as_str()) => {
                    warned.push(col);
                    let at = self.loaded.form.file_pointer(p0);
                    let d = self
                        .diag(
                            &rules::SOURCE_COLUMN_MULTIPLE_ROLES,
                            pointer,
                            Anchor::Value,
                            format!("source column `{col}` is used as {} and as {} (at `{at}`); whether the service allows that is undocumented", role.noun(), r0.noun()),
                        )
                        .with_hint("map each CSV column to one role; duplicate the column in the data if you need it twice");
                    self.out.push(d);
                }
                Some(_) => {}
            }
        }
    }

    // ----- CSV -----------------------------------------------------------

    fn csv(&mut self, c: &CsvConfiguration) {
        const P: &str = "/DataSourceConfiguration/CsvConfiguration";
        let sep = self.csv_char(P, "ColumnSeparator", c.column_separator.as_deref());
        let esc = self.csv_char(P, "EscapeChar", c.escape_char.as_deref());
        let quote = self.csv_char(P, "QuoteChar", c.quote_char.as_deref());
        if let Some(s) = sep
            && !DOCUMENTED_SEPARATORS.contains(&s)
        {
            self.emit(
                &rules::UNDOCUMENTED_SEPARATOR,
                &join(P, "ColumnSeparator"),
                Anchor::Value,
                format!("`ColumnSeparator` {} is not one of the documented separators (comma, pipe, semicolon, TAB, blank); the service may reject it", show(s)),
                Some("use `,`, `|`, `;`, a TAB or a blank".into()),
            );
        }
        if let Some(q) = quote
            && !DOCUMENTED_QUOTES.contains(&q)
        {
            self.emit(
                &rules::UNDOCUMENTED_QUOTE,
                &join(P, "QuoteChar"),
                Anchor::Value,
                format!(
                    "`QuoteChar` {} is not one of the documented quote characters (`\"` and `'`)",
                    show(q)
                ),
                Some("use `\"` or `'`".into()),
            );
        }
        // Collisions, with the defaults `,` and `"` [INF] for unset members.
        let sep_eff = sep.or(c.column_separator.is_none().then_some(','));
        let quote_eff = quote.or(c.quote_char.is_none().then_some('"'));
        if let (Some(s), Some(q)) = (sep_eff, quote_eff)
            && s == q
        {
            let member = if c.quote_char.is_some() {
                "QuoteChar"
            } else {
                "ColumnSeparator"
            };
            self.emit(
                &rules::SEPARATOR_COLLISION,
                &join(P, member),
                Anchor::Value,
                format!(
                    "`ColumnSeparator` and `QuoteChar` are both {}{}",
                    show(s),
                    default_note(c.column_separator.is_none(), c.quote_char.is_none())
                ),
                Some("use different characters for the separator and the quote".into()),
            );
        }
        if let (Some(s), Some(e)) = (sep_eff, esc)
            && s == e
        {
            self.emit(
                &rules::SEPARATOR_COLLISION,
                &join(P, "EscapeChar"),
                Anchor::Value,
                format!(
                    "`ColumnSeparator` and `EscapeChar` are both {}{}",
                    show(s),
                    default_note(c.column_separator.is_none(), false)
                ),
                Some("use different characters for the separator and the escape".into()),
            );
        }
        if let (Some(q), Some(e)) = (quote_eff, esc)
            && q == e
        {
            self.emit(
                &rules::ESCAPE_EQUALS_QUOTE,
                &join(P, "EscapeChar"),
                Anchor::Value,
                format!("`EscapeChar` equals `QuoteChar` ({}){}; escaping a quote by doubling it is undocumented", show(q), default_note(false, c.quote_char.is_none())),
                Some("use a different escape character such as `\\`, or leave `EscapeChar` out".into()),
            );
        }
        if let Some(nv) = &c.null_value {
            self.length(&join(P, "NullValue"), "NullValue", nv, 1, Some(256));
        }
        if c.trim_white_space == Some(true)
            && let Some(s @ (' ' | '\t')) = sep
        {
            let name = if s == ' ' { "a blank" } else { "a TAB" };
            self.emit(
                &rules::TRIM_WITH_BLANK_SEPARATOR,
                &join(P, "TrimWhiteSpace"),
                Anchor::Value,
                format!("`TrimWhiteSpace` is on and `ColumnSeparator` is {name}; how white space around fields is then trimmed is undocumented"),
                Some("turn `TrimWhiteSpace` off, or use a separator that is not white space".into()),
            );
        }
    }

    /// Checks one of the single-character members. Returns the character
    /// when it is usable (exactly one ASCII character that is not a line
    /// break), so the cross-member checks only see usable values.
    fn csv_char(&mut self, parent: &str, member: &str, v: Option<&str>) -> Option<char> {
        let v = v?;
        let p = join(parent, member);
        let mut chars = v.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            if member == "ColumnSeparator" && (v == "/t" || v == "\\t") {
                self.emit(
                    &rules::TAB_TYPO,
                    &p,
                    Anchor::Value,
                    format!("`ColumnSeparator` is the two characters `{v}`, not a TAB; the documentation's `'/t'` is a typo"),
                    Some("write a literal TAB: `\"ColumnSeparator\": \"\\t\"` in JSON".into()),
                );
            } else {
                let n = v.chars().count();
                self.emit(
                    &rules::CSV_CHAR_NOT_SINGLE,
                    &p,
                    Anchor::Value,
                    format!(
                        "`{member}` must be exactly one character, found {n}{}",
                        if n == 0 {
                            String::new()
                        } else {
                            format!(": `{}`", v.escape_debug())
                        }
                    ),
                    Some(if n == 0 {
                        format!("leave `{member}` out for the default, or give one character")
                    } else {
                        format!("give one character as `{member}`")
                    }),
                );
            }
            return None;
        };
        if !c.is_ascii() {
            self.emit(
                &rules::NON_ASCII_CSV_CHAR,
                &p,
                Anchor::Value,
                format!("`{member}` `{c}` (U+{:04X}) is not ASCII; tsload reads CSV byte by byte and the service documents only ASCII characters", u32::from(c)),
                Some("use an ASCII character".into()),
            );
            return None;
        }
        if c == '\n' || c == '\r' {
            self.emit(
                &rules::LINE_BREAK_CSV_CHAR,
                &p,
                Anchor::Value,
                format!(
                    "`{member}` is a line break ({}), but records are separated by new lines",
                    show(c)
                ),
                Some("use a visible character".into()),
            );
            return None;
        }
        Some(c)
    }
}

/// Whether two uses of the same name break V13.
fn clashes(a: NameKind, b: NameKind) -> bool {
    match (a, b) {
        (NameKind::Dimension, _) | (_, NameKind::Dimension) => true,
        (NameKind::Attribute { record: x }, NameKind::Attribute { record: y }) => x == y,
        _ => false,
    }
}

/// Whether two uses of a name share a type (same column or same measure).
fn same_namespace(a: NameKind, b: NameKind) -> bool {
    matches!(
        (a, b),
        (NameKind::Attribute { .. }, NameKind::Attribute { .. })
            | (NameKind::Measure, NameKind::Measure)
    )
}

/// Adds "the name defaults to `SourceColumn`" to a hint when it does.
fn with_default(hint: String, t: &Target) -> String {
    match t.defaulted_from {
        None => hint,
        Some(member) => {
            format!("{hint}; the name defaults to `SourceColumn`: set `{member}` to rename it")
        }
    }
}

/// A character for a message: in backticks, with control characters
/// escaped and blanks named.
fn show(c: char) -> String {
    match c {
        ' ' => "` ` (a blank)".to_owned(),
        '\t' => "TAB".to_owned(),
        '`' => "`` ` ``".to_owned(),
        c if c.is_control() => format!("`{}`", c.escape_default()),
        c => format!("`{c}`"),
    }
}

fn default_note(sep_default: bool, quote_default: bool) -> &'static str {
    match (sep_default, quote_default) {
        (true, _) => " (the separator defaults to `,`)",
        (_, true) => " (the quote defaults to `\"`)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load;

    fn codes(text: &str) -> Vec<&'static str> {
        let l = load(text, "t.json").unwrap();
        check(&l).iter().map(|d| d.rule.code).collect()
    }

    const REQ: &str = r#"{
      "TargetDatabaseName": "db1", "TargetTableName": "tbl",
      "DataSourceConfiguration": {"DataSourceS3Configuration": {"BucketName": "in-bucket", "ObjectKeyPrefix": "a/b.csv"}, "DataFormat": "CSV"},
      "ReportConfiguration": {"ReportS3Configuration": {"BucketName": "rep-bucket"}},
      "DataModelConfiguration": {"DataModel": MODEL}}"#;

    const MODEL: &str = r#"{"TimeColumn": "t", "DimensionMappings": [{"SourceColumn": "h"}],
      "MultiMeasureMappings": {"TargetMultiMeasureName": "m",
        "MultiMeasureAttributeMappings": [{"SourceColumn": "c", "MeasureValueType": "DOUBLE"}]}}"#;

    fn req(edit: impl Fn(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(&REQ.replace("MODEL", MODEL)).unwrap();
        edit(&mut v);
        v.to_string()
    }

    #[test]
    fn a_clean_request_and_model_pass() {
        assert_eq!(codes(&req(|_| {})), Vec::<&str>::new());
        assert_eq!(codes(MODEL), Vec::<&str>::new());
    }

    #[test]
    fn bare_models_skip_request_checks() {
        // No TargetDatabaseName etc.: nothing to say for a bare model.
        assert!(codes(MODEL).is_empty());
        // The model itself (T205) is at 1:1, before `DimensionMappings` (T204).
        assert_eq!(
            codes(r#"{"TimeColumn": "t", "DimensionMappings": []}"#),
            vec!["T205", "T204"]
        );
    }

    #[test]
    fn s3_patterns_full_match() {
        let set = |p: &'static str, v: &'static str| {
            req(move |r| r.pointer_mut(p).map(|x| *x = v.into()).unwrap())
        };
        let key = "/DataSourceConfiguration/DataSourceS3Configuration/ObjectKeyPrefix";
        let bucket = "/DataSourceConfiguration/DataSourceS3Configuration/BucketName";
        for ok in ["a/", "loads/2025-01-01/", "|x", "sample.csv", "x(1)!*'"] {
            assert!(codes(&set(key, ok)).is_empty(), "{ok}");
        }
        for bad in [
            "a",
            "/a",
            ".a",
            "year=2024/",
            "a b",
            "a|b",
            "s3://b/k",
            "a,b",
            "a%20",
            "é/x",
        ] {
            assert_eq!(codes(&set(key, bad)), vec!["T105"], "{bad}");
        }
        for ok in ["abc", "a.b-c", "0ab"] {
            assert!(codes(&set(bucket, ok)).is_empty(), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            "s3://abc",
            &"a".repeat(64),
        ] {
            let text = req(|r| *r.pointer_mut(bucket).unwrap() = bad.into());
            assert_eq!(codes(&text), vec!["T104"], "{bad}");
        }
    }

    #[test]
    fn resource_names() {
        let t = |v: &str| {
            let v = v.to_owned();
            codes(&req(move |r| r["TargetTableName"] = v.clone().into()))
        };
        assert!(t("a.b-c_D9").is_empty());
        assert_eq!(t("ab"), vec!["T107"]);
        assert_eq!(t("a b c"), vec!["T106"]);
        assert_eq!(t("time"), vec!["T112"]);
        assert_eq!(t(&"a".repeat(257)), vec!["T107"]);
    }

    #[test]
    fn defaulted_names_are_checked_and_hinted() {
        let l = load(
            r#"{"TimeColumn": "t", "DimensionMappings": [{"SourceColumn": "time"}],
                "MultiMeasureMappings": {"TargetMultiMeasureName": "m",
                  "MultiMeasureAttributeMappings": [{"SourceColumn": "select", "MeasureValueType": "DOUBLE"}]}}"#,
            "m.json",
        )
        .unwrap();
        let d = check(&l);
        assert_eq!(
            d.iter().map(|d| d.rule.code).collect::<Vec<_>>(),
            vec!["T302", "T308"]
        );
        assert!(
            d[0].hint
                .as_deref()
                .unwrap()
                .ends_with("set `DestinationColumn` to rename it")
        );
        let Location::Json { pointer, .. } = &d[0].location else {
            panic!()
        };
        assert_eq!(pointer, "/DimensionMappings/0/SourceColumn");
    }

    #[test]
    fn reserved_prefixes_documented_and_inferred() {
        // `measure_value` is documented for dimension names; for measure
        // and attribute names it is the practical rule set's guess.
        let l = load(
            r#"{"TimeColumn": "t", "DimensionMappings": [{"SourceColumn": "measure_value_d"}, {"SourceColumn": "ts_d"}],
                "MultiMeasureMappings": {"TargetMultiMeasureName": "measure_name_m",
                  "MultiMeasureAttributeMappings": [{"SourceColumn": "measure_value_a", "MeasureValueType": "DOUBLE"}]}}"#,
            "m.json",
        )
        .unwrap();
        let got: Vec<_> = check(&l)
            .iter()
            .map(|d| (d.rule.code, d.rule.evidence))
            .collect();
        assert_eq!(
            got,
            vec![
                ("T303", crate::diag::Evidence::Doc),
                ("T303", crate::diag::Evidence::Doc),
                ("T303", crate::diag::Evidence::Doc),
                ("T312", crate::diag::Evidence::Inf)
            ]
        );
        assert_eq!(
            reserved_name(b"measure_value", false),
            Some((&rules::RESERVED_NAME, "measure_value"))
        );
        assert_eq!(
            reserved_name(b"ts_non_existent_col", true),
            Some((&rules::RESERVED_NAME, "ts_non_existent_col"))
        );
        assert_eq!(reserved_name(b"Time", true), None, "case-sensitive");
        assert_eq!(reserved_name(b"cpu_ts_", false), None);
    }

    #[test]
    fn names_clash_case_sensitively() {
        let m = r#"{"TimeColumn": "t",
            "DimensionMappings": [{"SourceColumn": "a"}, {"SourceColumn": "b", "DestinationColumn": "a"}, {"SourceColumn": "Host"}],
            "MultiMeasureMappings": {"TargetMultiMeasureName": "m", "MultiMeasureAttributeMappings": [
              {"SourceColumn": "host", "MeasureValueType": "DOUBLE"},
              {"SourceColumn": "x", "TargetMultiMeasureAttributeName": "Host", "MeasureValueType": "DOUBLE"},
              {"SourceColumn": "y", "TargetMultiMeasureAttributeName": "host", "MeasureValueType": "DOUBLE"}]}}"#;
        assert_eq!(codes(m), vec!["T301", "T301", "T301"]);
    }

    #[test]
    fn mixed_mappings() {
        let fixture_d = r#"{"TimeColumn":"time","TimeUnit":"MILLISECONDS",
          "DimensionMappings":[{"SourceColumn":"host"}],
          "MeasureNameColumn":"measure_name",
          "MixedMeasureMappings":[
            {"MeasureName":"cpu","SourceColumn":"value","MeasureValueType":"DOUBLE"},
            {"MeasureName":"metrics","MeasureValueType":"MULTI","TargetMeasureName":"metrics",
             "MultiMeasureAttributeMappings":[{"SourceColumn":"value","TargetMultiMeasureAttributeName":"v","MeasureValueType":"DOUBLE"},
                                              {"SourceColumn":"ts2","MeasureValueType":"TIMESTAMP"}]}]}"#;
        assert!(codes(fixture_d).is_empty());
        let bad = r#"{"TimeColumn":"time","DimensionMappings":[{"SourceColumn":"host"}],
          "MeasureNameColumn":"mn",
          "MixedMeasureMappings":[
            {"SourceColumn":"v","MeasureValueType":"TIMESTAMP"},
            {"MeasureName":"a","MeasureValueType":"MULTI","SourceColumn":"v"},
            {"MeasureName":"b","MeasureValueType":"BIGINT","MultiMeasureAttributeMappings":[]},
            {"MeasureName":"c","MeasureValueType":"double","SourceColumn":"v"},
            {"MeasureName":"d","SourceColumn":"v"}]}"#;
        let mut got = codes(bad);
        got.sort_unstable();
        assert_eq!(
            got,
            vec![
                "T101", "T103", "T210", "T211", "T212", "T213", "T214", "T215"
            ]
        );
    }

    #[test]
    fn csv_characters() {
        let csv = |c: &'static str| {
            let c: serde_json::Value = serde_json::from_str(c).unwrap();
            let mut got = codes(&req(move |r| {
                r["DataSourceConfiguration"]["CsvConfiguration"] = c.clone();
            }));
            got.sort_unstable();
            got
        };
        assert!(csv(r#"{"ColumnSeparator": "\t", "QuoteChar": "'", "EscapeChar": "\\", "NullValue": " ", "TrimWhiteSpace": false}"#).is_empty());
        assert_eq!(csv(r#"{"ColumnSeparator": "/t"}"#), vec!["T402"]);
        assert_eq!(csv(r#"{"ColumnSeparator": "\\t"}"#), vec!["T402"]);
        assert_eq!(csv(r#"{"ColumnSeparator": ",,"}"#), vec!["T401"]);
        assert_eq!(csv(r#"{"QuoteChar": ""}"#), vec!["T401"]);
        assert_eq!(csv(r#"{"ColumnSeparator": "§"}"#), vec!["T405"]);
        assert_eq!(csv(r##"{"ColumnSeparator": "#"}"##), vec!["T403"]);
        assert_eq!(csv(r#"{"QuoteChar": "`"}"#), vec!["T404"]);
        assert_eq!(csv(r#"{"EscapeChar": "\n"}"#), vec!["T406"]);
        assert_eq!(csv(r#"{"QuoteChar": ","}"#), vec!["T404", "T407"]);
        assert_eq!(
            csv(r#"{"ColumnSeparator": "|", "EscapeChar": "|"}"#),
            vec!["T407"]
        );
        assert_eq!(csv(r#"{"EscapeChar": "\""}"#), vec!["T408"]);
        assert_eq!(csv(r#"{"NullValue": ""}"#), vec!["T102"]);
        assert_eq!(
            csv(r#"{"ColumnSeparator": " ", "TrimWhiteSpace": true}"#),
            vec!["T409"]
        );
    }

    #[test]
    fn limits() {
        let dims: Vec<String> = (0..129)
            .map(|i| format!(r#"{{"SourceColumn": "d{i}"}}"#))
            .collect();
        let attrs: Vec<String> = (0..257)
            .map(|i| format!(r#"{{"SourceColumn": "a{i}", "MeasureValueType": "BIGINT"}}"#))
            .collect();
        let m = format!(
            r#"{{"TimeColumn": "t", "DimensionMappings": [{}], "MultiMeasureMappings": {{"TargetMultiMeasureName": "m", "MultiMeasureAttributeMappings": [{}]}}}}"#,
            dims.join(","),
            attrs.join(",")
        );
        assert_eq!(codes(&m), vec!["T309", "T310"]);
        let long = format!(
            r#"{{"TimeColumn": "t", "DimensionMappings": [{{"SourceColumn": "{}"}}], "MultiMeasureMappings": {{"TargetMultiMeasureName": "{}", "MultiMeasureAttributeMappings": [{{"SourceColumn": "c", "MeasureValueType": "DOUBLE"}}]}}}}"#,
            "é".repeat(31),
            "x".repeat(257)
        );
        assert_eq!(codes(&long), vec!["T306", "T307"]);
    }
}

/// Random tasks built from the service model's shapes: loading never fails
/// on well-typed input, checking never panics, a task without errors always
/// converts to the effective model, and what was loaded round-trips. The
/// weights make about one case in ten error-free (about 300 per run).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::effective;
    use crate::load::load;

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            12 => "[a-z][a-z0-9_]{2,9}",
            2 => prop::sample::select(vec!["host", "cpu", "value", "Host"]).prop_map(str::to_owned),
            1 => prop::sample::select(vec![
                "", "a:b", "ts_x", "select", "time", "é", "measure_value::double", "measure_name",
            ])
            .prop_map(str::to_owned),
            1 => "[a-z]{55,70}",
        ]
    }

    fn value_type(multi: bool) -> impl Strategy<Value = String> {
        let mut usual = vec!["DOUBLE", "BIGINT", "VARCHAR", "BOOLEAN"];
        if multi {
            usual.push("MULTI");
        }
        prop_oneof![
            20 => prop::sample::select(usual),
            1 => prop::sample::select(vec!["TIMESTAMP", "double", "MULTI"]),
        ]
        .prop_map(str::to_owned)
    }

    fn object(members: Vec<(&'static str, Option<Value>)>) -> Value {
        Value::Object(
            members
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                .collect::<Map<_, _>>(),
        )
    }

    fn attr() -> impl Strategy<Value = Value> {
        (
            name(),
            prop::option::of(name()),
            prop::option::weighted(0.97, value_type(false)),
        )
            .prop_map(|(s, t, ty)| {
                object(vec![
                    ("SourceColumn", Some(json!(s))),
                    ("TargetMultiMeasureAttributeName", t.map(Value::from)),
                    ("MeasureValueType", ty.map(Value::from)),
                ])
            })
    }

    fn mixed() -> impl Strategy<Value = Value> {
        (
            prop::option::weighted(0.8, name()),
            prop::option::weighted(0.8, name()),
            prop::option::of(name()),
            prop::option::weighted(0.97, value_type(true)),
            prop::option::weighted(0.3, prop::collection::vec(attr(), 0..3)),
        )
            .prop_map(|(n, s, t, ty, attrs)| {
                object(vec![
                    ("MeasureName", n.map(Value::from)),
                    ("SourceColumn", s.map(Value::from)),
                    ("TargetMeasureName", t.map(Value::from)),
                    ("MeasureValueType", ty.map(Value::from)),
                    ("MultiMeasureAttributeMappings", attrs.map(Value::from)),
                ])
            })
    }

    fn multi_b() -> impl Strategy<Value = (Option<String>, Option<Vec<Value>>)> {
        (
            prop::option::weighted(0.7, name()),
            prop::option::weighted(0.95, prop::collection::vec(attr(), 1..4)),
        )
    }

    fn model() -> impl Strategy<Value = Value> {
        let dims = prop::collection::vec(
            (
                prop::option::weighted(0.97, name()),
                prop::option::of(name()),
            ),
            0..4,
        );
        let multi = multi_b();
        (
            prop::option::weighted(0.97, name()),
            prop::option::of(prop::sample::select(vec![
                "SECONDS",
                "MILLISECONDS",
                "NANOSECONDS",
                "MICROSECONDS",
                "MINUTES",
            ])),
            prop::option::weighted(0.97, dims),
            prop::option::of(name()),
            prop_oneof![
                6 => multi.prop_map(|m| (Some(m), None)),
                3 => prop::collection::vec(mixed(), 0..3).prop_map(|x| (None, Some(x))),
                1 => (multi_b(), prop::collection::vec(mixed(), 1..2))
                    .prop_map(|(m, x)| (Some(m), Some(x))),
                1 => Just((None, None)),
            ],
        )
            .prop_map(|(time, unit, dims, mnc, (multi, mixed))| {
                let dims = dims.map(|d| {
                    Value::from(
                        d.into_iter()
                            .map(|(s, t)| {
                                object(vec![
                                    ("SourceColumn", s.map(Value::from)),
                                    ("DestinationColumn", t.map(Value::from)),
                                ])
                            })
                            .collect::<Vec<_>>(),
                    )
                });
                let multi = multi.map(|(t, attrs)| {
                    object(vec![
                        ("TargetMultiMeasureName", t.map(Value::from)),
                        ("MultiMeasureAttributeMappings", attrs.map(Value::from)),
                    ])
                });
                object(vec![
                    ("TimeColumn", time.map(Value::from)),
                    ("TimeUnit", unit.map(Value::from)),
                    ("DimensionMappings", dims),
                    ("MeasureNameColumn", mnc.map(Value::from)),
                    ("MultiMeasureMappings", multi),
                    ("MixedMeasureMappings", mixed.map(Value::from)),
                ])
            })
    }

    fn csv() -> impl Strategy<Value = Value> {
        let ch = || {
            prop::option::of(prop_oneof![
                6 => prop::sample::select(vec![",", "|", "\t", "'", "\\", ";", " "]),
                1 => prop::sample::select(vec!["/t", "\"", "", ";;", "§", "\n", "#"]),
            ])
        };
        (
            ch(),
            ch(),
            ch(),
            prop::option::of(prop::sample::select(vec!["", " ", "NULL"])),
            prop::option::of(any::<bool>()),
        )
            .prop_map(|(s, e, q, n, t)| {
                object(vec![
                    ("ColumnSeparator", s.map(Value::from)),
                    ("EscapeChar", e.map(Value::from)),
                    ("QuoteChar", q.map(Value::from)),
                    ("NullValue", n.map(Value::from)),
                    ("TrimWhiteSpace", t.map(Value::from)),
                ])
            })
    }

    fn request() -> impl Strategy<Value = Value> {
        (
            model(),
            prop::option::of(csv()),
            prop::bool::weighted(0.1),
            prop::option::of(-1i64..3),
        )
            .prop_map(|(m, c, unknown, rv)| {
                let mut r = json!({
                    "TargetDatabaseName": "db1", "TargetTableName": "tbl",
                    "DataSourceConfiguration": {
                        "DataSourceS3Configuration": {"BucketName": "in-bucket"},
                        "DataFormat": "CSV"
                    },
                    "ReportConfiguration": {"ReportS3Configuration": {"BucketName": "rep-bucket"}},
                    "DataModelConfiguration": {"DataModel": m}
                });
                if let Some(c) = c {
                    r["DataSourceConfiguration"]["CsvConfiguration"] = c;
                }
                if let Some(v) = rv {
                    r["RecordVersion"] = v.into();
                }
                if unknown {
                    r["DataModelConfiguration"]["DataModel"]["Timecolumn"] = "x".into();
                }
                r
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn no_errors_means_effective_and_round_trip(doc in request()) {
            let text = serde_json::to_string_pretty(&doc).unwrap();
            let loaded = load(&text, "p.json").unwrap();
            let diagnostics = check(&loaded);
            for d in &diagnostics {
                let Location::Json { line, column, .. } = d.location else { panic!() };
                prop_assert!(line >= 1 && column >= 1);
            }
            if !has_errors(&diagnostics) {
                let m = loaded.data_model().unwrap();
                prop_assert!(effective::DataModel::from_wire(m).is_ok(), "{text}");
                prop_assert!(effective::request_with_defaults(&loaded.request).is_ok(), "{text}");
            }
            if !diagnostics.iter().any(|d| d.rule.code == "T001") {
                prop_assert_eq!(loaded.to_json(), doc);
            }
        }
    }
}
