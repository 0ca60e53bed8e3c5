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

mod model;
pub(crate) use model::decode_model;

use super::path::{AttributePath, PathStep};
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
///
/// The bytes are read straight into the value, guided by `ty`: no intermediate msgpack tree,
/// and no attribute path built unless there is an error. The recursion follows the type, so a
/// value nests no deeper than its schema (or a dynamic value's own type) allows.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut rd = Reader(bytes);
    let v = read_value(&mut rd, ty).map_err(Located::finish)?;
    if !rd.0.is_empty() {
        return Err(CodecError::new(&AttributePath::root(), "trailing bytes after msgpack value"));
    }
    Ok(v)
}

/// Encode a value of type `ty` as msgpack.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value, ty).map_err(Located::finish)?;
    Ok(out)
}

/// An error on its way out of the recursion: the steps are collected innermost first, and only
/// when something failed (the JSON decoder uses it too).
pub(super) struct Located {
    steps: Vec<PathStep>,
    message: String,
}

impl Located {
    pub(super) fn new(message: impl Into<String>) -> Located {
        Located { steps: Vec::new(), message: message.into() }
    }

    pub(super) fn at(mut self, step: PathStep) -> Located {
        self.steps.push(step);
        self
    }

    pub(super) fn finish(mut self) -> CodecError {
        self.steps.reverse();
        CodecError { path: AttributePath(self.steps), message: self.message }
    }
}

type Res<T> = Result<T, Located>;

/// The unread rest of the input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        if self.0.len() < n {
            return Err(Located::new("invalid msgpack: unexpected end of input"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Res<u8> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Res<u64> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// A length read as `n` big-endian bytes; no length may exceed what is left of the input
    /// (each element takes at least one byte), so a hostile length allocates nothing.
    fn len(&mut self, n: usize) -> Res<usize> {
        let l = usize::try_from(self.be(n)?).unwrap_or(usize::MAX);
        if l > self.0.len() {
            return Err(Located::new("invalid msgpack: length past the end of input"));
        }
        Ok(l)
    }
}

/// One msgpack item's head: what it is, and its length or payload where it has one.
enum Head<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

fn head<'a>(rd: &mut Reader<'a>) -> Res<Head<'a>> {
    let m = rd.byte()?;
    Ok(match m {
        0x00..=0x7f => Head::Int(i128::from(m)),
        0x80..=0x8f => Head::Map(usize::from(m & 0x0f)),
        0x90..=0x9f => Head::Array(usize::from(m & 0x0f)),
        0xa0..=0xbf => Head::Str(rd.take(usize::from(m & 0x1f))?),
        0xc0 => Head::Nil,
        0xc2 => Head::Bool(false),
        0xc3 => Head::Bool(true),
        0xc4..=0xc6 => {
            let n = rd.len(1 << (m - 0xc4))?;
            Head::Bin(rd.take(n)?)
        }
        // ext 8/16/32: length, type byte, data. Any extension is an unknown.
        0xc7..=0xc9 => {
            let n = rd.len(1 << (m - 0xc7))?;
            rd.take(1 + n)?;
            Head::Ext
        }
        0xca => Head::Float(f64::from(f32::from_bits(rd.be(4)? as u32))),
        0xcb => Head::Float(f64::from_bits(rd.be(8)?)),
        0xcc..=0xcf => Head::Int(i128::from(rd.be(1 << (m - 0xcc))?)),
        0xd0 => Head::Int(i128::from(rd.be(1)? as u8 as i8)),
        0xd1 => Head::Int(i128::from(rd.be(2)? as u16 as i16)),
        0xd2 => Head::Int(i128::from(rd.be(4)? as u32 as i32)),
        0xd3 => Head::Int(i128::from(rd.be(8)? as i64)),
        // fixext 1/2/4/8/16: type byte and data.
        0xd4..=0xd8 => {
            rd.take(1 + (1 << (m - 0xd4)))?;
            Head::Ext
        }
        0xd9..=0xdb => {
            let n = rd.len(1 << (m - 0xd9))?;
            Head::Str(rd.take(n)?)
        }
        0xdc..=0xdd => Head::Array(rd.len(2 << (m - 0xdc))?),
        0xde..=0xdf => Head::Map(rd.len(2 << (m - 0xde))?),
        0xe0..=0xff => Head::Int(i128::from(m as i8)),
        0xc1 => return Err(Located::new("invalid msgpack: reserved marker 0xc1")),
    })
}

fn kind(h: &Head) -> &'static str {
    match h {
        Head::Nil => "null",
        Head::Bool(_) => "bool",
        Head::Int(_) | Head::Float(_) => "number",
        Head::Str(_) => "string",
        Head::Bin(_) => "binary",
        Head::Array(_) => "array",
        Head::Map(_) => "map",
        Head::Ext => "unknown",
    }
}

fn mismatch(ty: &Type, got: &Head) -> Located {
    Located::new(format!("{} required, found {}", ty.friendly_name(), kind(got)))
}

fn utf8<'a>(b: &'a [u8], what: &str) -> Res<&'a str> {
    std::str::from_utf8(b).map_err(|_| Located::new(format!("{what} is not valid UTF-8")))
}

fn read_value(rd: &mut Reader, ty: &Type) -> Res<Value> {
    let h = head(rd)?;
    match h {
        Head::Nil => return Ok(Value::Null),
        // Any extension is an unknown; refinements (ext 12) may be ignored.
        Head::Ext => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let Head::Array(2) = h else {
                return Err(Located::new("dynamic value must be a [type, value] pair"));
            };
            let type_bytes = match head(rd)? {
                Head::Bin(b) | Head::Str(b) => b,
                _ => return Err(Located::new("dynamic value type must be JSON bytes")),
            };
            let concrete = Type::from_json_bytes(type_bytes).map_err(|e| Located::new(e.to_string()))?;
            let v = read_value(rd, &concrete)?;
            Ok(Value::Dynamic(Box::new(concrete), Box::new(v)))
        }
        Type::Bool => match h {
            Head::Bool(b) => Ok(Value::Bool(b)),
            other => Err(mismatch(ty, &other)),
        },
        Type::Number => number(ty, h).map(Value::Number),
        Type::String => match h {
            Head::Str(b) => Ok(Value::String(utf8(b, "string")?.to_owned())),
            other => Err(mismatch(ty, &other)),
        },
        Type::List(et) | Type::Set(et) => {
            let Head::Array(n) = h else { return Err(mismatch(ty, &h)) };
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(read_value(rd, et).map_err(|e| e.at(PathStep::Index(i as i64)))?);
            }
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(out) } else { Value::List(out) })
        }
        Type::Tuple(ets) => {
            let Head::Array(n) = h else { return Err(mismatch(ty, &h)) };
            if n != ets.len() {
                return Err(Located::new(format!("tuple of {} elements required, {} given", ets.len(), n)));
            }
            let mut out = Vec::with_capacity(n);
            for (i, et) in ets.iter().enumerate() {
                out.push(read_value(rd, et).map_err(|e| e.at(PathStep::Index(i as i64)))?);
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(et) => {
            let Head::Map(n) = h else { return Err(mismatch(ty, &h)) };
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let key = map_key(rd)?;
                let v = read_value(rd, et).map_err(|e| e.at(PathStep::Key(key.clone())))?;
                out.insert(key, v);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs, _) => {
            let Head::Map(n) = h else { return Err(mismatch(ty, &h)) };
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let (name, at) = attribute(rd, attrs)?;
                let v = read_value(rd, at).map_err(|e| e.at(PathStep::Attribute(name.clone())))?;
                out.insert(name.clone(), v);
            }
            // Terraform always sends every attribute; tolerate omissions as nulls.
            if out.len() < attrs.len() {
                for name in attrs.keys() {
                    if !out.contains_key(name) {
                        out.insert(name.clone(), Value::Null);
                    }
                }
            }
            Ok(Value::Object(out))
        }
    }
}

/// The number a msgpack item of number type holds: any int, float or decimal text.
fn number(ty: &Type, h: Head) -> Res<Number> {
    match h {
        Head::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
            (Ok(v), _) => Ok(Number::from_i64(v)),
            (_, Ok(v)) => Ok(Number::from_u64(v)),
            _ => Err(Located::new("integer out of range")),
        },
        Head::Float(f) => Number::from_f64(f).ok_or_else(|| Located::new("NaN is not a number")),
        Head::Str(b) => {
            let text = std::str::from_utf8(b).map_err(|_| Located::new("number text is not UTF-8"))?;
            text.parse::<Number>().map_err(|e| Located::new(e.to_string()))
        }
        other => Err(mismatch(ty, &other)),
    }
}

/// The attribute of `attrs` the next map key names. Compared as bytes: a key equal to an
/// attribute's name is that name's valid UTF-8, so only a key that names nothing is decoded
/// (for the message).
fn attribute<'t>(rd: &mut Reader, attrs: &'t BTreeMap<String, Type>) -> Res<(&'t String, &'t Type)> {
    match head(rd)? {
        Head::Str(b) => {
            attrs.iter().find(|(name, _)| name.as_bytes() == b).ok_or_else(|| match std::str::from_utf8(b) {
                Ok(key) => Located::new(format!("unsupported attribute {key:?}")),
                Err(_) => Located::new("map key is not UTF-8"),
            })
        }
        _ => Err(Located::new("map key must be a string")),
    }
}

fn map_key(rd: &mut Reader) -> Res<String> {
    match head(rd)? {
        Head::Str(b) => std::str::from_utf8(b).map(str::to_owned).map_err(|_| Located::new("map key is not UTF-8")),
        _ => Err(Located::new("map key must be a string")),
    }
}

/// The extension Terraform writes for a plain unknown value: fixext1, type 0, data 0.
const UNKNOWN: [u8; 3] = [0xd4, 0, 0];

fn write_len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, m16: u8) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= usize::from(u16::MAX) {
        out.push(m16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m16 + 1);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// A length in the smallest of three widths, whose markers are `m8`, `m8 + 1` and `m8 + 2` (8, 16
/// and 32 bits), as strings and binaries carry theirs.
fn write_len_8_16_32(out: &mut Vec<u8>, n: usize, m8: u8) {
    if n <= 0xff {
        out.extend_from_slice(&[m8, n as u8]);
    } else if n <= 0xffff {
        out.push(m8 + 1);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m8 + 2);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.len() <= 31 {
        out.push(0xa0 | s.len() as u8);
    } else {
        write_len_8_16_32(out, s.len(), 0xd9);
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    write_len_8_16_32(out, b.len(), 0xc4);
    out.extend_from_slice(b);
}

fn write_array(out: &mut Vec<u8>, n: usize) {
    write_len(out, n, 0x90, 15, 0xdc);
}

fn write_map(out: &mut Vec<u8>, n: usize) {
    write_len(out, n, 0x80, 15, 0xde);
}

fn write_value(out: &mut Vec<u8>, value: &Value, ty: &Type) -> Res<()> {
    match value {
        Value::Null => {
            out.push(0xc0);
            return Ok(());
        }
        Value::Unknown => {
            out.extend_from_slice(&UNKNOWN);
            return Ok(());
        }
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
            write_array(out, 2);
            write_bin(out, &concrete.to_json_bytes());
            write_value(out, inner, concrete)
        }
        (Type::Dynamic, v) => {
            let concrete = infer_type(v).ok_or_else(|| Located::new("a dynamic value needs its concrete type"))?;
            write_array(out, 2);
            write_bin(out, &concrete.to_json_bytes());
            write_value(out, v, &concrete)
        }
        (Type::Bool, Value::Bool(b)) => {
            out.push(if *b { 0xc3 } else { 0xc2 });
            Ok(())
        }
        (Type::Number, Value::Number(n)) => {
            write_number(out, n);
            Ok(())
        }
        (Type::String, Value::String(s)) => {
            write_str(out, s);
            Ok(())
        }
        (Type::List(et), Value::List(items) | Value::Set(items) | Value::Tuple(items))
        | (Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            write_array(out, items.len());
            for (i, item) in items.iter().enumerate() {
                write_value(out, item, et).map_err(|e| e.at(PathStep::Index(i as i64)))?;
            }
            Ok(())
        }
        (Type::Tuple(ets), Value::Tuple(items) | Value::List(items)) => {
            if items.len() != ets.len() {
                return Err(Located::new("tuple length does not match its type"));
            }
            write_array(out, items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                write_value(out, item, et).map_err(|e| e.at(PathStep::Index(i as i64)))?;
            }
            Ok(())
        }
        (Type::Map(et), Value::Map(entries) | Value::Object(entries)) => {
            write_map(out, entries.len());
            for (k, v) in entries {
                write_str(out, k);
                write_value(out, v, et).map_err(|e| e.at(PathStep::Key(k.clone())))?;
            }
            Ok(())
        }
        (Type::Object(attrs, _), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(Located::new(format!("unsupported attribute {extra:?}")));
            }
            write_map(out, attrs.len());
            for (name, at) in attrs {
                write_str(out, name);
                match entries.get(name) {
                    Some(v) => write_value(out, v, at).map_err(|e| e.at(PathStep::Attribute(name.clone())))?,
                    None => out.push(0xc0),
                }
            }
            Ok(())
        }
        (ty, v) => Err(Located::new(format!("cannot encode {} as {}", value_kind(v), ty.friendly_name()))),
    }
}

/// Every finite number as its decimal text (see the module docs); infinities as float64.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    match n {
        Number::PosInfinity => {
            out.push(0xcb);
            out.extend_from_slice(&f64::INFINITY.to_bits().to_be_bytes());
        }
        Number::NegInfinity => {
            out.push(0xcb);
            out.extend_from_slice(&f64::NEG_INFINITY.to_bits().to_be_bytes());
        }
        Number::Finite(_) => write_str(out, &n.to_string()),
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

/// The msgpack encoding of the JSON value `json` of type `ty`, written as it is read: the same
/// bytes as `encode(&json::decode(json, ty)?, ty)`, without either value tree in between. This
/// is `UpgradeResourceState` at the current schema version, which a refresh calls for every
/// resource. Top-level attributes for which `nulled` holds are written as null (write-only
/// attributes, never stored), after their value was read as the type requires.
///
/// `None` for anything this path does not take: empty input, dynamic values, tuples, values the
/// JSON decoder would convert (a number for a string), keys out of order, malformed JSON. The
/// caller then takes the full path, which converts what it can and says what is wrong.
pub(crate) fn transcode_json(json: &[u8], ty: &Type, nulled: &dyn Fn(&str) -> bool) -> Option<Vec<u8>> {
    if json.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(json.len());
    let mut de = serde_json::Deserializer::from_slice(json);
    serde::de::DeserializeSeed::deserialize(Transcode { ty, out: &mut out, nulled: Some(nulled) }, &mut de).ok()?;
    de.end().ok()?;
    Some(out)
}

/// One JSON value of type `ty`, written to `out` as msgpack.
struct Transcode<'a> {
    ty: &'a Type,
    out: &'a mut Vec<u8>,
    /// Only for the top-level object: which of its attributes are written as null.
    nulled: Option<&'a dyn Fn(&str) -> bool>,
}

/// Why the fast path gave up; never shown (the full path reports).
fn not_taken<E: serde::de::Error>() -> E {
    E::custom("not transcoded")
}

impl<'de> serde::de::DeserializeSeed<'de> for Transcode<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Transcode<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}", self.ty.friendly_name())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.out.push(0xc0);
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_none()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        use serde::Deserialize;
        match self.ty {
            Type::Bool => {
                self.out.push(if bool::deserialize(d)? { 0xc3 } else { 0xc2 });
                Ok(())
            }
            Type::Number => {
                let n: Number =
                    serde_json::Number::deserialize(d)?.to_string().parse().map_err(|_| not_taken::<D::Error>())?;
                write_number(self.out, &n);
                Ok(())
            }
            Type::String => d.deserialize_str(StrOut(self.out)),
            Type::List(et) | Type::Set(et) => d.deserialize_seq(SeqOut { et, out: self.out }),
            Type::Map(et) => d.deserialize_map(EntriesOut { of: Entries::Map(et), out: self.out, nulled: None }),
            Type::Object(attrs, _) => {
                d.deserialize_map(EntriesOut { of: Entries::Object(attrs), out: self.out, nulled: self.nulled })
            }
            Type::Tuple(_) | Type::Dynamic => Err(not_taken()),
        }
    }
}

/// A JSON string, written as a msgpack string.
struct StrOut<'a>(&'a mut Vec<u8>);

impl<'de> serde::de::Visitor<'de> for StrOut<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        write_str(self.0, s);
        Ok(())
    }
}

/// A JSON array of `et`, written as a msgpack array (its length known only at its end).
struct SeqOut<'a> {
    et: &'a Type,
    out: &'a mut Vec<u8>,
}

impl<'de> serde::de::Visitor<'de> for SeqOut<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        let mut n = 0;
        while seq.next_element_seed(Transcode { ty: self.et, out: &mut items, nulled: None })?.is_some() {
            n += 1;
        }
        write_array(self.out, n);
        self.out.extend_from_slice(&items);
        Ok(())
    }
}

/// A JSON object, written as a msgpack map. Keys must come in ascending order, as Terraform
/// writes them and as the value's own map would hold them.
struct EntriesOut<'a> {
    of: Entries<'a>,
    out: &'a mut Vec<u8>,
    nulled: Option<&'a dyn Fn(&str) -> bool>,
}

/// What a JSON object holds.
enum Entries<'a> {
    /// An object type's attributes: every one is written, a missing one as null (as the full
    /// path does).
    Object(&'a BTreeMap<String, Type>),
    /// A map's entries, all of this type.
    Map(&'a Type),
}

/// A map key, borrowed from the input when it has no escapes.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(s))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(s.to_owned()))
    }
}

impl<'de> serde::de::Visitor<'de> for EntriesOut<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let attrs = match self.of {
            Entries::Object(attrs) => attrs,
            Entries::Map(et) => return write_map_entries(map, et, self.out),
        };
        write_map(self.out, attrs.len());
        let mut expected = attrs.iter().peekable();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            loop {
                match expected.peek() {
                    // An attribute the stored state lacks (an older schema's) is null.
                    Some((name, _)) if name.as_str() < key.as_ref() => {
                        write_str(self.out, name);
                        self.out.push(0xc0);
                        expected.next();
                    }
                    Some((name, at)) if name.as_str() == key.as_ref() => {
                        write_str(self.out, name);
                        if self.nulled.is_some_and(|nulled| nulled(name)) {
                            map.next_value_seed(Transcode { ty: at, out: &mut Vec::new(), nulled: None })?;
                            self.out.push(0xc0);
                        } else {
                            map.next_value_seed(Transcode { ty: at, out: self.out, nulled: None })?;
                        }
                        expected.next();
                        break;
                    }
                    // Not an attribute, or out of order, or twice.
                    _ => return Err(not_taken()),
                }
            }
        }
        for (name, _) in expected {
            write_str(self.out, name);
            self.out.push(0xc0);
        }
        Ok(())
    }
}

/// A JSON object's entries as a map of `et` (its length known only at its end).
fn write_map_entries<'de, A: serde::de::MapAccess<'de>>(
    mut map: A,
    et: &Type,
    out: &mut Vec<u8>,
) -> Result<(), A::Error> {
    let mut entries = Vec::new();
    let mut n = 0;
    let mut last: Option<std::borrow::Cow<'de, str>> = None;
    while let Some(key) = map.next_key_seed(KeySeed)? {
        if last.as_ref().is_some_and(|l| *l >= key) {
            return Err(not_taken());
        }
        write_str(&mut entries, &key);
        map.next_value_seed(Transcode { ty: et, out: &mut entries, nulled: None })?;
        last = Some(key);
        n += 1;
    }
    write_map(out, n);
    out.extend_from_slice(&entries);
    Ok(())
}

#[cfg(test)]
mod tests {
    use rmpv::Value as Mp;

    use super::*;

    fn obj_ty() -> Type {
        Type::object([("id", Type::String), ("n", Type::Number), ("tags", Type::set(Type::String))])
    }

    /// The transcoder writes exactly what the value tree would, and declines what it does not take.
    #[test]
    fn json_state_is_transcoded_to_the_bytes_the_value_tree_encodes() {
        let nested = Type::object([("a", Type::Bool), ("m", Type::map(Type::Number))]);
        let ty = Type::object([
            ("id", Type::String),
            ("n", Type::Number),
            ("tags", Type::set(Type::String)),
            ("l", Type::list(nested.clone())),
            ("o", nested),
            ("secret", Type::String),
        ]);
        let none = |_: &str| false;
        let full = |json: &str| {
            let v = crate::framework::json::decode(json.as_bytes(), &ty).unwrap();
            encode(&v, &ty).unwrap()
        };
        for json in [
            r#"{"id":"7","l":[{"a":true,"m":{"x":1,"y":2.50}}],"n":1800,"o":null,"secret":null,"tags":["b","a"]}"#,
            r#"{"id":"é \"q\" \u00e9","l":[],"n":1e3,"o":{"a":false,"m":{}},"secret":"s","tags":[]}"#,
            r#"{"id":null,"l":null,"n":-0.1,"o":{"a":null,"m":null},"secret":null,"tags":null}"#,
            r#"{"n":123456789012345678901234567890}"#,
            r#"  {"id":"1"}  "#,
            r#"{}"#,
            "null",
        ] {
            assert_eq!(transcode_json(json.as_bytes(), &ty, &none), Some(full(json)), "{json}");
        }
        // Write-only attributes are null, once their value was read as the type says.
        let secret = |name: &str| name == "secret";
        let json = r#"{"id":"1","secret":"hunter2"}"#;
        let mut v = crate::framework::json::decode(json.as_bytes(), &ty).unwrap();
        v.as_entries_mut().unwrap().insert("secret".into(), Value::Null);
        assert_eq!(transcode_json(json.as_bytes(), &ty, &secret), Some(encode(&v, &ty).unwrap()));
        assert_eq!(transcode_json(br#"{"secret":5}"#, &ty, &secret), None);
        // Declined: conversions, unknown or repeated or unordered keys, bad JSON, dynamic values.
        for json in [
            r#"{"id":5}"#,
            r#"{"n":"5"}"#,
            r#"{"other":1}"#,
            r#"{"n":1,"id":"1"}"#,
            r#"{"id":"1","id":"2"}"#,
            r#"{"o":{"a":true,"m":{"y":1,"x":2}}}"#,
            r#"{"id":"1"} x"#,
            r#"{"id":"1""#,
            "",
        ] {
            assert_eq!(transcode_json(json.as_bytes(), &ty, &none), None, "{json}");
        }
        assert_eq!(transcode_json(br#"{"value":1,"type":"number"}"#, &Type::Dynamic, &none), None);
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
        for text in ["42", "0.5", "0.1"] {
            let bytes = encode(&Value::Number(text.parse().unwrap()), &Type::Number).unwrap();
            let mp = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
            assert_eq!(mp, Mp::String(text.into()), "{text}");
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
        assert_eq!(decode(&bytes, &obj_ty()).unwrap_err().to_string(), r#"unsupported attribute "nope""#);
        // Keys are matched as bytes: a prefix or an extension of a name is no name, and a key
        // that is not UTF-8 is said to be so.
        for key in ["i", "idx", "ID"] {
            let bytes = rmpv_bytes(&Mp::Map(vec![(Mp::from(key), Mp::Nil)]));
            assert_eq!(decode(&bytes, &obj_ty()).unwrap_err().to_string(), format!("unsupported attribute {key:?}"));
        }
        // {"\xff\xfe": nil}: a fixmap of one, a fixstr of two bytes, nil.
        assert_eq!(decode(&[0x81, 0xa2, 0xff, 0xfe, 0xc0], &obj_ty()).unwrap_err().to_string(), "map key is not UTF-8");
        let bytes = rmpv_bytes(&Mp::Map(vec![(Mp::from(1), Mp::Nil)]));
        assert_eq!(decode(&bytes, &obj_ty()).unwrap_err().to_string(), "map key must be a string");
    }

    fn rmpv_bytes(mp: &Mp) -> Vec<u8> {
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, mp).unwrap();
        bytes
    }

    #[test]
    fn every_width_of_every_msgpack_form_decodes() {
        let long = "x".repeat(70_000);
        let cases: Vec<(Mp, Type, Value)> = vec![
            (Mp::from(7), Type::Number, Value::Number(Number::from_i64(7))),
            (Mp::from(-3), Type::Number, Value::Number(Number::from_i64(-3))),
            (Mp::from(200u8), Type::Number, Value::Number(Number::from_i64(200))),
            (Mp::from(-200i16), Type::Number, Value::Number(Number::from_i64(-200))),
            (Mp::from(70_000u32), Type::Number, Value::Number(Number::from_i64(70_000))),
            (Mp::from(-70_000i32), Type::Number, Value::Number(Number::from_i64(-70_000))),
            (Mp::from(u64::MAX), Type::Number, Value::Number(Number::from_u64(u64::MAX))),
            (Mp::from(i64::MIN), Type::Number, Value::Number(Number::from_i64(i64::MIN))),
            (Mp::F32(0.5), Type::Number, Value::Number(Number::from_f64(0.5).unwrap())),
            (Mp::F64(-2.25), Type::Number, Value::Number(Number::from_f64(-2.25).unwrap())),
            (Mp::from("a".repeat(40)), Type::String, Value::String("a".repeat(40))),
            (Mp::from("b".repeat(300)), Type::String, Value::String("b".repeat(300))),
            (Mp::from(long.as_str()), Type::String, Value::String(long.clone())),
            (Mp::Boolean(true), Type::Bool, Value::Bool(true)),
            (Mp::Ext(12, vec![0x81, 0x01, 0xc2]), Type::String, Value::Unknown),
            (Mp::Ext(0, vec![0; 300]), Type::Bool, Value::Unknown),
            (
                Mp::Array((0..20).map(Mp::from).collect()),
                Type::list(Type::Number),
                Value::List((0..20).map(|i| Value::Number(Number::from_i64(i))).collect()),
            ),
            (
                Mp::Map((0..20).map(|i| (Mp::from(format!("k{i:02}")), Mp::from("v"))).collect()),
                Type::map(Type::String),
                Value::Map((0..20).map(|i| (format!("k{i:02}"), Value::from("v"))).collect()),
            ),
        ];
        for (mp, ty, want) in cases {
            let bytes = rmpv_bytes(&mp);
            assert_eq!(decode(&bytes, &ty).unwrap(), want, "{mp:?}");
        }
    }

    #[test]
    fn encoding_is_byte_for_byte_what_a_msgpack_writer_writes() {
        let ty = Type::object([
            ("s", Type::String),
            ("long", Type::String),
            ("n", Type::Number),
            ("inf", Type::Number),
            ("b", Type::Bool),
            ("l", Type::list(Type::String)),
            ("m", Type::map(Type::Bool)),
            ("u", Type::String),
        ]);
        let many: Vec<Value> = (0..20).map(|i| Value::String(format!("item {i}"))).collect();
        let v = Value::object([
            ("s", Value::from("short")),
            ("long", Value::String("y".repeat(300))),
            ("n", Value::Number("0.1".parse().unwrap())),
            ("inf", Value::Number(Number::PosInfinity)),
            ("b", Value::Bool(false)),
            ("l", Value::List(many.clone())),
            ("m", Value::Map([("k".to_string(), Value::Bool(true))].into())),
            ("u", Value::Unknown),
        ]);
        let want = Mp::Map(vec![
            (Mp::from("b"), Mp::Boolean(false)),
            (Mp::from("inf"), Mp::F64(f64::INFINITY)),
            (Mp::from("l"), Mp::Array((0..20).map(|i| Mp::from(format!("item {i}"))).collect())),
            (Mp::from("long"), Mp::from("y".repeat(300))),
            (Mp::from("m"), Mp::Map(vec![(Mp::from("k"), Mp::Boolean(true))])),
            (Mp::from("n"), Mp::from("0.1")),
            (Mp::from("s"), Mp::from("short")),
            (Mp::from("u"), Mp::Ext(0, vec![0])),
        ]);
        assert_eq!(encode(&v, &ty).unwrap(), rmpv_bytes(&want));
    }

    #[test]
    fn truncated_or_hostile_input_is_an_error_not_a_panic_or_an_allocation() {
        // An array claiming 2^32-1 elements in 5 bytes, a string past the end, a reserved marker.
        for bytes in [&[0xdd, 0xff, 0xff, 0xff, 0xff][..], &[0xd9, 0x10, b'a'], &[0xc1], &[0x92, 0xc0]] {
            assert!(decode(bytes, &Type::list(Type::String)).is_err(), "{bytes:?}");
        }
        let err =
            decode(&rmpv_bytes(&Mp::Array(vec![Mp::from("a"), Mp::from(1)])), &Type::list(Type::String)).unwrap_err();
        assert_eq!(err.to_string(), "[1]: string required, found number");
    }

    #[test]
    fn empty_bytes_are_null() {
        assert_eq!(decode(&[], &obj_ty()).unwrap(), Value::Null);
    }
}
