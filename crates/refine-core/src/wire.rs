//! Small serde helpers for wire inputs.

use serde::{Deserialize, Deserializer};

/// For partial patches: absent → `None`, `null` → `Some(None)`, value → `Some(Some(v))`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Check free text a person typed: length in characters, no NUL or other control characters
/// except newlines and tabs where `multiline`.
pub fn text(
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<(), refine_model::ApiError> {
    if value.chars().count() > max {
        return Err(refine_model::ApiError::invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')));
    if bad {
        return Err(refine_model::ApiError::invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

/// A required one-line name: trimmed, 1..=max characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<String, refine_model::ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(refine_model::ApiError::invalid(format!(
            "{field} must not be empty"
        )));
    }
    text(field, v, max, false)?;
    Ok(v.to_string())
}

/// Labels: trimmed, non-empty, at most 40 characters, no commas; deduplicated, order kept.
pub fn labels(values: &[String]) -> Result<Vec<String>, refine_model::ApiError> {
    let mut out: Vec<String> = Vec::new();
    if values.len() > 50 {
        return Err(refine_model::ApiError::invalid(
            "a Goal has at most 50 labels",
        ));
    }
    for l in values {
        let l = name("label", l, 40)?;
        if l.contains(',') {
            return Err(refine_model::ApiError::invalid(format!(
                "label {l:?} must not contain a comma"
            )));
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Ok(out)
}
