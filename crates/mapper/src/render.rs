//! The cold path: findings into diagnostics with full messages.

use tsload_model::diag::{ColumnNo, Diagnostic, Location, Rule};
use tsload_model::effective::TimeUnit;

use crate::check::Finding;
use crate::plan::{Plan, Window};
use crate::rules as r;
use crate::value::{Fault, format_ns};

/// Where a finding points.
pub(crate) fn location(plan: &Plan, f: &Finding) -> Location {
    Location::Data {
        line: f.pos.line,
        byte: f.pos.byte + u64::from(f.offset),
        record: f.pos.record,
        field: f.field,
        column: f.field.map(|i| plan.column(i)),
    }
}

/// A column for people: its header name and its number counted from 1, as
/// spreadsheets and editors count (JSON locations keep the 0-based index).
fn col(plan: &Plan, field: Option<u32>) -> String {
    match field {
        Some(i) => format!("column `{}` ({})", plan.column(i), ColumnNo(i as usize)),
        None => "the row".to_owned(),
    }
}

fn null_word(plan: &Plan, v: Option<&str>) -> String {
    match (v, plan.null_value()) {
        (Some(v), Some(n)) if !v.is_empty() && v.as_bytes() == n => {
            format!("null (`NullValue` `{v}`)")
        }
        _ => "empty".to_owned(),
    }
}

fn spec_name(plan: &Plan, spec: Option<u32>) -> String {
    match spec.and_then(|s| plan.specs.get(s as usize)) {
        Some(s) => {
            let name = match &s.measure_name {
                Some(n) => format!("`{n}`"),
                None => "named by `MeasureNameColumn`".to_owned(),
            };
            match s.mapping {
                Some(i) => format!("{name} (`MixedMeasureMappings[{i}]`)"),
                None => name,
            }
        }
        None => "of the row".to_owned(),
    }
}

/// The unit whose typical epoch length (for 2001..2286) is `digits`.
pub(crate) fn unit_for_digits(digits: usize) -> Option<TimeUnit> {
    match digits {
        10 => Some(TimeUnit::Seconds),
        13 => Some(TimeUnit::Milliseconds),
        16 => Some(TimeUnit::Microseconds),
        19 => Some(TimeUnit::Nanoseconds),
        _ => None,
    }
}

fn unit_hint(plan: &Plan, value: Option<&str>) -> Option<String> {
    let v = value?;
    let digits = v.trim_start_matches('0').len();
    let unit = unit_for_digits(digits)?;
    (unit != plan.time_unit).then(|| {
        format!(
            "`{v}` has {digits} digits, typical of {} while the data model says `TimeUnit` {}; check the TimeUnit",
            unit.as_str(),
            plan.time_unit.as_str()
        )
    })
}

fn value_hint(rule: &Rule, fault: Option<Fault>, ty: &str) -> String {
    match fault {
        Some(Fault::NaN | Fault::Infinite) => {
            "Timestream cannot store NaN or infinite values; leave the cell empty to omit the measure"
                .to_owned()
        }
        Some(Fault::DecimalComma) => "use a decimal point, not a comma".to_owned(),
        Some(Fault::Whitespace) => {
            "remove the spaces, or set `TrimWhiteSpace` in `CsvConfiguration`".to_owned()
        }
        Some(Fault::Decimal | Fault::Exponent) if rule == &r::BIGINT_INVALID => {
            "BIGINT takes whole numbers only; round the values or map the column as DOUBLE"
                .to_owned()
        }
        Some(Fault::Overflow) if rule == &r::TIMESTAMP_INVALID => {
            "TIMESTAMP holds times up to 2262-04-11T23:47:16.854775807Z, read in the data model's `TimeUnit`; check the unit of these values".to_owned()
        }
        Some(Fault::Overflow) if rule == &r::DOUBLE_NOT_FINITE => {
            "the value is beyond ±1.7976931348623157e308".to_owned()
        }
        Some(Fault::Overflow) => {
            "BIGINT holds -9223372036854775808..9223372036854775807; map the column as DOUBLE for larger numbers".to_owned()
        }
        _ => format!("write a {ty} value, or leave the cell empty to omit the measure"),
    }
}

/// What to do about a framing problem of the CSV reader.
fn framing_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "C003" => "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        "C004" => {
            "NUL bytes usually mean UTF-16 without a byte-order mark, or binary data: save the file as UTF-8 text"
        }
        "C005" => "end lines with LF or CRLF (e.g. `dos2unix`)",
        "C006" => "close the quote, or double the quotes inside quoted values (`\"\"`)",
        "C021" => {
            "quote the field if the escape is meant, or check the values: tsload keeps the character as it is"
        }
        _ => return None,
    })
}

fn window_text(w: &Window) -> String {
    match w {
        Window::Checked {
            reference_ns,
            start_ns,
            retention,
            ..
        } => {
            let (days, hours) = (
                retention.magnetic_store_retention_days,
                retention.memory_store_retention_hours,
            );
            let what = if retention.magnetic_store_writes {
                format!(
                    "the magnetic-store retention of {days} day{}",
                    if days == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "the memory-store retention of {hours} hour{}, magnetic-store writes being off",
                    if hours == 1 { "" } else { "s" }
                )
            };
            format!(
                "the ingestion window starting {} (reference time {} minus {what})",
                format_ns(*start_ns),
                format_ns(*reference_ns)
            )
        }
        Window::FutureOnly { .. } => "the ingestion window".to_owned(),
    }
}

/// Renders one row finding. `files` names duplicate-detection file ids.
pub(crate) fn render(plan: &Plan, file: &str, f: &Finding, files: &[String]) -> Diagnostic {
    let v = f.value.as_deref();
    let c = col(plan, f.field);
    let slot = f.slot.and_then(|s| plan.slots.get(s as usize));
    let ty = slot.map_or("", |s| s.ty.as_str());
    let measure = slot.map(|s| {
        let spec = &plan.specs[s.spec as usize];
        if spec.multi {
            format!(
                "attribute `{}` of record {}",
                s.name,
                spec_name(plan, Some(s.spec))
            )
        } else {
            format!("measure `{}`", s.name)
        }
    });
    let measure = measure.unwrap_or_default();
    let shown = |v: Option<&str>| format!("`{}`", v.unwrap_or(""));
    let unit = plan.time_unit.as_str();
    let dim = f
        .field
        .and_then(|i| plan.dims.iter().find(|d| d.field == i))
        .map_or(String::new(), |d| format!("dimension `{}` ", d.name));
    let rule = f.rule;
    let (message, hint): (String, Option<String>) = match rule.code {
        "R040" => (
            format!(
                "the row has {} fields but the mapped columns need at least {}",
                f.num, f.aux
            ),
            Some("check the separator and the quoting of this line".into()),
        ),
        "R001" => (
            format!("time {c} is {}", null_word(plan, v)),
            Some("every row needs a time; fill it in or remove the row".into()),
        ),
        "R002" | "R008" => {
            let hint = match f.fault {
                Some(Fault::DateLike) => format!(
                    "convert times to epoch integers in {unit}; e.g. 2021-03-25T08:45:21Z is 1616661921 in SECONDS"
                ),
                Some(Fault::Decimal) => {
                    "drop the fraction, or use a finer `TimeUnit` and scale the values".into()
                }
                Some(Fault::Negative) => "times before 1970 cannot be written".into(),
                Some(Fault::Sign) => "remove the `+` sign".into(),
                Some(Fault::Whitespace) => {
                    "remove the spaces, or set `TrimWhiteSpace` in `CsvConfiguration`".into()
                }
                _ => format!("write the time as an epoch integer in {unit}"),
            };
            (
                format!(
                    "time {c}: expected an epoch integer in {unit}, found {}: {}",
                    shown(v),
                    f.fault.map_or("it is not an integer", Fault::phrase)
                ),
                Some(hint),
            )
        }
        "R003" => (
            format!(
                "time {} in {unit} is after 2262-04-11T23:47:16.854775807Z, the latest time Timestream stores",
                shown(v)
            ),
            unit_hint(plan, v).or_else(|| Some("check the `TimeUnit`".into())),
        ),
        "R004" => (
            "time is 0 (1970-01-01T00:00:00Z), which is almost always a missing value".to_owned(),
            Some("fill in the real time or remove the row".into()),
        ),
        "R005" => {
            let reference = match plan.window {
                Window::Checked { reference_ns, .. } | Window::FutureOnly { reference_ns, .. } => {
                    reference_ns
                }
            };
            (
                format!(
                    "time {} ({}) is more than 15 minutes after the reference time {}",
                    shown(v),
                    format_ns(f.num),
                    format_ns(reference)
                ),
                unit_hint(plan, v).or_else(|| {
                    Some("Timestream rejects records more than 15 minutes in the future".into())
                }),
            )
        }
        "R006" => {
            let hint = unit_hint(plan, v).unwrap_or_else(|| match plan.window {
                Window::Checked { retention, .. } if !retention.magnetic_store_writes => {
                    "enable magnetic store writes on the table to load older data, or raise its memory-store retention".into()
                }
                _ => "raise the table's magnetic-store retention, or drop these rows".into(),
            });
            (
                format!(
                    "time {} ({}) is before {}",
                    shown(v),
                    format_ns(f.num),
                    window_text(&plan.window)
                ),
                Some(hint),
            )
        }
        "R010" | "R011" | "R012" | "R013" | "R014" | "R017" => {
            let expected = match rule.code {
                "R014" => "BOOLEAN (`true` or `false`)".to_owned(),
                "R017" => format!("TIMESTAMP (an epoch integer in {unit})"),
                _ => ty.to_owned(),
            };
            (
                format!(
                    "{c}, {measure}: expected {expected}, found {}: {}",
                    shown(v),
                    f.fault.map_or("it cannot be converted", Fault::phrase)
                ),
                Some(value_hint(rule, f.fault, ty)),
            )
        }
        "R015" => (
            format!(
                "{c}, {measure}: BOOLEAN {} is accepted by tsload, but only lower-case `true` and `false` are known to work",
                shown(v)
            ),
            Some("write `true` or `false` in lower case".into()),
        ),
        "R041" => (
            format!(
                "{c}, {measure}: BOOLEAN {} is counted as {} by tsload, but only `true` and `false` are known to work",
                shown(v),
                v.is_some_and(|v| matches!(v, "1" | "t" | "T"))
            ),
            Some("write `true` or `false`".into()),
        ),
        "R016" => (
            format!(
                "{c}, {measure}: the VARCHAR value is {} bytes; the limit is {}",
                f.num, f.aux
            ),
            Some("shorten the text; the record fails ingestion".into()),
        ),
        "R019" => (
            format!("{c}, {measure}: the VARCHAR value is a quoted empty string, which is not a value"),
            Some("leave the field unquoted and empty to omit the measure, or write a value".into()),
        ),
        "R024" => (
            format!("{dim}in {c} is empty; dimension values cannot be empty"),
            Some("write a value, drop the row, or set `NullValue` and write it to leave the dimension out".into()),
        ),
        "R018" => (
            format!("{c} is not valid UTF-8"),
            Some("save the file as UTF-8".into()),
        ),
        "R020" => (
            format!(
                "{dim}in {c} is {}; the record is written without this dimension",
                null_word(plan, v)
            ),
            Some("a record without it belongs to another time series; fill in the value or drop the row".into()),
        ),
        "R021" => (
            format!(
                "{dim}in {c}: name and value are {} bytes together; the limit is {}",
                f.num, f.aux
            ),
            Some("shorten the dimension value".into()),
        ),
        "R022" => (
            "every dimension of the row is empty or null; a record needs at least one dimension"
                .to_owned(),
            Some("fill in at least one dimension value".into()),
        ),
        "R023" => match f.field {
            Some(_) => (
                format!(
                    "{dim}in {c} is the table's REQUIRED partition key but is {} in this row",
                    null_word(plan, v)
                ),
                Some("fill in the partition key in every row".into()),
            ),
            None => (
                "the table's REQUIRED partition-key dimension is not mapped, so no record can carry it".to_owned(),
                Some("see `H005`".into()),
            ),
        },
        "R031" => (
            match f.spec {
                Some(_) => format!(
                    "record {} has no measure values: every column it maps is empty or null",
                    spec_name(plan, f.spec)
                ),
                None => "the row writes no record: every measure it maps is empty or null"
                    .to_owned(),
            },
            Some("fill in at least one measure, or remove the row".into()),
        ),
        "R032" => (
            format!(
                "record {} has {} measures; the limit is {}",
                spec_name(plan, f.spec),
                f.num,
                f.aux
            ),
            Some("split the attributes over several multi-measure records".into()),
        ),
        "R033" => (
            format!(
                "record {} is {} bytes (8 for the time, plus dimension names and values, the measure name, and measure names and values); the limit is {}",
                spec_name(plan, f.spec),
                f.num,
                f.aux
            ),
            Some("shorten text values or dimensions, or split the measures over several records".into()),
        ),
        "R034" => (
            format!("the measure name in {c} is {}", null_word(plan, v)),
            Some("every row needs a measure name in the `MeasureNameColumn`".into()),
        ),
        "R035" => (
            format!(
                "the measure name in {c} is {} bytes; the limit is {}",
                f.num, f.aux
            ),
            Some("shorten the measure name".into()),
        ),
        "R037" | "R038" => {
            let what = match v.and_then(|v| tsload_model::check::reserved_name(v.as_bytes(), false)) {
                Some((rule, name)) if rule == &tsload_model::rules::RESERVED_NAME => {
                    format!("is `{name}`, a reserved system identifier of Timestream")
                }
                Some((rule, prefix)) => tsload_model::check::reserved_prefix_phrase(rule, prefix),
                None => "is reserved".to_owned(),
            };
            (
                format!("the measure name {} in {c} {what}", shown(v)),
                Some("rename these measures in the data; `time`, `measure_name`, `measure_value` and `ts_non_existent_col` are reserved, and so are the prefixes `ts_`, `measure_name` and `measure_value`".into()),
            )
        }
        "R039" => (
            format!(
                "the measure name {} in {c} is also the name of a dimension",
                shown(v)
            ),
            Some("a dimension and a measure cannot share a name; rename the measure in the data, or the dimension with `DestinationColumn`".into()),
        ),
        "R036" => {
            let known = match &plan.selector {
                crate::plan::Selector::ByName(v) => v
                    .iter()
                    .map(|(k, _)| format!("`{}`", String::from_utf8_lossy(k)))
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::plan::Selector::All => String::new(),
            };
            (
                format!(
                    "the measure name {} in {c} matches no `MixedMeasureMappings` entry (known: {known})",
                    shown(v)
                ),
                Some("add a mapping whose `MeasureName` is this value, or fix the value; tsload counts the row as a failed record".into()),
            )
        }
        "R050" => {
            let first_file = files.get(f.aux as usize).map_or("", String::as_str);
            let at = if first_file == file {
                format!("line {}", f.num)
            } else {
                format!("{first_file}:{}", f.num)
            };
            (
                format!(
                    "this record has the same dimensions, time and measure name as the record at {at} but different measure values; which one the service keeps depends on processing order"
                ),
                Some("deduplicate the input, or load the later values in a separate task with a higher `RecordVersion`".into()),
            )
        }
        "C019" => (
            format!("{c}, {measure}: the field is empty and is read as null, so the measure is left out of the record"),
            Some("set `NullValue` and write it where a value is missing, or fill the field in".into()),
        ),
        "C008" => (
            format!(
                "the row has {} field{} where the header has {}",
                f.num,
                if f.num == 1 { "" } else { "s" },
                f.aux
            ),
            Some(if (f.num as u64) > f.aux {
                "a value probably holds the separator: quote it, or remove the extra separators"
            } else {
                "a value is probably missing, or the row was cut: check the separators of this line"
            }
            .into()),
        ),
        _ => (
            // Framing rules of the CSV reader.
            format!("{c}: {}", rule.summary),
            framing_hint(rule.code).map(str::to_owned),
        ),
    };
    let mut d = Diagnostic::new(rule, location(plan, f), message).with_file(file);
    if let Some(h) = hint {
        d = d.with_hint(h);
    }
    if let Some(v) = v
        && !v.is_empty()
    {
        d = d.with_value(v);
    }
    d
}
