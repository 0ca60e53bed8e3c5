//! The JSON encoding of values (cty's `json` package): what `UpgradeResourceState` receives as the
//! raw state, and what a `DynamicValue.json` may carry.
//!
//! Same shapes as msgpack, except: no unknowns, numbers are JSON numbers of any precision (parsed
//! exactly thanks to serde_json's `arbitrary_precision`), and a dynamic value is
//! `{"type": <type JSON>, "value": <value>}`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::msgpack::{CodecError, infer_type, value_kind};
use super::path::AttributePath;
use super::types::Type;
use super::value::{Number, Value};

/// Decode JSON bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|e| CodecError::new(&AttributePath::root(), format!("invalid JSON: {e}")))?;
    from_json(&json, ty, &mut AttributePath::root())
}

/// Decode an already-parsed JSON document as a value of type `ty`.
pub fn from_json_value(json: &Json, ty: &Type) -> Result<Value, CodecError> {
    from_json(json, ty, &mut AttributePath::root())
}

/// Encode a wholly known value of type `ty` as JSON.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let json = to_json(value, ty, &mut AttributePath::root())?;
    Ok(serde_json::to_vec(&json).expect("a JSON value always serializes"))
}

/// Encode a wholly known value as a JSON document.
pub fn to_json_value(value: &Value, ty: &Type) -> Result<Json, CodecError> {
    to_json(value, ty, &mut AttributePath::root())
}

fn from_json(json: &Json, ty: &Type, path: &mut AttributePath) -> Result<Value, CodecError> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = |path: &AttributePath| {
        CodecError::new(path, format!("{} required, found {}", ty.friendly_name(), json_kind(json)))
    };
    match ty {
        Type::Dynamic => {
            let obj = json.as_object().ok_or_else(|| mismatch(path))?;
            let (Some(t), Some(v)) = (obj.get("type"), obj.get("value")) else {
                return Err(CodecError::new(path, "dynamic value must have \"type\" and \"value\""));
            };
            let concrete = Type::from_json(t).map_err(|e| CodecError::new(path, e.to_string()))?;
            let inner = from_json(v, &concrete, path)?;
            Ok(Value::Dynamic(Box::new(concrete), Box::new(inner)))
        }
        Type::Bool => json.as_bool().map(Value::Bool).ok_or_else(|| mismatch(path)),
        Type::Number => match json {
            Json::Number(n) => {
                n.to_string().parse::<Number>().map(Value::Number).map_err(|e| CodecError::new(path, e.to_string()))
            }
            // cty accepts numbers written as strings.
            Json::String(s) => s.parse::<Number>().map(Value::Number).map_err(|e| CodecError::new(path, e.to_string())),
            _ => Err(mismatch(path)),
        },
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            // cty converts primitives to string when the type asks for one.
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch(path)),
        },
        Type::List(et) | Type::Set(et) => {
            let items = json.as_array().ok_or_else(|| mismatch(path))?;
            let out = path.map_indexed(items.iter(), |item, path| from_json(item, et, path))?;
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(out) } else { Value::List(out) })
        }
        Type::Tuple(ets) => {
            let items = json.as_array().ok_or_else(|| mismatch(path))?;
            if items.len() != ets.len() {
                return Err(CodecError::new(path, "tuple length does not match its type"));
            }
            let out = path.map_indexed(items.iter().zip(ets), |(item, et), path| from_json(item, et, path))?;
            Ok(Value::Tuple(out))
        }
        Type::Map(et) => {
            let entries = json.as_object().ok_or_else(|| mismatch(path))?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                path.push_key(k);
                out.insert(k.clone(), from_json(v, et, path)?);
                path.pop();
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs, _) => {
            let entries = json.as_object().ok_or_else(|| mismatch(path))?;
            let mut out = BTreeMap::new();
            for (name, at) in attrs {
                path.push_attr(name);
                let v = match entries.get(name) {
                    Some(v) => from_json(v, at, path)?,
                    // A state written by an older schema may lack a newer attribute.
                    None => Value::Null,
                };
                path.pop();
                out.insert(name.clone(), v);
            }
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::new(path, format!("unsupported attribute {extra:?}")));
            }
            Ok(Value::Object(out))
        }
    }
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn to_json(value: &Value, ty: &Type, path: &mut AttributePath) -> Result<Json, CodecError> {
    match value {
        Value::Null => return Ok(Json::Null),
        Value::Unknown => return Err(CodecError::new(path, "JSON cannot hold an unknown value")),
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, v) => {
            let (concrete, inner) = match v {
                Value::Dynamic(t, inner) => ((**t).clone(), &**inner),
                other => (
                    infer_type(other)
                        .ok_or_else(|| CodecError::new(path, "a dynamic value needs its concrete type"))?,
                    other,
                ),
            };
            let encoded = to_json(inner, &concrete, path)?;
            Ok(serde_json::json!({"type": concrete.to_json(), "value": encoded}))
        }
        (Type::Bool, Value::Bool(b)) => Ok(Json::Bool(*b)),
        (Type::Number, Value::Number(n)) => match n {
            Number::Finite(_) => {
                let text = n.to_string();
                serde_json::from_str::<Json>(&text).map_err(|e| CodecError::new(path, format!("number {text}: {e}")))
            }
            _ => Err(CodecError::new(path, "JSON cannot hold an infinite number")),
        },
        (Type::String, Value::String(s)) => Ok(Json::String(s.clone())),
        (Type::List(et) | Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            let out = path.map_indexed(items.iter(), |item, path| to_json(item, et, path))?;
            Ok(Json::Array(out))
        }
        (Type::Tuple(ets), Value::Tuple(items) | Value::List(items)) if items.len() == ets.len() => {
            let out = path.map_indexed(items.iter().zip(ets), |(item, et), path| to_json(item, et, path))?;
            Ok(Json::Array(out))
        }
        (Type::Map(et), Value::Map(entries) | Value::Object(entries)) => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                path.push_key(k);
                out.insert(k.clone(), to_json(v, et, path)?);
                path.pop();
            }
            Ok(Json::Object(out))
        }
        (Type::Object(attrs, _), Value::Object(entries) | Value::Map(entries)) => {
            let mut out = serde_json::Map::new();
            for (name, at) in attrs {
                path.push_attr(name);
                let v = match entries.get(name) {
                    Some(v) => to_json(v, at, path)?,
                    None => Json::Null,
                };
                path.pop();
                out.insert(name.clone(), v);
            }
            Ok(Json::Object(out))
        }
        (ty, v) => Err(CodecError::new(path, format!("cannot encode {} as {}", value_kind(v), ty.friendly_name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_and_decimal_numbers_stay_exact() {
        let ty = Type::list(Type::Number);
        let v = decode(b"[18446744073709551617, 0.1, 1e3]", &ty).unwrap();
        let Value::List(items) = &v else { panic!() };
        assert_eq!(items[0], Value::Number("18446744073709551617".parse().unwrap()));
        assert_eq!(items[1], Value::Number("0.1".parse().unwrap()));
        assert_eq!(items[2], Value::Number(1000.into()));
        let back = decode(&encode(&v, &ty).unwrap(), &ty).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn state_from_an_older_schema_fills_new_attributes_with_null() {
        let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
        let v = decode(br#"{"a":"x"}"#, &ty).unwrap();
        assert_eq!(v.attr("b"), &Value::Null);
    }

    #[test]
    fn dynamic_uses_type_and_value() {
        let v = decode(br#"{"type":["map","string"],"value":{"k":"v"}}"#, &Type::Dynamic).unwrap();
        let Value::Dynamic(t, inner) = &v else { panic!() };
        assert_eq!(**t, Type::map(Type::String));
        assert_eq!(inner.as_entries().unwrap()["k"], Value::from("v"));
        assert_eq!(decode(&encode(&v, &Type::Dynamic).unwrap(), &Type::Dynamic).unwrap(), v);
    }
}
