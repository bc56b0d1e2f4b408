//! The effective data model and CSV dialect: the wire types with the
//! defaults of `batchload-spec.md` §1.4 filled in and every choice resolved,
//! in types that cannot express an invalid state. The mapper compiles these;
//! `tsload check --effective` prints them.
//!
//! Conversion fails (with a plain reason) when the wire model is not usable;
//! the static checks report the same problems with codes and positions, so
//! callers run the checks first and convert only a task without errors.

use serde::Serialize;

use crate::wire;

/// A measure value type that a CSV cell can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ScalarType {
    /// Finite binary64.
    Double,
    /// i64.
    Bigint,
    /// UTF-8 string, 1..=2048 bytes.
    Varchar,
    /// `true` / `false`.
    Boolean,
    /// Epoch integer in the task's `TimeUnit` (multi-measure only).
    Timestamp,
}

impl ScalarType {
    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Double => "DOUBLE",
            Self::Bigint => "BIGINT",
            Self::Varchar => "VARCHAR",
            Self::Boolean => "BOOLEAN",
            Self::Timestamp => "TIMESTAMP",
        }
    }

    /// From the wire enum; `None` for `MULTI` and unknown values.
    pub fn from_wire(t: &wire::MeasureValueType) -> Option<Self> {
        Some(match t {
            wire::MeasureValueType::Double => Self::Double,
            wire::MeasureValueType::Bigint => Self::Bigint,
            wire::MeasureValueType::Varchar => Self::Varchar,
            wire::MeasureValueType::Boolean => Self::Boolean,
            wire::MeasureValueType::Timestamp => Self::Timestamp,
            wire::MeasureValueType::Multi | wire::MeasureValueType::Unknown(_) => return None,
        })
    }
}

/// Unit of epoch integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TimeUnit {
    /// 1 s.
    Seconds,
    /// 1 ms (the default).
    Milliseconds,
    /// 1 µs.
    Microseconds,
    /// 1 ns.
    Nanoseconds,
}

impl TimeUnit {
    /// Nanoseconds per unit.
    pub fn nanos(self) -> i64 {
        match self {
            Self::Seconds => 1_000_000_000,
            Self::Milliseconds => 1_000_000,
            Self::Microseconds => 1_000,
            Self::Nanoseconds => 1,
        }
    }

    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "SECONDS",
            Self::Milliseconds => "MILLISECONDS",
            Self::Microseconds => "MICROSECONDS",
            Self::Nanoseconds => "NANOSECONDS",
        }
    }
}

/// A dimension: CSV column → dimension name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// CSV header name.
    pub source_column: String,
    /// Dimension name (defaults to the source column).
    pub destination_column: String,
}

/// An attribute of a multi-measure record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    /// CSV header name.
    pub source_column: String,
    /// Attribute (column) name in the table (defaults to the source column).
    pub target_name: String,
    /// Value type.
    pub value_type: ScalarType,
}

/// Where a multi-measure record's `measure_name` comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum MeasureName {
    /// The same name for every record (`TargetMultiMeasureName`).
    Fixed(String),
    /// Each row's value in this column (`MeasureNameColumn`).
    Column(String),
}

/// One entry of `MixedMeasureMappings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedMapping {
    /// With `MeasureNameColumn`: the value of that column that selects this
    /// mapping. Without it: `None`, and the mapping applies to every row.
    pub selector: Option<String>,
    /// The `measure_name` of the records written (`TargetMeasureName`, else
    /// `MeasureName`, else `SourceColumn` \[INF\]).
    pub measure_name: String,
    /// Scalar or multi.
    pub kind: MixedKind,
}

/// A scalar single-measure record or a multi-measure record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum MixedKind {
    /// One value from one column.
    Scalar {
        /// CSV header name.
        source_column: String,
        /// Value type (not TIMESTAMP: V10).
        value_type: ScalarType,
    },
    /// Several attributes.
    Multi(Vec<Attribute>),
}

/// The measures of a data model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum Measures {
    /// `MultiMeasureMappings`: one multi-measure record per row.
    Multi {
        /// Where the record's `measure_name` comes from.
        measure_name: MeasureName,
        /// The attributes.
        attributes: Vec<Attribute>,
    },
    /// `MixedMeasureMappings`.
    Mixed(Vec<MixedMapping>),
}

/// The effective data model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataModel {
    /// CSV column mapped to `time`.
    pub time_column: String,
    /// Unit of the time column.
    pub time_unit: TimeUnit,
    /// Dimensions, in model order.
    pub dimensions: Vec<Dimension>,
    /// `MeasureNameColumn`, if set.
    pub measure_name_column: Option<String>,
    /// Measures.
    pub measures: Measures,
}

/// The effective CSV dialect, in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CsvDialect {
    /// Column separator; default `,` \[INF\].
    pub separator: u8,
    /// Quote character; default `"` \[INF\].
    pub quote: u8,
    /// Escape character; none by default \[INF\].
    pub escape: Option<u8>,
    /// A field equal to this is null.
    pub null_value: Option<String>,
    /// Trim leading and trailing white space.
    pub trim: bool,
}

impl Default for CsvDialect {
    fn default() -> Self {
        Self {
            separator: b',',
            quote: b'"',
            escape: None,
            null_value: None,
            trim: false,
        }
    }
}

/// Why a wire model could not be made effective. The static checks explain
/// the same problems with codes and positions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the data model is not usable: {0}")]
pub struct NotEffective(pub String);

fn need<'a>(v: Option<&'a String>, what: &str) -> Result<&'a String, NotEffective> {
    v.ok_or_else(|| NotEffective(format!("`{what}` is missing")))
}

fn attribute(a: &wire::MultiMeasureAttributeMapping) -> Result<Attribute, NotEffective> {
    let source = need(a.source_column.as_ref(), "SourceColumn")?;
    let value_type = a
        .measure_value_type
        .as_ref()
        .and_then(ScalarType::from_wire)
        .ok_or_else(|| {
            NotEffective(format!(
                "attribute `{source}` has no scalar `MeasureValueType`"
            ))
        })?;
    Ok(Attribute {
        source_column: source.clone(),
        target_name: a
            .target_multi_measure_attribute_name
            .clone()
            .unwrap_or_else(|| source.clone()),
        value_type,
    })
}

impl DataModel {
    /// Fills in the defaults of §1.4 and resolves the measure shape.
    pub fn from_wire(m: &wire::DataModel) -> Result<Self, NotEffective> {
        let time_column = need(m.time_column.as_ref(), "TimeColumn")?.clone();
        let time_unit = match m
            .time_unit
            .as_ref()
            .unwrap_or(&wire::TimeUnit::Milliseconds)
        {
            wire::TimeUnit::Seconds => TimeUnit::Seconds,
            wire::TimeUnit::Milliseconds => TimeUnit::Milliseconds,
            wire::TimeUnit::Microseconds => TimeUnit::Microseconds,
            wire::TimeUnit::Nanoseconds => TimeUnit::Nanoseconds,
            wire::TimeUnit::Unknown(u) => {
                return Err(NotEffective(format!("unknown `TimeUnit` `{u}`")));
            }
        };
        let dims = m.dimension_mappings.as_deref().unwrap_or_default();
        if dims.is_empty() {
            return Err(NotEffective("no `DimensionMappings`".into()));
        }
        let dimensions = dims
            .iter()
            .map(|d| {
                let source = need(d.source_column.as_ref(), "SourceColumn")?;
                Ok(Dimension {
                    source_column: source.clone(),
                    destination_column: d
                        .destination_column
                        .clone()
                        .unwrap_or_else(|| source.clone()),
                })
            })
            .collect::<Result<Vec<_>, NotEffective>>()?;
        let measure_name_column = m.measure_name_column.clone();
        let measures = match (&m.multi_measure_mappings, &m.mixed_measure_mappings) {
            (Some(_), Some(_)) => {
                return Err(NotEffective(
                    "both `MultiMeasureMappings` and `MixedMeasureMappings`".into(),
                ));
            }
            (None, None) => {
                return Err(NotEffective(
                    "neither `MultiMeasureMappings` nor `MixedMeasureMappings`".into(),
                ));
            }
            (Some(mm), None) => {
                // [DOC: DM] MeasureNameColumn, when given, names each record;
                // V6: with both, the column wins [INF] (the docs' example
                // sets only the column).
                let measure_name = match (&measure_name_column, &mm.target_multi_measure_name) {
                    (Some(c), _) => MeasureName::Column(c.clone()),
                    (None, Some(n)) => MeasureName::Fixed(n.clone()),
                    (None, None) => {
                        return Err(NotEffective(
                            "`TargetMultiMeasureName` is required without `MeasureNameColumn`"
                                .into(),
                        ));
                    }
                };
                let attrs = mm
                    .multi_measure_attribute_mappings
                    .as_deref()
                    .unwrap_or_default();
                if attrs.is_empty() {
                    return Err(NotEffective("no `MultiMeasureAttributeMappings`".into()));
                }
                Measures::Multi {
                    measure_name,
                    attributes: attrs.iter().map(attribute).collect::<Result<_, _>>()?,
                }
            }
            (None, Some(mixed)) => {
                if mixed.is_empty() {
                    return Err(NotEffective("`MixedMeasureMappings` is empty".into()));
                }
                let mut out = Vec::with_capacity(mixed.len());
                for mx in mixed {
                    let selector = if measure_name_column.is_some() {
                        Some(need(mx.measure_name.as_ref(), "MeasureName")?.clone())
                    } else {
                        None
                    };
                    let vt = mx.measure_value_type.as_ref().ok_or_else(|| {
                        NotEffective("a mixed mapping has no `MeasureValueType`".into())
                    })?;
                    let (measure_name, kind) = if *vt == wire::MeasureValueType::Multi {
                        let attrs = mx
                            .multi_measure_attribute_mappings
                            .as_deref()
                            .unwrap_or_default();
                        if attrs.is_empty() {
                            return Err(NotEffective("a `MULTI` mapping has no attributes".into()));
                        }
                        let name = mx
                            .target_measure_name
                            .clone()
                            .or_else(|| mx.measure_name.clone())
                            .ok_or_else(|| {
                                NotEffective(
                                    "a `MULTI` mapping needs `TargetMeasureName` or `MeasureName`"
                                        .into(),
                                )
                            })?;
                        (
                            name,
                            MixedKind::Multi(
                                attrs.iter().map(attribute).collect::<Result<_, _>>()?,
                            ),
                        )
                    } else {
                        let source = need(mx.source_column.as_ref(), "SourceColumn")?.clone();
                        let value_type = ScalarType::from_wire(vt).ok_or_else(|| {
                            NotEffective(format!("unknown `MeasureValueType` `{vt}`"))
                        })?;
                        let name = mx
                            .target_measure_name
                            .clone()
                            .or_else(|| mx.measure_name.clone())
                            .unwrap_or_else(|| source.clone());
                        (
                            name,
                            MixedKind::Scalar {
                                source_column: source,
                                value_type,
                            },
                        )
                    };
                    out.push(MixedMapping {
                        selector,
                        measure_name,
                        kind,
                    });
                }
                Measures::Mixed(out)
            }
        };
        Ok(Self {
            time_column,
            time_unit,
            dimensions,
            measure_name_column,
            measures,
        })
    }

    /// Every CSV column the model reads, in model order, with duplicates
    /// (a column used twice appears twice).
    pub fn source_columns(&self) -> Vec<&str> {
        let mut v = vec![self.time_column.as_str()];
        v.extend(self.dimensions.iter().map(|d| d.source_column.as_str()));
        if let Some(c) = &self.measure_name_column {
            v.push(c);
        }
        match &self.measures {
            Measures::Multi { attributes, .. } => {
                v.extend(attributes.iter().map(|a| a.source_column.as_str()));
            }
            Measures::Mixed(ms) => {
                for m in ms {
                    match &m.kind {
                        MixedKind::Scalar { source_column, .. } => v.push(source_column),
                        MixedKind::Multi(attrs) => {
                            v.extend(attrs.iter().map(|a| a.source_column.as_str()));
                        }
                    }
                }
            }
        }
        v
    }
}

impl CsvDialect {
    /// From the wire configuration. Characters must be single ASCII bytes
    /// (the reader is byte-oriented; the checks report other values).
    pub fn from_wire(c: Option<&wire::CsvConfiguration>) -> Result<Self, NotEffective> {
        let mut d = Self::default();
        let Some(c) = c else { return Ok(d) };
        fn byte(v: &str, what: &str) -> Result<u8, NotEffective> {
            match v.as_bytes() {
                [b] if b.is_ascii() => Ok(*b),
                _ => Err(NotEffective(format!(
                    "`{what}` must be one ASCII character, found `{v}`"
                ))),
            }
        }
        if let Some(s) = &c.column_separator {
            d.separator = byte(s, "ColumnSeparator")?;
        }
        if let Some(q) = &c.quote_char {
            d.quote = byte(q, "QuoteChar")?;
        }
        if let Some(e) = &c.escape_char {
            d.escape = Some(byte(e, "EscapeChar")?);
        }
        d.null_value.clone_from(&c.null_value);
        d.trim = c.trim_white_space.unwrap_or(false);
        Ok(d)
    }
}

impl TimeUnit {
    fn to_wire(self) -> wire::TimeUnit {
        match self {
            Self::Seconds => wire::TimeUnit::Seconds,
            Self::Milliseconds => wire::TimeUnit::Milliseconds,
            Self::Microseconds => wire::TimeUnit::Microseconds,
            Self::Nanoseconds => wire::TimeUnit::Nanoseconds,
        }
    }
}

impl ScalarType {
    fn to_wire(self) -> wire::MeasureValueType {
        match self {
            Self::Double => wire::MeasureValueType::Double,
            Self::Bigint => wire::MeasureValueType::Bigint,
            Self::Varchar => wire::MeasureValueType::Varchar,
            Self::Boolean => wire::MeasureValueType::Boolean,
            Self::Timestamp => wire::MeasureValueType::Timestamp,
        }
    }
}

impl Attribute {
    fn to_wire(&self) -> wire::MultiMeasureAttributeMapping {
        wire::MultiMeasureAttributeMapping {
            source_column: Some(self.source_column.clone()),
            target_multi_measure_attribute_name: Some(self.target_name.clone()),
            measure_value_type: Some(self.value_type.to_wire()),
        }
    }
}

impl DataModel {
    /// Back to the wire shape with every default written out: the
    /// `DataModel` the service would echo in `DescribeBatchLoadTask`
    /// (`DestinationColumn`, `TargetMultiMeasureAttributeName`, `TimeUnit`,
    /// and for mixed mappings the resolved `TargetMeasureName` \[INF\]).
    pub fn to_wire(&self) -> wire::DataModel {
        let (multi, mixed) = match &self.measures {
            Measures::Multi {
                measure_name,
                attributes,
            } => (
                Some(wire::MultiMeasureMappings {
                    target_multi_measure_name: match measure_name {
                        MeasureName::Fixed(n) => Some(n.clone()),
                        MeasureName::Column(_) => None,
                    },
                    multi_measure_attribute_mappings: Some(
                        attributes.iter().map(Attribute::to_wire).collect(),
                    ),
                }),
                None,
            ),
            Measures::Mixed(ms) => (
                None,
                Some(
                    ms.iter()
                        .map(|m| {
                            let mut w = wire::MixedMeasureMapping {
                                measure_name: m.selector.clone(),
                                target_measure_name: Some(m.measure_name.clone()),
                                ..Default::default()
                            };
                            match &m.kind {
                                MixedKind::Scalar {
                                    source_column,
                                    value_type,
                                } => {
                                    w.source_column = Some(source_column.clone());
                                    w.measure_value_type = Some(value_type.to_wire());
                                }
                                MixedKind::Multi(attrs) => {
                                    w.measure_value_type = Some(wire::MeasureValueType::Multi);
                                    w.multi_measure_attribute_mappings =
                                        Some(attrs.iter().map(Attribute::to_wire).collect());
                                }
                            }
                            w
                        })
                        .collect(),
                ),
            ),
        };
        wire::DataModel {
            time_column: Some(self.time_column.clone()),
            time_unit: Some(self.time_unit.to_wire()),
            dimension_mappings: Some(
                self.dimensions
                    .iter()
                    .map(|d| wire::DimensionMapping {
                        source_column: Some(d.source_column.clone()),
                        destination_column: Some(d.destination_column.clone()),
                    })
                    .collect(),
            ),
            multi_measure_mappings: multi,
            mixed_measure_mappings: mixed,
            measure_name_column: self.measure_name_column.clone(),
        }
    }
}

impl CsvDialect {
    /// Back to the wire shape with every default written out
    /// (`ColumnSeparator`, `QuoteChar`, `TrimWhiteSpace`; `EscapeChar` and
    /// `NullValue` only when set, as they have no default).
    pub fn to_wire(&self) -> wire::CsvConfiguration {
        let s = |b: u8| Some(char::from(b).to_string());
        wire::CsvConfiguration {
            column_separator: s(self.separator),
            escape_char: self.escape.and_then(s),
            quote_char: s(self.quote),
            null_value: self.null_value.clone(),
            trim_white_space: Some(self.trim),
        }
    }
}

/// The request with every default of spec §1.4 written out: the data model
/// through [`DataModel::to_wire`], the CSV dialect through
/// [`CsvDialect::to_wire`] (also when `CsvConfiguration` was absent) and
/// `RecordVersion` 1 \[EX\]. A model kept in S3 is left as it is. The report's
/// `EncryptionOption` is not filled in: its default is not documented
/// consistently (spec §1.4).
pub fn request_with_defaults(
    req: &wire::CreateBatchLoadTaskRequest,
) -> Result<wire::CreateBatchLoadTaskRequest, NotEffective> {
    let mut out = req.clone();
    if let Some(m) = out
        .data_model_configuration
        .as_mut()
        .and_then(|c| c.data_model.as_mut())
    {
        *m = DataModel::from_wire(m)?.to_wire();
    }
    if let Some(ds) = out.data_source_configuration.as_mut() {
        ds.csv_configuration =
            Some(CsvDialect::from_wire(ds.csv_configuration.as_ref())?.to_wire());
    }
    out.record_version.get_or_insert(1);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_writes_defaults_out() {
        let m: wire::DataModel = serde_json::from_str(
            r#"{"TimeColumn":"t","DimensionMappings":[{"SourceColumn":"h"}],
                "MeasureNameColumn":"mn",
                "MixedMeasureMappings":[{"MeasureName":"cpu","SourceColumn":"v","MeasureValueType":"DOUBLE"},
                  {"MeasureName":"all","MeasureValueType":"MULTI",
                   "MultiMeasureAttributeMappings":[{"SourceColumn":"v","MeasureValueType":"BIGINT"}]}]}"#,
        )
        .unwrap();
        let e = DataModel::from_wire(&m).unwrap();
        let w = e.to_wire();
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            serde_json::json!({
                "TimeColumn": "t", "TimeUnit": "MILLISECONDS",
                "DimensionMappings": [{"SourceColumn": "h", "DestinationColumn": "h"}],
                "MeasureNameColumn": "mn",
                "MixedMeasureMappings": [
                    {"MeasureName": "cpu", "SourceColumn": "v", "TargetMeasureName": "cpu", "MeasureValueType": "DOUBLE"},
                    {"MeasureName": "all", "TargetMeasureName": "all", "MeasureValueType": "MULTI",
                     "MultiMeasureAttributeMappings": [{"SourceColumn": "v", "TargetMultiMeasureAttributeName": "v", "MeasureValueType": "BIGINT"}]}
                ]
            })
        );
        // Filling defaults is idempotent.
        assert_eq!(DataModel::from_wire(&w).unwrap(), e);
        let d = CsvDialect::default().to_wire();
        assert_eq!(
            CsvDialect::from_wire(Some(&d)).unwrap(),
            CsvDialect::default()
        );
    }

    #[test]
    fn request_defaults() {
        let req = wire::CreateBatchLoadTaskRequest {
            data_source_configuration: Some(wire::DataSourceConfiguration::default()),
            ..Default::default()
        };
        let full = request_with_defaults(&req).unwrap();
        assert_eq!(full.record_version, Some(1));
        let csv = full
            .data_source_configuration
            .unwrap()
            .csv_configuration
            .unwrap();
        assert_eq!(csv.column_separator.as_deref(), Some(","));
        assert_eq!(csv.quote_char.as_deref(), Some("\""));
        assert_eq!(csv.trim_white_space, Some(false));
    }

    #[test]
    fn defaults_fill_in() {
        let m: wire::DataModel = serde_json::from_str(
            r#"{"TimeColumn":"t","DimensionMappings":[{"SourceColumn":"h"}],
                "MultiMeasureMappings":{"TargetMultiMeasureName":"m",
                  "MultiMeasureAttributeMappings":[{"SourceColumn":"c","MeasureValueType":"DOUBLE"}]}}"#,
        )
        .unwrap();
        let e = DataModel::from_wire(&m).unwrap();
        assert_eq!(e.time_unit, TimeUnit::Milliseconds);
        assert_eq!(e.dimensions[0].destination_column, "h");
        let Measures::Multi {
            measure_name,
            attributes,
        } = &e.measures
        else {
            panic!()
        };
        assert_eq!(measure_name, &MeasureName::Fixed("m".into()));
        assert_eq!(attributes[0].target_name, "c");
        assert_eq!(e.source_columns(), vec!["t", "h", "c"]);
    }

    #[test]
    fn dialect_defaults_and_tab() {
        assert_eq!(CsvDialect::from_wire(None).unwrap(), CsvDialect::default());
        let c = wire::CsvConfiguration {
            column_separator: Some("\t".into()),
            ..Default::default()
        };
        assert_eq!(CsvDialect::from_wire(Some(&c)).unwrap().separator, b'\t');
        let bad = wire::CsvConfiguration {
            column_separator: Some("/t".into()),
            ..Default::default()
        };
        assert!(CsvDialect::from_wire(Some(&bad)).is_err());
    }
}
