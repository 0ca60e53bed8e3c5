//! Property tests: every cty type round-trips through msgpack (with nulls and unknowns at any
//! depth, exact numbers, dynamic values) and, when wholly known, through JSON.

use std::collections::{BTreeMap, BTreeSet};

use mdmkit::framework::{Number, Type, Value, json, msgpack};
use proptest::prelude::*;

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String), Just(Type::Dynamic)];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4).prop_map(|m| Type::Object(m, BTreeSet::new())),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        any::<f64>().prop_filter_map("NaN", Number::from_f64),
        Just("18446744073709551617".parse().unwrap()),
        Just("0.1".parse().unwrap()),
        Just("-123456789012345678901234567890.000000000000000000001".parse().unwrap()),
        (any::<i64>(), 0u32..40).prop_map(|(m, s)| format!("{m}e-{s}").parse().unwrap()),
        Just(Number::PosInfinity),
        Just(Number::NegInfinity),
    ]
}

/// A known, non-null value of a primitive type.
fn arb_primitive() -> impl Strategy<Value = (Type, Value)> {
    prop_oneof![
        any::<bool>().prop_map(|b| (Type::Bool, Value::Bool(b))),
        arb_number().prop_map(|n| (Type::Number, Value::Number(n))),
        ".{0,12}".prop_map(|s| (Type::String, Value::String(s))),
    ]
}

/// A value of `ty`, possibly null or unknown at any depth (unless `known`).
fn arb_value(ty: Type, known: bool) -> BoxedStrategy<Value> {
    let body = arb_known(ty, known);
    if known {
        prop_oneof![1 => Just(Value::Null), 8 => body].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 8 => body].boxed()
    }
}

fn arb_known(ty: Type, known: bool) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => ".{0,16}".prop_map(Value::String).boxed(),
        Type::Dynamic => arb_primitive()
            .prop_flat_map(move |(t, v)| {
                let t2 = t.clone();
                prop_oneof![Just(v), arb_value(t.clone(), known)]
                    .prop_map(move |inner| Value::Dynamic(Box::new(t2.clone()), Box::new(inner)))
            })
            .boxed(),
        Type::List(et) => prop::collection::vec(arb_value(*et, known), 0..4).prop_map(Value::List).boxed(),
        Type::Set(et) => prop::collection::vec(arb_value(*et, known), 0..4).prop_map(Value::Set).boxed(),
        Type::Map(et) => {
            prop::collection::btree_map(".{0,6}", arb_value(*et, known), 0..4).prop_map(Value::Map).boxed()
        }
        Type::Tuple(ets) => {
            let parts: Vec<BoxedStrategy<Value>> = ets.into_iter().map(|t| arb_value(t, known)).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
        Type::Object(attrs, _) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            let parts: Vec<BoxedStrategy<Value>> = attrs.into_values().map(|t| arb_value(t, known)).collect();
            parts
                .prop_map(move |vals| Value::Object(names.iter().cloned().zip(vals).collect::<BTreeMap<_, _>>()))
                .boxed()
        }
    }
}

fn typed_value(known: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(t, known)))
}

fn has_infinity(v: &Value) -> bool {
    match v {
        Value::Number(Number::PosInfinity | Number::NegInfinity) => true,
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => x.iter().any(has_infinity),
        Value::Map(m) | Value::Object(m) => m.values().any(has_infinity),
        Value::Dynamic(_, v) => has_infinity(v),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trips((ty, v) in typed_value(false)) {
        let bytes = msgpack::encode(&v, &ty).unwrap();
        let back = msgpack::decode(&bytes, &ty).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_round_trips_known_values((ty, v) in typed_value(true)) {
        // JSON has no infinities; cty refuses them there too.
        prop_assume!(!has_infinity(&v));
        let bytes = json::encode(&v, &ty).unwrap();
        let back = json::decode(&bytes, &ty).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn decoding_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
        let _ = msgpack::decode(&bytes, &ty);
        let _ = json::decode(&bytes, &ty);
    }
}

#[test]
fn numbers_keep_their_exact_value_on_the_wire() {
    for text in ["18446744073709551617", "0.1", "-0.000000000000000000001", "1e40", "9007199254740993"] {
        let n: Number = text.parse().unwrap();
        let bytes = msgpack::encode(&Value::Number(n.clone()), &Type::Number).unwrap();
        assert_eq!(msgpack::decode(&bytes, &Type::Number).unwrap(), Value::Number(n.clone()), "{text}");
        let bytes = json::encode(&Value::Number(n.clone()), &Type::Number).unwrap();
        assert_eq!(json::decode(&bytes, &Type::Number).unwrap(), Value::Number(n), "{text}");
    }
}
