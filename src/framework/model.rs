//! Typed models: a resource declares a `#[derive(Serialize, Deserialize)]` struct whose fields are
//! `Attr<T>` (Null | Unknown | Known) and the framework converts it to and from `Value` through
//! serde, then conforms the result to the schema's type (a `BTreeSet` becomes a set, a struct an
//! object with every attribute present).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use serde::{Deserialize, Deserializer, Serializer};

use super::msgpack::infer_type;
use super::types::Type;
use super::value::{Number, Value};

/// Serde token a `Value` serializer turns into `Value::Unknown`.
const UNKNOWN_TOKEN: &str = "$mdmkit::framework::Unknown";
/// Serde token carrying an exact number as its decimal text.
pub(super) const NUMBER_TOKEN: &str = "$mdmkit::framework::Number";

/// An attribute of a typed model: null, unknown (only in plans and configs), or known.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Attr<T> {
    /// No value.
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
    /// A known value.
    Known(T),
}

/// A `Debug` view of an attribute that says whether it is known, never what it holds: for the
/// fields of a model that hold a secret (see [`Attr::redacted`]).
pub struct RedactedAttr<'a, T>(&'a Attr<T>);

impl<T> fmt::Debug for RedactedAttr<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Attr::Known(_) => "Known([redacted])",
            Attr::Unknown => "Unknown",
            Attr::Null => "Null",
        })
    }
}

impl<T> Attr<T> {
    /// This attribute for a hand-written `Debug` of a model holding a secret: shows whether the
    /// value is known, never the value.
    pub fn redacted(&self) -> RedactedAttr<'_, T> {
        RedactedAttr(self)
    }

    /// Whether the attribute is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }
    /// Whether the attribute is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }
    /// Whether the attribute has a known value.
    pub fn is_known(&self) -> bool {
        matches!(self, Attr::Known(_))
    }
    /// The known value, if any.
    pub fn get(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }
    /// The known value, if any (null and unknown give `None`).
    pub fn into_option(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }
    /// Borrow the known value, keeping null and unknown as they are.
    pub fn as_ref(&self) -> Attr<&T> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(v),
        }
    }
    /// Apply `f` to the known value, keeping null and unknown as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attr<U> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(f(v)),
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    fn from(o: Option<T>) -> Attr<T> {
        match o {
            Some(v) => Attr::Known(v),
            None => Attr::Null,
        }
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Null => s.serialize_none(),
            Attr::Unknown => s.serialize_unit_struct(UNKNOWN_TOKEN),
            Attr::Known(v) => s.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Attr<T>, D::Error> {
        struct AttrVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for AttrVisitor<T> {
            type Value = Attr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute value")
            }
            fn visit_none<E>(self) -> Result<Attr<T>, E> {
                Ok(Attr::Null)
            }
            // Only the `Value` deserializer calls this, for unknowns.
            fn visit_unit<E>(self) -> Result<Attr<T>, E> {
                Ok(Attr::Unknown)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Attr<T>, D2::Error> {
                T::deserialize(d).map(Attr::Known)
            }
        }
        d.deserialize_option(AttrVisitor(PhantomData))
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(NUMBER_TOKEN, &self.to_string())
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        struct NumberVisitor;
        impl<'de> Visitor<'de> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number::from_i64(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number::from_u64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Number::from_f64(v).ok_or_else(|| E::custom("NaN is not a number"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<Number, D2::Error> {
                d.deserialize_any(self)
            }
            // serde_json with arbitrary_precision hands numbers over as a one-entry map.
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Number, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(de::Error::custom("expected a number"));
                };
                text.parse().map_err(de::Error::custom)
            }
        }
        d.deserialize_newtype_struct(NUMBER_TOKEN, NumberVisitor)
    }
}

/// A number handed to a visitor: as an integer when it is one, else as a float. Both model
/// decoders (from a value tree and straight from msgpack) hand numbers this way.
pub(crate) fn visit_number<'de, V: Visitor<'de>>(n: Number, v: V) -> Result<V::Value, ModelError> {
    if let Some(i) = n.as_i64() {
        v.visit_i64(i)
    } else if let Some(u) = n.as_u64() {
        v.visit_u64(u)
    } else {
        v.visit_f64(n.to_f64_lossy())
    }
}

/// A model does not fit its schema: always a provider bug.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("model conversion: {0}")]
pub struct ModelError(pub String);

impl ser::Error for ModelError {
    fn custom<T: fmt::Display>(msg: T) -> ModelError {
        ModelError(msg.to_string())
    }
}

impl de::Error for ModelError {
    fn custom<T: fmt::Display>(msg: T) -> ModelError {
        ModelError(msg.to_string())
    }
}

/// Convert a model to a value of type `ty`.
pub fn to_value<M: Serialize + ?Sized>(model: &M, ty: &Type) -> Result<Value, ModelError> {
    conform(to_raw_value(model)?, ty)
}

/// A model as an untyped value, before [`conform`] shapes it into its type: two models give equal
/// raw values only if they give equal typed values.
pub fn to_raw_value<M: Serialize + ?Sized>(model: &M) -> Result<Value, ModelError> {
    model.serialize(ValueSerializer)
}

/// Convert a value to a model. Values with partial unknowns inside collections should be collapsed
/// first (`Value::collapse_partial_unknowns`).
pub fn from_value<M: DeserializeOwned>(value: &Value) -> Result<M, ModelError> {
    from_owned_value(value.clone())
}

/// [`from_value`] for a value the caller no longer needs: its strings move into the model.
pub fn from_owned_value<M: DeserializeOwned>(value: Value) -> Result<M, ModelError> {
    M::deserialize(ValueDeserializer(value))
}

/// Shape an untyped value into `ty`: list ↔ set ↔ tuple, map ↔ object, missing object
/// attributes as null, dynamic values given their concrete type.
pub fn conform(value: Value, ty: &Type) -> Result<Value, ModelError> {
    let err = |v: &Value| ModelError(format!("{} does not fit {}", super::msgpack::value_kind(v), ty.friendly_name()));
    Ok(match (ty, value) {
        (_, Value::Null) => Value::Null,
        (_, Value::Unknown) => Value::Unknown,
        (Type::Dynamic, Value::Dynamic(t, v)) => Value::Dynamic(t, v),
        (Type::Dynamic, v) => {
            let t = infer_type(&v).ok_or_else(|| ModelError("cannot infer a dynamic value's type".into()))?;
            let v = conform(v, &t)?;
            Value::Dynamic(Box::new(t), Box::new(v))
        }
        (Type::Bool, v @ Value::Bool(_)) => v,
        (Type::Number, v @ Value::Number(_)) => v,
        (Type::Number, Value::String(s)) => Value::Number(s.parse().map_err(|e| ModelError(format!("{e}")))?),
        (Type::String, v @ Value::String(_)) => v,
        (Type::List(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            Value::List(items.into_iter().map(|v| conform(v, et)).collect::<Result<_, _>>()?)
        }
        (Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            Value::Set(items.into_iter().map(|v| conform(v, et)).collect::<Result<_, _>>()?)
        }
        (Type::Tuple(ets), Value::List(items) | Value::Tuple(items)) if items.len() == ets.len() => {
            Value::Tuple(items.into_iter().zip(ets).map(|(v, t)| conform(v, t)).collect::<Result<_, _>>()?)
        }
        // Maps and objects are shaped in place: their keys and nodes are kept.
        (Type::Map(et), Value::Map(mut m) | Value::Object(mut m)) => {
            for v in m.values_mut() {
                *v = conform(std::mem::replace(v, Value::Null), et)?;
            }
            Value::Map(m)
        }
        (Type::Object(attrs, _), Value::Map(mut m) | Value::Object(mut m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(ModelError(format!("field {extra:?} is not in the schema")));
            }
            for (name, at) in attrs {
                match m.get_mut(name) {
                    Some(v) => *v = conform(std::mem::replace(v, Value::Null), at)?,
                    None => {
                        m.insert(name.clone(), Value::Null);
                    }
                }
            }
            Value::Object(m)
        }
        (_, v) => return Err(err(&v)),
    })
}

/// Serializes any `Serialize` into an untyped `Value`.
struct ValueSerializer;

struct SeqBuilder(Vec<Value>);
struct MapBuilder {
    entries: BTreeMap<String, Value>,
    key: Option<String>,
}

impl Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ModelError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = ser::Impossible<Value, ModelError>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Value, ModelError>;

    fn serialize_bool(self, v: bool) -> Result<Value, ModelError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ModelError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ModelError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ModelError> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ModelError> {
        Ok(Value::Number(Number::from_i64(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ModelError> {
        self.serialize_u64(v as u64)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ModelError> {
        self.serialize_u64(v as u64)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ModelError> {
        self.serialize_u64(v as u64)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ModelError> {
        Ok(Value::Number(Number::from_u64(v)))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ModelError> {
        self.serialize_f64(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ModelError> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| ModelError("NaN is not a number".into()))
    }
    fn serialize_char(self, v: char) -> Result<Value, ModelError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ModelError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Value, ModelError> {
        Err(ModelError("bytes have no Terraform type".into()))
    }
    fn serialize_none(self) -> Result<Value, ModelError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, ModelError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ModelError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, ModelError> {
        Ok(if name == UNKNOWN_TOKEN { Value::Unknown } else { Value::Null })
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Value, ModelError> {
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> Result<Value, ModelError> {
        let inner = v.serialize(ValueSerializer)?;
        if name == NUMBER_TOKEN
            && let Value::String(text) = &inner
        {
            return text.parse().map(Value::Number).map_err(|e| ModelError(format!("{e}")));
        }
        Ok(inner)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: &T,
    ) -> Result<Value, ModelError> {
        Err(ModelError(format!("enum variant {variant} with data has no Terraform type")))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, ModelError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, ModelError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, ModelError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ModelError> {
        Err(ModelError(format!("enum variant {v} with data has no Terraform type")))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapBuilder, ModelError> {
        Ok(MapBuilder { entries: BTreeMap::new(), key: None })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapBuilder, ModelError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ModelError> {
        Err(ModelError(format!("enum variant {v} with data has no Terraform type")))
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ModelError> {
        self.0.push(v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ModelError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::Tuple(self.0))
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ModelError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::Tuple(self.0))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), ModelError> {
        match k.serialize(ValueSerializer)? {
            Value::String(s) => {
                self.key = Some(s);
                Ok(())
            }
            Value::Number(n) => {
                self.key = Some(n.to_string());
                Ok(())
            }
            _ => Err(ModelError("map keys must be strings".into())),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ModelError> {
        let key = self.key.take().ok_or_else(|| ModelError("map value without a key".into()))?;
        self.entries.insert(key, v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::Map(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = ModelError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), ModelError> {
        self.entries.insert(key.to_string(), v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ModelError> {
        Ok(Value::Object(self.entries))
    }
}

/// Deserializes a `Value` into any `Deserialize`.
struct ValueDeserializer(Value);

impl<'de> Deserializer<'de> for ValueDeserializer {
    type Error = ModelError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::Unknown => Err(ModelError("an unknown value needs an Attr<T> field".into())),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(items.into_iter().map(ValueDeserializer)))
            }
            Value::Map(m) | Value::Object(m) => visitor
                .visit_map(de::value::MapDeserializer::new(m.into_iter().map(|(k, v)| (k, ValueDeserializer(v))))),
            Value::Dynamic(_, inner) => ValueDeserializer(*inner).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::Unknown => visitor.visit_unit(),
            other => visitor.visit_some(ValueDeserializer(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ModelError> {
        match (name, self.0) {
            (NUMBER_TOKEN, Value::Number(n)) => visitor.visit_string(n.to_string()),
            (_, v) => visitor.visit_newtype_struct(ValueDeserializer(v)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ModelError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => {
                Err(ModelError(format!("expected a string for an enum, found {}", super::msgpack::value_kind(&other))))
            }
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, ModelError> for ValueDeserializer {
    type Deserializer = ValueDeserializer;
    fn into_deserializer(self) -> ValueDeserializer {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
    struct Model {
        id: Attr<String>,
        privileges: Attr<BTreeSet<String>>,
        enabled: Attr<bool>,
        lifetime: Attr<i64>,
        keepers: Attr<BTreeMap<String, String>>,
        exact: Attr<Number>,
    }

    fn ty() -> Type {
        Type::object([
            ("id", Type::String),
            ("privileges", Type::set(Type::String)),
            ("enabled", Type::Bool),
            ("lifetime", Type::Number),
            ("keepers", Type::map(Type::String)),
            ("exact", Type::Number),
            ("not_in_model", Type::String),
        ])
    }

    #[test]
    fn round_trips_through_value() {
        let m = Model {
            id: Attr::Unknown,
            privileges: Attr::Known(["b".to_string(), "a".to_string()].into()),
            enabled: Attr::Known(false),
            lifetime: Attr::Known(300),
            keepers: Attr::Null,
            exact: Attr::Known("18446744073709551617".parse().unwrap()),
        };
        let v = to_value(&m, &ty()).unwrap();
        assert!(v.attr("id").is_unknown());
        assert!(matches!(v.attr("privileges"), Value::Set(_)));
        assert_eq!(v.attr("not_in_model"), &Value::Null);
        assert_eq!(v.attr("exact"), &Value::Number("18446744073709551617".parse().unwrap()));
        let back: Model = from_value(&v).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn unknown_in_a_plain_field_is_an_error() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Plain {
            id: String,
        }
        let v = Value::object([("id", Value::Unknown)]);
        assert!(from_value::<Plain>(&v).is_err());
    }

    #[test]
    fn attr_with_json() {
        let m: Model =
            serde_json::from_str(r#"{"id":"x","privileges":null,"enabled":true,"lifetime":5,"keepers":{},"exact":1}"#)
                .unwrap();
        assert_eq!(m.id, Attr::Known("x".into()));
        assert_eq!(m.privileges, Attr::Null);
        assert_eq!(m.exact, Attr::Known(Number::from_i64(1)));
    }
}
