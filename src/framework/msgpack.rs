//! The msgpack encoding of values that Terraform uses on the wire (cty's `msgpack` package).
//!
//! Rules (see the object wire format document of the plugin protocol):
//! - null is `nil`; an unknown is any extension value (we write `d4 00 00`, fixext1 type 0);
//! - numbers may arrive as any int, float or as a decimal string; we write every finite number as
//!   its decimal text (infinities as float64). Terraform parses that text exactly as it parses the
//!   numbers of a state file, so a refreshed number is the very value the state held; a msgpack
//!   int decodes to a number of another precision, which Terraform's refresh-only plans count as a
//!   change that no diff shows (exit code 2 with "No changes");
//! - objects carry every attribute of their type, nulls included, keys sorted;
//! - a `dynamic` value is `[bin(type JSON), value encoded with that type]`.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::path::AttributePath;
use super::types::Type;
use super::value::{Number, Value};

/// A value that does not match the type it was decoded or encoded with.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}{message}", path_prefix(.path))]
pub struct CodecError {
    /// Where in the value the mismatch is.
    pub path: AttributePath,
    /// What does not match.
    pub message: String,
}

fn path_prefix(p: &AttributePath) -> String {
    if p.is_empty() { String::new() } else { format!("{p}: ") }
}

impl CodecError {
    pub(crate) fn new(path: &AttributePath, message: impl Into<String>) -> CodecError {
        CodecError { path: path.clone(), message: message.into() }
    }
}

/// Decode msgpack bytes as a value of type `ty`. Empty input is a null, as Terraform treats it.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = bytes;
    let mp = rmpv::decode::read_value(&mut rd)
        .map_err(|e| CodecError::new(&AttributePath::root(), format!("invalid msgpack: {e}")))?;
    if !rd.is_empty() {
        return Err(CodecError::new(&AttributePath::root(), "trailing bytes after msgpack value"));
    }
    from_mp(mp, ty, &mut AttributePath::root())
}

/// Encode a value of type `ty` as msgpack.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mp = to_mp(value, ty, &mut AttributePath::root())?;
    let mut out = Vec::with_capacity(64);
    rmpv::encode::write_value(&mut out, &mp).expect("writing to a Vec cannot fail");
    Ok(out)
}

fn from_mp(mp: Mp, ty: &Type, path: &mut AttributePath) -> Result<Value, CodecError> {
    match mp {
        Mp::Nil => return Ok(Value::Null),
        // Any extension is an unknown; refinements (ext 12) may be ignored.
        Mp::Ext(_, _) => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let Mp::Array(mut parts) = mp else {
                return Err(CodecError::new(path, "dynamic value must be a [type, value] pair"));
            };
            if parts.len() != 2 {
                return Err(CodecError::new(path, "dynamic value must be a [type, value] pair"));
            }
            let inner = parts.pop().expect("len 2");
            let type_bytes = match parts.pop().expect("len 2") {
                Mp::Binary(b) => b,
                Mp::String(s) => s.into_bytes(),
                _ => return Err(CodecError::new(path, "dynamic value type must be JSON bytes")),
            };
            let concrete = Type::from_json_bytes(&type_bytes).map_err(|e| CodecError::new(path, e.to_string()))?;
            let v = from_mp(inner, &concrete, path)?;
            Ok(Value::Dynamic(Box::new(concrete), Box::new(v)))
        }
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Number => match mp {
            Mp::Integer(i) => {
                if let Some(v) = i.as_i64() {
                    Ok(Value::Number(Number::from_i64(v)))
                } else if let Some(v) = i.as_u64() {
                    Ok(Value::Number(Number::from_u64(v)))
                } else {
                    Err(CodecError::new(path, "integer out of range"))
                }
            }
            Mp::F32(f) => float(f as f64, path),
            Mp::F64(f) => float(f, path),
            Mp::String(s) => {
                let text = s.as_str().ok_or_else(|| CodecError::new(path, "number text is not UTF-8"))?;
                text.parse::<Number>().map(Value::Number).map_err(|e| CodecError::new(path, e.to_string()))
            }
            other => Err(mismatch(path, ty, &other)),
        },
        Type::String => match mp {
            Mp::String(s) => {
                s.into_str().map(Value::String).ok_or_else(|| CodecError::new(path, "string is not valid UTF-8"))
            }
            other => Err(mismatch(path, ty, &other)),
        },
        Type::List(et) | Type::Set(et) => {
            let Mp::Array(items) = mp else { return Err(mismatch(path, ty, &mp)) };
            let out = path.map_indexed(items, |item, path| from_mp(item, et, path))?;
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(out) } else { Value::List(out) })
        }
        Type::Tuple(ets) => {
            let Mp::Array(items) = mp else { return Err(mismatch(path, ty, &mp)) };
            if items.len() != ets.len() {
                return Err(CodecError::new(
                    path,
                    format!("tuple of {} elements required, {} given", ets.len(), items.len()),
                ));
            }
            let out = path.map_indexed(items.into_iter().zip(ets), |(item, et), path| from_mp(item, et, path))?;
            Ok(Value::Tuple(out))
        }
        Type::Map(et) => {
            let Mp::Map(entries) = mp else { return Err(mismatch(path, ty, &mp)) };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = map_key(k, path)?;
                path.push_key(&key);
                let v = from_mp(v, et, path)?;
                path.pop();
                out.insert(key, v);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs, _) => {
            let Mp::Map(entries) = mp else { return Err(mismatch(path, ty, &mp)) };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = map_key(k, path)?;
                let Some(at) = attrs.get(&key) else {
                    return Err(CodecError::new(path, format!("unsupported attribute {key:?}")));
                };
                path.push_attr(&key);
                let v = from_mp(v, at, path)?;
                path.pop();
                out.insert(key, v);
            }
            // Terraform always sends every attribute; tolerate omissions as nulls.
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
    }
}

fn float(f: f64, path: &AttributePath) -> Result<Value, CodecError> {
    Number::from_f64(f).map(Value::Number).ok_or_else(|| CodecError::new(path, "NaN is not a number"))
}

fn map_key(k: Mp, path: &AttributePath) -> Result<String, CodecError> {
    match k {
        Mp::String(s) => s.into_str().ok_or_else(|| CodecError::new(path, "map key is not UTF-8")),
        _ => Err(CodecError::new(path, "map key must be a string")),
    }
}

fn mismatch(path: &AttributePath, ty: &Type, got: &Mp) -> CodecError {
    let got = match got {
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) | Mp::F32(_) | Mp::F64(_) => "number",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Nil => "null",
        Mp::Ext(_, _) => "unknown",
    };
    CodecError::new(path, format!("{} required, found {got}", ty.friendly_name()))
}

/// The extension Terraform writes for a plain unknown value.
fn unknown() -> Mp {
    Mp::Ext(0, vec![0])
}

fn to_mp(value: &Value, ty: &Type, path: &mut AttributePath) -> Result<Mp, CodecError> {
    match value {
        Value::Null => return Ok(Mp::Nil),
        Value::Unknown => return Ok(unknown()),
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
            let encoded = to_mp(inner, concrete, path)?;
            Ok(Mp::Array(vec![Mp::Binary(concrete.to_json_bytes()), encoded]))
        }
        (Type::Dynamic, v) => {
            let concrete =
                infer_type(v).ok_or_else(|| CodecError::new(path, "a dynamic value needs its concrete type"))?;
            let encoded = to_mp(v, &concrete, path)?;
            Ok(Mp::Array(vec![Mp::Binary(concrete.to_json_bytes()), encoded]))
        }
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::Number, Value::Number(n)) => Ok(number_to_mp(n)),
        (Type::String, Value::String(s)) => Ok(Mp::String(s.as_str().into())),
        (Type::List(et), Value::List(items) | Value::Set(items) | Value::Tuple(items))
        | (Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            let out = path.map_indexed(items.iter(), |item, path| to_mp(item, et, path))?;
            Ok(Mp::Array(out))
        }
        (Type::Tuple(ets), Value::Tuple(items) | Value::List(items)) => {
            if items.len() != ets.len() {
                return Err(CodecError::new(path, "tuple length does not match its type"));
            }
            let out = path.map_indexed(items.iter().zip(ets), |(item, et), path| to_mp(item, et, path))?;
            Ok(Mp::Array(out))
        }
        (Type::Map(et), Value::Map(entries) | Value::Object(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                path.push_key(k);
                out.push((Mp::String(k.as_str().into()), to_mp(v, et, path)?));
                path.pop();
            }
            Ok(Mp::Map(out))
        }
        (Type::Object(attrs, _), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::new(path, format!("unsupported attribute {extra:?}")));
            }
            let mut out = Vec::with_capacity(attrs.len());
            for (name, at) in attrs {
                path.push_attr(name);
                let v = match entries.get(name) {
                    Some(v) => to_mp(v, at, path)?,
                    None => Mp::Nil,
                };
                path.pop();
                out.push((Mp::String(name.as_str().into()), v));
            }
            Ok(Mp::Map(out))
        }
        (ty, v) => Err(CodecError::new(path, format!("cannot encode {} as {}", value_kind(v), ty.friendly_name()))),
    }
}

fn number_to_mp(n: &Number) -> Mp {
    match n {
        Number::PosInfinity => Mp::F64(f64::INFINITY),
        Number::NegInfinity => Mp::F64(f64::NEG_INFINITY),
        Number::Finite(_) => Mp::String(n.to_string().into()),
    }
}

pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Dynamic(_, _) => "dynamic",
    }
}

/// The type of a known value when it can be told from the value alone.
pub fn infer_type(v: &Value) -> Option<Type> {
    match v {
        Value::Bool(_) => Some(Type::Bool),
        Value::Number(_) => Some(Type::Number),
        Value::String(_) => Some(Type::String),
        Value::Dynamic(t, _) => Some((**t).clone()),
        Value::Tuple(items) => Some(Type::Tuple(items.iter().map(infer_type).collect::<Option<_>>()?)),
        Value::List(items) | Value::Set(items) => {
            let et = items.iter().find_map(infer_type)?;
            Some(if matches!(v, Value::Set(_)) { Type::set(et) } else { Type::list(et) })
        }
        Value::Map(m) => Some(Type::map(m.values().find_map(infer_type)?)),
        Value::Object(m) => Some(Type::Object(
            m.iter().map(|(k, v)| Some((k.clone(), infer_type(v)?))).collect::<Option<_>>()?,
            Default::default(),
        )),
        Value::Null | Value::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_ty() -> Type {
        Type::object([("id", Type::String), ("n", Type::Number), ("tags", Type::set(Type::String))])
    }

    #[test]
    fn unknown_is_fixext1_type0() {
        assert_eq!(encode(&Value::Unknown, &Type::String).unwrap(), vec![0xd4, 0, 0]);
        // Any extension type decodes as unknown, including refined unknowns (ext 12).
        assert_eq!(decode(&[0xc7, 0x01, 0x0c, 0x80], &Type::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn objects_carry_every_attribute_sorted() {
        let v = Value::object([("id", Value::from("a"))]);
        let bytes = encode(&v, &obj_ty()).unwrap();
        let back = decode(&bytes, &obj_ty()).unwrap();
        assert_eq!(back.attr("n"), &Value::Null);
        let mp = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        let keys: Vec<_> = mp.as_map().unwrap().iter().map(|(k, _)| k.as_str().unwrap().to_string()).collect();
        assert_eq!(keys, vec!["id", "n", "tags"]);
    }

    #[test]
    fn numbers_are_written_as_the_decimal_text_a_state_file_holds() {
        // Never as a msgpack int or float: Terraform would decode those to another precision
        // than the state file's text, and count every refresh as a change (see the module docs).
        let cases =
            [("42", Mp::String("42".into())), ("0.5", Mp::String("0.5".into())), ("0.1", Mp::String("0.1".into()))];
        for (text, expect) in cases {
            let n: Number = text.parse().unwrap();
            assert_eq!(number_to_mp(&n), expect, "{text}");
        }
        let big = "18446744073709551617";
        let bytes = encode(&Value::Number(big.parse().unwrap()), &Type::Number).unwrap();
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), Value::Number(big.parse().unwrap()));
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::Dynamic(Box::new(Type::list(Type::String)), Box::new(Value::List(vec!["a".into()])));
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        let mp = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        assert_eq!(mp.as_array().unwrap()[0], Mp::Binary(br#"["list","string"]"#.to_vec()));
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
    }

    #[test]
    fn rejects_mismatches_with_a_path() {
        let mp = Mp::Map(vec![(Mp::from("id"), Mp::from(3))]);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &mp).unwrap();
        let err = decode(&bytes, &obj_ty()).unwrap_err();
        assert_eq!(err.to_string(), "id: string required, found number");
        let mp = Mp::Map(vec![(Mp::from("nope"), Mp::Nil)]);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &mp).unwrap();
        assert!(decode(&bytes, &obj_ty()).is_err());
    }

    #[test]
    fn empty_bytes_are_null() {
        assert_eq!(decode(&[], &obj_ty()).unwrap(), Value::Null);
    }
}
