//! The loader: one function that reads a task file in any of the three
//! forms people have at hand and returns a `CreateBatchLoadTask` request.
//!
//! Accepted forms ([`Form`]):
//!
//! 1. the full request, as written for
//!    `aws timestream-write create-batch-load-task --cli-input-json file://task.json`;
//! 2. a bare `DataModel` object (what `DataModelS3Configuration` points at,
//!    and what AWS's published samples are);
//! 3. a `DescribeBatchLoadTask` response (`{"BatchLoadTaskDescription": {...}}`),
//!    so a past task can be re-checked;
//! 4. a `DataModelConfiguration` (`{"DataModel": {...}}`), the file given to
//!    the AWS CLI's `--data-model-configuration file://...` (the CLI guide's
//!    own example has this shape).
//!
//! The form is recognised from the top-level members: `BatchLoadTaskDescription`
//! means a describe response; any member of the request means a request;
//! `DataModel` or `DataModelS3Configuration` means a data model
//! configuration; any member of `DataModel` means a bare model. When no
//! top-level member is
//! known, the form whose member names are closest to the ones written wins
//! (so a model with only typos is still read as a model), and a request
//! otherwise.
//!
//! # What is an error of loading, and what is a diagnostic
//!
//! A file that is not JSON, not UTF-8, not an object at the top, or that has
//! a value of the wrong JSON type (a string where a number is expected,
//! `null` anywhere a member is known) cannot be turned into a request: that
//! is a [`LoadError`], with the JSON pointer and `line:column` (exit code 2
//! in the CLI). Everything else is a [`Diagnostic`]: unknown members (all of
//! them, each with a "did you mean" hint when a known name is close, or the
//! place a misplaced member belongs), members written twice, and later the
//! static checks of [`crate::check`].
//!
//! # Positions
//!
//! `serde_json` decides whether the text is JSON (it is what the AWS CLI
//! accepts, strictly). The syntax tree of `jsonc-parser`, run with every
//! JSON5/JSONC extension turned off, supplies byte ranges for every key and
//! value; the loader walks it once against the member tables of the
//! private `schema` module and fills a [`SpanIndex`] from JSON pointer to
//! line and column.
//!
//! # Round trip
//!
//! [`Loaded::to_json`] serialises the document back in the form it was
//! read; for a file without unknown members it equals the input as JSON
//! values (tested over every valid fixture), so what `submit` sends is
//! exactly what `check` saw.

use std::fmt;

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Location};
use crate::rules;
use crate::schema::{self, Child, Shape};
use crate::span::{self, Anchor, LineIndex, Position, Span, SpanIndex};
use crate::wire::{
    BatchLoadTaskDescription, CreateBatchLoadTaskRequest, DataModel, DataModelConfiguration,
    DescribeBatchLoadTaskResponse,
};

/// Which kind of document a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// A `CreateBatchLoadTask` request (`--cli-input-json`).
    Request,
    /// A bare `DataModel`.
    DataModel,
    /// A `DescribeBatchLoadTask` response.
    Describe,
    /// A `DataModelConfiguration` (`--data-model-configuration`).
    DataModelConfiguration,
}

impl Form {
    /// The name used in JSON output: `request`, `data_model`, `describe`,
    /// `data_model_configuration`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::DataModel => "data_model",
            Self::Describe => "describe",
            Self::DataModelConfiguration => "data_model_configuration",
        }
    }

    /// Whether the file holds a whole task (request or describe response),
    /// as opposed to only its data model (a bare `DataModel` or a
    /// `DataModelConfiguration`), which has no data source, CSV dialect or
    /// report around it.
    pub fn is_whole_task(self) -> bool {
        matches!(self, Self::Request | Self::Describe)
    }

    /// A phrase for people, e.g. "CreateBatchLoadTask request".
    pub fn title(self) -> &'static str {
        match self {
            Self::Request => "CreateBatchLoadTask request",
            Self::DataModel => "data model",
            Self::Describe => "DescribeBatchLoadTask response",
            Self::DataModelConfiguration => "data model configuration",
        }
    }

    /// The pointer in the file of the member at `request_pointer` of the
    /// request. For a bare model or model configuration, pointers outside
    /// it have no place in the file and map to the root.
    pub fn file_pointer(self, request_pointer: &str) -> String {
        match self {
            Self::Request => request_pointer.to_owned(),
            Self::Describe => format!("/BatchLoadTaskDescription{request_pointer}"),
            Self::DataModel | Self::DataModelConfiguration => request_pointer
                .strip_prefix(self.root_pointer())
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// Whether the member at `request_pointer` of a request can be in a
    /// file of this form.
    pub fn holds(self, request_pointer: &str) -> bool {
        request_pointer.starts_with(self.root_pointer())
    }

    /// Where the file's root sits in a request.
    fn root_pointer(self) -> &'static str {
        match self {
            Self::Request | Self::Describe => "",
            Self::DataModel => MODEL_POINTER,
            Self::DataModelConfiguration => CONFIGURATION_POINTER,
        }
    }

    fn root_shape(self) -> &'static Shape {
        match self {
            Self::Request => &schema::REQUEST,
            Self::DataModel => &schema::DATA_MODEL,
            Self::Describe => &schema::DESCRIBE_RESPONSE,
            Self::DataModelConfiguration => &schema::DATA_MODEL_CONFIGURATION,
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Pointer of the inline data model inside a request.
pub const MODEL_POINTER: &str = "/DataModelConfiguration/DataModel";

/// Pointer of the data model configuration inside a request.
pub const CONFIGURATION_POINTER: &str = "/DataModelConfiguration";

/// A loaded task file.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The display name of the file (as given to [`load`]).
    pub name: String,
    /// Which form the file has.
    pub form: Form,
    /// The request: as written (request form), with only
    /// `DataModelConfiguration.DataModel` set (bare model), only
    /// `DataModelConfiguration` set (model configuration), or the request
    /// members of the description (describe form).
    pub request: CreateBatchLoadTaskRequest,
    /// The whole description, for a describe response.
    pub description: Option<BatchLoadTaskDescription>,
    /// Where each member of the file is.
    pub spans: SpanIndex,
    /// Unknown and duplicate members, in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// The inline data model, if the file has one.
    pub fn data_model(&self) -> Option<&DataModel> {
        self.request
            .data_model_configuration
            .as_ref()
            .and_then(|c| c.data_model.as_ref())
    }

    /// The location in the file of the member at `request_pointer` of the
    /// request (see [`Form::file_pointer`]); missing members point at their
    /// nearest ancestor.
    pub fn location(&self, request_pointer: &str, anchor: Anchor) -> Location {
        let pointer = self.form.file_pointer(request_pointer);
        let pos = self.spans.locate(&pointer, anchor);
        Location::Json {
            pointer,
            line: pos.line,
            column: pos.column,
        }
    }

    /// The document serialised back in the form it was read.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self.form {
            Form::Request => serde_json::to_value(&self.request),
            Form::DataModel => serde_json::to_value(self.data_model().cloned().unwrap_or_default()),
            Form::DataModelConfiguration => serde_json::to_value(
                self.request
                    .data_model_configuration
                    .clone()
                    .unwrap_or_default(),
            ),
            Form::Describe => serde_json::to_value(DescribeBatchLoadTaskResponse {
                batch_load_task_description: self.description.clone(),
            }),
        };
        v.expect("wire types serialise to JSON")
    }
}

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Not UTF-8 text, or starts with a byte order mark.
    #[error("{name}:{position}: {message}")]
    Encoding {
        /// Display name of the file.
        name: String,
        /// Where the problem is.
        position: Position,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Not JSON.
    #[error("{name}:{position}: not valid JSON: {message}")]
    Syntax {
        /// Display name of the file.
        name: String,
        /// Where the parser stopped.
        position: Position,
        /// The parser's message.
        message: String,
    },
    /// The top-level value is not an object.
    #[error("{name}:{position}: expected a JSON object at the top level, found {found}")]
    NotAnObject {
        /// Display name of the file.
        name: String,
        /// Where the value starts.
        position: Position,
        /// The kind of value found (`an array`, `a string`, ...).
        found: &'static str,
    },
    /// A member has the wrong JSON type.
    #[error("{name}:{position}: `{pointer}`: {message}")]
    Type {
        /// Display name of the file.
        name: String,
        /// JSON pointer of the member.
        pointer: String,
        /// Where its value starts.
        position: Position,
        /// Expected versus found.
        message: String,
    },
}

impl LoadError {
    /// Where in the file the problem is.
    pub fn position(&self) -> Position {
        match self {
            Self::Encoding { position, .. }
            | Self::Syntax { position, .. }
            | Self::NotAnObject { position, .. }
            | Self::Type { position, .. } => *position,
        }
    }

    /// The JSON pointer of the offending member, for type errors.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::Type { pointer, .. } => Some(pointer),
            _ => None,
        }
    }

    /// The message without the file name and position.
    pub fn message(&self) -> String {
        match self {
            Self::Encoding { message, .. } => message.clone(),
            Self::Syntax { message, .. } => format!("not valid JSON: {message}"),
            Self::NotAnObject { found, .. } => {
                format!("expected a JSON object at the top level, found {found}")
            }
            Self::Type {
                pointer, message, ..
            } => format!("`{pointer}`: {message}"),
        }
    }
}

/// Loads a task file from raw bytes: checks the encoding (UTF-8 without a
/// byte order mark, as the AWS CLI needs) and calls [`load`].
pub fn load_bytes(bytes: &[u8], name: &str) -> Result<Loaded, LoadError> {
    let encoding = |position, message: &str| LoadError::Encoding {
        name: name.to_owned(),
        position,
        message: message.to_owned(),
    };
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(encoding(
            Position::START,
            "the file starts with a UTF-8 byte order mark, which the AWS CLI rejects; save it as UTF-8 without BOM",
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(encoding(
            Position::START,
            "the file is UTF-16; save it as UTF-8",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => load(text, name),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let text = std::str::from_utf8(valid).unwrap_or_default();
            let pos = LineIndex::new(text).position(text.len());
            Err(encoding(
                pos,
                "the file is not valid UTF-8; save it as UTF-8",
            ))
        }
    }
}

/// Loads a task file: a `CreateBatchLoadTask` request, a bare `DataModel`
/// or a `DescribeBatchLoadTask` response. `name` is how diagnostics name the
/// file.
///
/// ```
/// use tsload_model::load::{load, Form};
///
/// let loaded = load(r#"{"TimeColumn": "t", "DimensionMaping": []}"#, "m.json").unwrap();
/// assert_eq!(loaded.form, Form::DataModel);
/// assert_eq!(loaded.data_model().unwrap().time_column.as_deref(), Some("t"));
/// let d = &loaded.diagnostics[0];
/// assert_eq!(d.rule.code, "T001");
/// assert_eq!(d.hint.as_deref(), Some("did you mean `DimensionMappings`?"));
/// ```
pub fn load(text: &str, name: &str) -> Result<Loaded, LoadError> {
    if text.starts_with('\u{FEFF}') {
        return load_bytes(text.as_bytes(), name);
    }
    let lines = LineIndex::new(text);
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        name: name.to_owned(),
        position: lines.from_line_byte_column(e.line(), e.column()),
        message: syntax_message(&e),
    })?;
    let tree = parse_tree(text);

    let Some(root) = value.as_object() else {
        return Err(LoadError::NotAnObject {
            name: name.to_owned(),
            position: tree
                .as_ref()
                .map_or(Position::START, |t| lines.position(t.start())),
            found: kind_of(&value),
        });
    };
    let form = detect(root.keys().map(String::as_str));

    let mut walker = Walker {
        name,
        form,
        lines: &lines,
        spans: SpanIndex::default(),
        diagnostics: Vec::new(),
    };
    if let Some(tree) = &tree {
        let mut pointer = String::new();
        walker.walk(tree, Child::Object(form.root_shape()), &mut pointer, None)?;
    }
    let Walker {
        spans, diagnostics, ..
    } = walker;

    let typed_error = |e: serde_path_to_error::Error<serde_json::Error>| {
        let pointer = path_to_pointer(e.path());
        LoadError::Type {
            name: name.to_owned(),
            position: spans.locate(&pointer, Anchor::Value),
            message: type_message(&e.into_inner()),
            pointer,
        }
    };
    let (request, description) = match form {
        Form::Request => (
            typed::<CreateBatchLoadTaskRequest>(value).map_err(typed_error)?,
            None,
        ),
        Form::DataModel => {
            let model = typed::<DataModel>(value).map_err(typed_error)?;
            let request = CreateBatchLoadTaskRequest {
                data_model_configuration: Some(DataModelConfiguration {
                    data_model: Some(model),
                    data_model_s3_configuration: None,
                }),
                ..Default::default()
            };
            (request, None)
        }
        Form::DataModelConfiguration => {
            let c = typed::<DataModelConfiguration>(value).map_err(typed_error)?;
            let request = CreateBatchLoadTaskRequest {
                data_model_configuration: Some(c),
                ..Default::default()
            };
            (request, None)
        }
        Form::Describe => {
            let resp = typed::<DescribeBatchLoadTaskResponse>(value).map_err(typed_error)?;
            let d = resp.batch_load_task_description.unwrap_or_default();
            let request = CreateBatchLoadTaskRequest {
                client_token: None,
                data_model_configuration: d.data_model_configuration.clone(),
                data_source_configuration: d.data_source_configuration.clone(),
                report_configuration: d.report_configuration.clone(),
                target_database_name: d.target_database_name.clone(),
                target_table_name: d.target_table_name.clone(),
                record_version: d.record_version,
            };
            (request, Some(d))
        }
    };
    Ok(Loaded {
        name: name.to_owned(),
        form,
        request,
        description,
        spans,
        diagnostics,
    })
}

/// serde's message with Rust type names replaced by JSON words.
fn type_message(e: &serde_json::Error) -> String {
    let mut m = e
        .to_string()
        .replace("invalid type: map", "invalid type: object")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("expected a boolean", "expected `true` or `false`");
    // An integer too large for 64 bits reaches serde as a float: say so.
    if m.starts_with("invalid type: floating point")
        && m.ends_with("expected an integer")
        && let Some(v) = m.split('`').nth(1)
        && !v.contains('.')
    {
        m = format!("`{v}` is out of range: expected an integer of at most 64 bits");
    }
    // "expected struct DataModel" → "expected a `DataModel` object".
    if let Some(i) = m.find("expected struct ") {
        let rest = &m[i + "expected struct ".len()..];
        let name = rest.split(' ').next().unwrap_or_default().to_owned();
        m.replace_range(i.., &format!("expected a `{name}` object"));
    }
    m
}

fn typed<T: DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    serde_path_to_error::deserialize(value)
}

/// `serde_json`'s message without its own " at line L column C" suffix
/// (the position is reported separately, in characters).
fn syntax_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

/// The syntax tree with byte ranges, parsed as strict JSON. `None` only if
/// `jsonc-parser` refuses text that `serde_json` accepted (positions then
/// fall back to the start of the file).
fn parse_tree(text: &str) -> Option<ast::Value<'_>> {
    let strict = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &strict)
        .ok()
        .and_then(|r| r.value)
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "`null`",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Picks the form from the top-level member names (see the module doc).
fn detect<'a>(keys: impl Iterator<Item = &'a str> + Clone) -> Form {
    if keys.clone().any(|k| k == "BatchLoadTaskDescription") {
        return Form::Describe;
    }
    if keys.clone().any(|k| schema::REQUEST.member(k).is_some()) {
        return Form::Request;
    }
    if keys
        .clone()
        .any(|k| schema::DATA_MODEL_CONFIGURATION.member(k).is_some())
    {
        return Form::DataModelConfiguration;
    }
    if keys.clone().any(|k| schema::DATA_MODEL.member(k).is_some()) {
        return Form::DataModel;
    }
    let (mut request, mut model, mut describe) = (0, 0, 0);
    for k in keys {
        if schema::closest(k, ["BatchLoadTaskDescription"]).is_some() {
            describe += 1;
        } else if schema::closest(k, schema::DATA_MODEL.names()).is_some() {
            model += 1;
        } else if schema::closest(k, schema::REQUEST.names()).is_some() {
            request += 1;
        }
    }
    if describe > request.max(model) {
        Form::Describe
    } else if model > request {
        Form::DataModel
    } else {
        Form::Request
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut p = String::new();
    for seg in path {
        match seg {
            Segment::Seq { index } => span::push_token(&mut p, &index.to_string()),
            Segment::Map { key } => span::push_token(&mut p, key),
            Segment::Enum { variant } => span::push_token(&mut p, variant),
            Segment::Unknown => {}
        }
    }
    p
}

struct Walker<'a> {
    name: &'a str,
    form: Form,
    lines: &'a LineIndex<'a>,
    spans: SpanIndex,
    diagnostics: Vec<Diagnostic>,
}

impl Walker<'_> {
    /// Indexes `value` at `pointer` and, for known shapes, reports unknown
    /// and duplicate members. Values of the wrong JSON type are left for
    /// the typed deserialisation to report.
    fn walk(
        &mut self,
        value: &ast::Value<'_>,
        child: Child,
        pointer: &mut String,
        key: Option<Position>,
    ) -> Result<(), LoadError> {
        self.spans.insert(
            pointer.clone(),
            Span {
                key,
                value: self.lines.position(value.start()),
            },
        );
        match (value, child) {
            (ast::Value::Object(obj), Child::Object(shape)) => {
                self.object(obj, Some(shape), pointer)
            }
            // serde would read a struct from an array by position; the
            // service never would.
            (ast::Value::Array(_), Child::Object(shape)) => Err(LoadError::Type {
                name: self.name.to_owned(),
                pointer: pointer.clone(),
                position: self.lines.position(value.start()),
                message: format!("invalid type: array, expected a `{}` object", shape.name),
            }),
            (ast::Value::Object(obj), Child::Open) => self.object(obj, None, pointer),
            (ast::Value::Array(arr), Child::List(shape)) => {
                self.array(arr, Child::Object(shape), pointer)
            }
            (ast::Value::Array(arr), Child::Open) => self.array(arr, Child::Open, pointer),
            _ => Ok(()),
        }
    }

    fn array(
        &mut self,
        arr: &ast::Array<'_>,
        child: Child,
        pointer: &mut String,
    ) -> Result<(), LoadError> {
        let len = pointer.len();
        for (i, el) in arr.elements.iter().enumerate() {
            span::push_token(pointer, &i.to_string());
            self.walk(el, child, pointer, None)?;
            pointer.truncate(len);
        }
        Ok(())
    }

    fn object(
        &mut self,
        obj: &ast::Object<'_>,
        shape: Option<&'static Shape>,
        pointer: &mut String,
    ) -> Result<(), LoadError> {
        let len = pointer.len();
        for (i, prop) in obj.properties.iter().enumerate() {
            let name = prop.name.as_str();
            span::push_token(pointer, name);
            let key = self.lines.position(prop.name.start());
            let location = Location::Json {
                pointer: pointer.clone(),
                line: key.line,
                column: key.column,
            };
            if obj.properties[..i].iter().any(|p| p.name.as_str() == name) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::DUPLICATE_MEMBER,
                        location.clone(),
                        format!("member `{name}` is written more than once in this object"),
                    )
                    .with_file(self.name)
                    .with_hint("JSON readers keep only the last one; delete the others"),
                );
            }
            let child = match shape {
                None => Child::Open,
                Some(shape) => {
                    let Some(child) = shape.member(name) else {
                        self.diagnostics
                            .push(unknown_member(self.name, self.form, shape, name, location));
                        self.walk(&prop.value, Child::Open, pointer, Some(key))?;
                        pointer.truncate(len);
                        continue;
                    };
                    if let ast::Value::NullKeyword(n) = &prop.value {
                        return Err(LoadError::Type {
                            name: self.name.to_owned(),
                            pointer: pointer.clone(),
                            position: self.lines.position(n.start()),
                            message: "expected a value, found `null`; leave the member out to leave it unset".into(),
                        });
                    }
                    child
                }
            };
            self.walk(&prop.value, child, pointer, Some(key))?;
            pointer.truncate(len);
        }
        Ok(())
    }
}

fn unknown_member(
    file: &str,
    form: Form,
    shape: &Shape,
    name: &str,
    location: Location,
) -> Diagnostic {
    let d = Diagnostic::new(
        &rules::UNKNOWN_MEMBER,
        location,
        format!("unknown member `{name}` in `{}`", shape.name),
    )
    .with_file(file);
    if let Some((home, pointer)) = schema::home_of(name) {
        let hint = match form {
            _ if !form.holds(pointer) => format!(
                "`{name}` is a member of `{home}` in a CreateBatchLoadTask request, not of a {}",
                form.title()
            ),
            _ => match form.file_pointer(pointer) {
                p if p.is_empty() => format!("`{name}` belongs at the top level of the document"),
                p => format!("`{name}` is a member of `{home}`; move it to `{p}`"),
            },
        };
        return d.with_hint(hint);
    }
    if let Some(close) = schema::closest(name, shape.names()) {
        return d.with_hint(format!("did you mean `{close}`?"));
    }
    let known: Vec<String> = shape.names().map(|n| format!("`{n}`")).collect();
    d.with_hint(format!("`{}` has: {}", shape.name, known.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Loaded {
        load(text, "t.json").unwrap()
    }

    #[test]
    fn recognises_the_three_forms() {
        let req = ok(
            r#"{"TargetTableName": "t", "DataModelConfiguration": {"DataModel": {"TimeColumn": "x"}}}"#,
        );
        assert_eq!(req.form, Form::Request);
        assert_eq!(req.data_model().unwrap().time_column.as_deref(), Some("x"));

        let model = ok(r#"{"TimeColumn": "x"}"#);
        assert_eq!(model.form, Form::DataModel);
        assert_eq!(
            model.data_model().unwrap().time_column.as_deref(),
            Some("x")
        );
        assert!(model.request.target_table_name.is_none());

        let desc = ok(
            r#"{"BatchLoadTaskDescription": {"TaskId": "ABC", "TargetTableName": "t", "RecordVersion": 1,
                "ProgressReport": {"RecordsProcessed": 2, "BytesIngested": 5}}}"#,
        );
        assert_eq!(desc.form, Form::Describe);
        assert_eq!(desc.request.target_table_name.as_deref(), Some("t"));
        assert_eq!(desc.request.record_version, Some(1));
        assert_eq!(
            desc.description.as_ref().unwrap().task_id.as_deref(),
            Some("ABC")
        );
        // Progress counters are service output: not checked.
        assert!(desc.diagnostics.is_empty());
    }

    #[test]
    fn recognises_a_data_model_configuration() {
        let c = ok(r#"{"DataModel": {"TimeColumn": "x", "Timeunit": "SECONDS"}}"#);
        assert_eq!(c.form, Form::DataModelConfiguration);
        assert_eq!(c.data_model().unwrap().time_column.as_deref(), Some("x"));
        let Location::Json { pointer, .. } = &c.diagnostics[0].location else {
            panic!()
        };
        assert_eq!(pointer, "/DataModel/Timeunit");
        assert_eq!(
            Form::DataModelConfiguration.file_pointer("/DataModelConfiguration/DataModel/TimeUnit"),
            "/DataModel/TimeUnit"
        );
        assert_eq!(
            c.to_json(),
            serde_json::json!({"DataModel": {"TimeColumn": "x"}})
        );
    }

    #[test]
    fn typos_only_still_pick_the_closest_form() {
        assert_eq!(
            ok(r#"{"Timecolumn": "x", "DimensionMaping": []}"#).form,
            Form::DataModel
        );
        assert_eq!(ok(r#"{"TargetTableNam": "x"}"#).form, Form::Request);
        assert_eq!(
            ok(r#"{"BatchLoadTaskDescriptio": {}}"#).form,
            Form::Describe
        );
        assert_eq!(ok("{}").form, Form::Request);
    }

    #[test]
    fn reports_every_unknown_member_with_position_and_hint() {
        let text = "{\n  \"TimeColumn\": \"t\",\n  \"Timecolumn\": \"u\",\n  \"DimensionMappings\": [\n    {\"SourceColum\": \"h\"}\n  ],\n  \"TargetDatabaseNam\": \"db\",\n  \"Zzz\": {\"Nested\": 1}\n}";
        let l = ok(text);
        let got: Vec<_> = l
            .diagnostics
            .iter()
            .map(|d| {
                let Location::Json {
                    pointer,
                    line,
                    column,
                } = &d.location
                else {
                    panic!()
                };
                (
                    d.rule.code,
                    pointer.as_str(),
                    *line,
                    *column,
                    d.hint.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got[0],
            (
                "T001",
                "/Timecolumn",
                3,
                3,
                "did you mean `TimeColumn`?".to_owned()
            )
        );
        assert_eq!(
            got[1],
            (
                "T001",
                "/DimensionMappings/0/SourceColum",
                5,
                6,
                "did you mean `SourceColumn`?".to_owned()
            )
        );
        assert_eq!((got[2].1, got[2].2, got[2].3), ("/TargetDatabaseNam", 7, 3));
        assert_eq!((got[3].1, got[3].2, got[3].3), ("/Zzz", 8, 3));
        assert!(
            got[3]
                .4
                .starts_with("`DataModel` has: `TimeColumn`, `TimeUnit`")
        );
        // Nested members of unknown members are not reported again.
        assert_eq!(l.diagnostics.len(), 4);
        assert_eq!(l.spans.get("/Zzz/Nested").unwrap().value.line, 8);
    }

    #[test]
    fn misplaced_members_say_where_they_belong() {
        let l = ok(
            r#"{"TargetTableName": "t", "DataModel": {}, "BucketName": "b", "TimeUnit": "SECONDS"}"#,
        );
        assert_eq!(
            l.diagnostics[0].hint.as_deref(),
            Some(
                "`DataModel` is a member of `DataModelConfiguration`; move it to `/DataModelConfiguration`"
            )
        );
        // `BucketName` lives in several shapes: no single home to suggest.
        assert!(
            l.diagnostics[1]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("`CreateBatchLoadTaskRequest` has:")
        );
        assert_eq!(
            l.diagnostics[2].hint.as_deref(),
            Some(
                "`TimeUnit` is a member of `DataModel`; move it to `/DataModelConfiguration/DataModel`"
            )
        );
        let d = ok(r#"{"BatchLoadTaskDescription": {"TimeUnit": "SECONDS"}}"#);
        assert_eq!(
            d.diagnostics[0].hint.as_deref(),
            Some(
                "`TimeUnit` is a member of `DataModel`; move it to `/BatchLoadTaskDescription/DataModelConfiguration/DataModel`"
            )
        );
        let m = ok(r#"{"TimeColumn": "t", "DataFormat": "CSV"}"#);
        assert_eq!(
            m.diagnostics[0].hint.as_deref(),
            Some(
                "`DataFormat` is a member of `DataSourceConfiguration` in a CreateBatchLoadTask request, not of a data model"
            )
        );
    }

    #[test]
    fn duplicates_warn_and_the_last_one_wins() {
        let l = ok(r#"{"TimeColumn": "a", "TimeColumn": "b"}"#);
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].rule.code, "T002");
        assert_eq!(l.data_model().unwrap().time_column.as_deref(), Some("b"));
    }

    #[test]
    fn syntax_and_type_errors_have_positions() {
        let e = load("{\n  \"TimeColumn\": \"a\",\n}", "m.json").unwrap_err();
        assert!(matches!(e, LoadError::Syntax { .. }), "{e}");
        assert_eq!(e.position(), Position { line: 3, column: 1 });
        assert_eq!(e.to_string(), "m.json:3:1: not valid JSON: trailing comma");

        let e = load("{\"TimeColumn\": \"a\",\n \"TimeUnit\": 5}", "m.json").unwrap_err();
        assert_eq!(e.pointer(), Some("/TimeUnit"));
        assert_eq!(
            e.position(),
            Position {
                line: 2,
                column: 14
            }
        );
        assert_eq!(
            e.to_string(),
            "m.json:2:14: `/TimeUnit`: invalid type: integer `5`, expected a string"
        );

        // Too large for 64 bits: out of range, not "floating point".
        let big = "{\"TargetTableName\": \"t\", \"RecordVersion\": 99999999999999999999999999}";
        let e = load(big, "r.json").unwrap_err();
        assert!(
            e.to_string().ends_with(
                "`/RecordVersion`: `1e+26` is out of range: expected an integer of at most 64 bits"
            ),
            "{e}"
        );
        let e = load(
            "{\"TargetTableName\": \"t\", \"RecordVersion\": 1.5}",
            "r.json",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("invalid type: floating point `1.5`, expected an integer"),
            "{e}"
        );

        let e = load(
            "{\"TargetTableName\": \"t\", \"RecordVersion\": \"1\"}",
            "r.json",
        )
        .unwrap_err();
        assert_eq!(e.pointer(), Some("/RecordVersion"));

        let e = load(
            "{\"DimensionMappings\": [{\"SourceColumn\": null}]}",
            "m.json",
        )
        .unwrap_err();
        assert_eq!(e.pointer(), Some("/DimensionMappings/0/SourceColumn"));
        assert!(e.to_string().contains("found `null`"), "{e}");

        let e = load("[1]", "m.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.json:1:1: expected a JSON object at the top level, found an array"
        );
    }

    #[test]
    fn arrays_are_not_read_as_objects() {
        let e = load(
            r#"{"TimeColumn": "t", "DimensionMappings": [["h", "h"]]}"#,
            "m.json",
        )
        .unwrap_err();
        assert_eq!(e.pointer(), Some("/DimensionMappings/0"));
        assert_eq!(
            e.message(),
            "`/DimensionMappings/0`: invalid type: array, expected a `DimensionMapping` object"
        );
        let e = load(r#"{"TimeColumn": "t", "DimensionMappings": {}}"#, "m.json").unwrap_err();
        assert_eq!(
            e.message(),
            "`/DimensionMappings`: invalid type: object, expected an array"
        );
        let e = load(r#"{"BatchLoadTaskDescription": []}"#, "d.json").unwrap_err();
        assert_eq!(e.pointer(), Some("/BatchLoadTaskDescription"));
    }

    #[test]
    fn encoding_errors() {
        let e = load_bytes(b"\xEF\xBB\xBF{}", "b.json").unwrap_err();
        assert!(e.to_string().contains("byte order mark"), "{e}");
        let e = load_bytes(b"{\n\"a\xFF\": 1}", "b.json").unwrap_err();
        assert_eq!(e.position(), Position { line: 2, column: 3 });
        assert!(load_bytes(b"\xFF\xFE{", "b.json").is_err());
    }

    #[test]
    fn file_pointers_per_form() {
        assert_eq!(Form::Request.file_pointer("/A"), "/A");
        assert_eq!(
            Form::Describe.file_pointer("/A"),
            "/BatchLoadTaskDescription/A"
        );
        assert_eq!(
            Form::DataModel.file_pointer("/DataModelConfiguration/DataModel/TimeUnit"),
            "/TimeUnit"
        );
        assert_eq!(Form::DataModel.file_pointer("/TargetTableName"), "");
    }
}
