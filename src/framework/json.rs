//! The JSON encoding of values (cty's `json` package): what `UpgradeResourceState` receives as the
//! raw state, and what a `DynamicValue.json` may carry.
//!
//! Same shapes as msgpack, except: no unknowns, numbers are JSON numbers of any precision (parsed
//! exactly thanks to serde_json's `arbitrary_precision`), and a dynamic value is
//! `{"type": <type JSON>, "value": <value>}`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::msgpack::{CodecError, Located, infer_type, value_kind};
use super::path::{AttributePath, PathStep};
use super::types::Type;
use super::value::{Number, Value};

/// Decode JSON bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|e| CodecError::new(&AttributePath::root(), format!("invalid JSON: {e}")))?;
    from_json(json, ty).map_err(Located::finish)
}

/// Decode an already-parsed JSON document as a value of type `ty`.
pub fn from_json_value(json: &Json, ty: &Type) -> Result<Value, CodecError> {
    from_json(json.clone(), ty).map_err(Located::finish)
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

/// The value of `json`, guided by `ty`. The document is consumed (its strings move into the
/// value) and, as in the msgpack decoder, a path is built only for an error.
fn from_json(json: Json, ty: &Type) -> Result<Value, Located> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::Dynamic, Json::Object(mut obj)) => {
            let (Some(t), Some(v)) = (obj.remove("type"), obj.remove("value")) else {
                return Err(Located::new("dynamic value must have \"type\" and \"value\""));
            };
            let concrete = Type::from_json(&t).map_err(|e| Located::new(e.to_string()))?;
            let inner = from_json(v, &concrete)?;
            Ok(Value::Dynamic(Box::new(concrete), Box::new(inner)))
        }
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Json::Number(n)) => {
            n.to_string().parse::<Number>().map(Value::Number).map_err(|e| Located::new(e.to_string()))
        }
        // cty accepts numbers written as strings.
        (Type::Number, Json::String(s)) => {
            s.parse::<Number>().map(Value::Number).map_err(|e| Located::new(e.to_string()))
        }
        (Type::String, Json::String(s)) => Ok(Value::String(s)),
        // cty converts primitives to string when the type asks for one.
        (Type::String, Json::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::List(et) | Type::Set(et), Json::Array(items)) => {
            let out = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| from_json(item, et).map_err(|e| e.at(PathStep::Index(i as i64))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(out) } else { Value::List(out) })
        }
        (Type::Tuple(ets), Json::Array(items)) => {
            if items.len() != ets.len() {
                return Err(Located::new("tuple length does not match its type"));
            }
            let out = items
                .into_iter()
                .zip(ets)
                .enumerate()
                .map(|(i, (item, et))| from_json(item, et).map_err(|e| e.at(PathStep::Index(i as i64))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(out))
        }
        (Type::Map(et), Json::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let v = from_json(v, et).map_err(|e| e.at(PathStep::Key(k.clone())))?;
                out.insert(k, v);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attrs, _), Json::Object(mut entries)) => {
            let mut out = BTreeMap::new();
            for (name, at) in attrs {
                let v = match entries.remove(name) {
                    Some(v) => from_json(v, at).map_err(|e| e.at(PathStep::Attribute(name.clone())))?,
                    // A state written by an older schema may lack a newer attribute.
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            if let Some(extra) = entries.keys().next() {
                return Err(Located::new(format!("unsupported attribute {extra:?}")));
            }
            Ok(Value::Object(out))
        }
        (_, json) => Err(Located::new(format!("{} required, found {}", ty.friendly_name(), json_kind(&json)))),
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
    fn a_mismatch_names_its_path_and_an_unknown_attribute_is_refused() {
        let ty = Type::object([("a", Type::list(Type::object([("b", Type::Bool)])))]);
        let e = decode(br#"{"a":[{"b":true},{"b":"no"}]}"#, &ty).unwrap_err();
        assert_eq!(e.to_string(), "a[1].b: bool required, found string");
        let e = decode(br#"{"a":[],"z":1}"#, &ty).unwrap_err();
        assert_eq!(e.to_string(), "unsupported attribute \"z\"");
        let ok = decode(br#"{"a":[{"b":false}]}"#, &ty).unwrap();
        assert_eq!(ok.attr("a").as_elements().unwrap()[0].attr("b"), &Value::Bool(false));
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
