//! Terraform's plan rules, implemented once for every resource.
//!
//! - Non-computed attributes: the configuration wins (Terraform's proposed new state already holds
//!   the config values; we never replace them).
//! - Defaults fill Optional + Computed attributes left null in the configuration.
//! - On create, or when the plan differs from the prior state, computed attributes left null in
//!   the configuration become Unknown ("known after apply"), unless a plan modifier such as
//!   UseStateForUnknown keeps the prior value.
//! - Plan modifiers may mark attributes as requiring replacement.
//! - Write-only attributes are always null in plans and states.

use std::collections::BTreeMap;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::{Attribute, AttributeType, Block, Nesting, PlanModifierRequest, PlanModifierResponse};
use super::value::Value;

/// The framework's part of a plan, before the resource's own hook.
pub struct PlanOutcome {
    /// The planned value of the whole resource.
    pub planned: Value,
    /// Attributes whose planned change replaces the resource.
    pub requires_replace: Vec<AttributePath>,
    /// What the plan modifiers reported.
    pub diags: Diagnostics,
}

/// Plan a create or update of one resource instance (not a destroy: `proposed` is non-null).
pub fn plan_change(block: &Block, prior: &Value, proposed: Value, config: &Value) -> PlanOutcome {
    let mut planned = proposed;
    apply_defaults(block, &mut planned, config);
    // Terraform proposes the configured value of a write-only attribute; it never belongs in a
    // plan, and must not make an unchanged resource look changed.
    null_write_only(block, &mut planned);

    let exists = !prior.is_null();
    let changed = !exists || planned != *prior;
    if changed {
        mark_computed_unknown(block, &mut planned, config);
    }
    let mut out = PlanOutcome { planned, requires_replace: Vec::new(), diags: Diagnostics::new() };
    let mut path = AttributePath::root();
    run_modifiers(block, &mut path, prior, config, exists, &mut out);
    out
}

/// Set attribute `name` of an object's entries in place (an object Terraform sent always has it),
/// allocating a key only when it is missing.
fn set(entries: &mut BTreeMap<String, Value>, name: &str, value: Value) {
    match entries.get_mut(name) {
        Some(slot) => *slot = value,
        None => {
            entries.insert(name.to_string(), value);
        }
    }
}

fn apply_defaults(block: &Block, planned: &mut Value, config: &Value) {
    let Some(entries) = planned.as_entries_mut() else { return };
    // The configuration is looked up only for an attribute that has a default or nests: most have
    // neither.
    for attr in &block.attributes {
        if let Some(default) = &attr.default
            && config.attr(&attr.name).is_null()
        {
            set(entries, &attr.name, default.clone());
            continue;
        }
        if let (AttributeType::Nested { nesting, attributes }, Some(v)) = (&attr.ty, entries.get_mut(&attr.name)) {
            let nested = Block { attributes: attributes.clone(), ..Block::default() };
            for_each_nested(*nesting, v, config.attr(&attr.name), |pv, cv| apply_defaults(&nested, pv, cv));
        }
    }
    for nb in &block.blocks {
        if let Some(v) = entries.get_mut(&nb.type_name) {
            for_each_nested(nb.nesting, v, config.attr(&nb.type_name), |pv, cv| apply_defaults(&nb.block, pv, cv));
        }
    }
}

fn mark_computed_unknown(block: &Block, planned: &mut Value, config: &Value) {
    let Some(entries) = planned.as_entries_mut() else { return };
    // As in `apply_defaults`: the configuration is looked up only where it can matter.
    for attr in &block.attributes {
        if attr.computed && attr.default.is_none() && config.attr(&attr.name).is_null() {
            set(entries, &attr.name, Value::Unknown);
            continue;
        }
        if let (AttributeType::Nested { nesting, attributes }, Some(v)) = (&attr.ty, entries.get_mut(&attr.name)) {
            let nested = Block { attributes: attributes.clone(), ..Block::default() };
            for_each_nested(*nesting, v, config.attr(&attr.name), |pv, cv| mark_computed_unknown(&nested, pv, cv));
        }
    }
    for nb in &block.blocks {
        if let Some(v) = entries.get_mut(&nb.type_name) {
            for_each_nested(nb.nesting, v, config.attr(&nb.type_name), |pv, cv| {
                mark_computed_unknown(&nb.block, pv, cv)
            });
        }
    }
}

/// Call `f` on each nested object of `v` with its configuration counterpart (matched by index or
/// key; set elements have no stable identity, so they are matched by position too).
fn for_each_nested(nesting: Nesting, v: &mut Value, cfg: &Value, mut f: impl FnMut(&mut Value, &Value)) {
    static NULL: Value = Value::Null;
    match (nesting, v) {
        (Nesting::Single | Nesting::Group, obj @ Value::Object(_)) => f(obj, cfg),
        (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
            let cfg_items = cfg.as_elements().unwrap_or(&[]);
            for (i, item) in items.iter_mut().enumerate() {
                f(item, cfg_items.get(i).unwrap_or(&NULL));
            }
        }
        (Nesting::Map, Value::Map(m)) => {
            for (k, item) in m.iter_mut() {
                let c = cfg.as_entries().and_then(|e| e.get(k)).unwrap_or(&NULL);
                f(item, c);
            }
        }
        _ => {}
    }
}

fn run_modifiers(
    block: &Block,
    path: &mut AttributePath,
    prior: &Value,
    config: &Value,
    exists: bool,
    out: &mut PlanOutcome,
) {
    for attr in block.attributes.iter().filter(|a| !a.plan_modifiers.is_empty()) {
        path.push_attr(&attr.name);
        run_attribute_modifiers(attr, path, prior, config, exists, out);
        path.pop();
    }
}

fn run_attribute_modifiers(
    attr: &Attribute,
    path: &mut AttributePath,
    prior: &Value,
    config: &Value,
    exists: bool,
    out: &mut PlanOutcome,
) {
    let planned_now = value_at(&out.planned, path);
    let req = PlanModifierRequest {
        path,
        config: value_at(config, path),
        state: value_at(prior, path),
        plan: planned_now,
        resource_exists: exists,
    };
    let mut resp =
        PlanModifierResponse { plan: planned_now.clone(), requires_replace: false, diags: Diagnostics::new() };
    for m in &attr.plan_modifiers {
        m.modify(&req, &mut resp);
    }
    let changed = resp.plan != *planned_now;
    if resp.requires_replace {
        out.requires_replace.push(path.clone());
    }
    out.diags.extend(resp.diags);
    if changed {
        set_value_at(&mut out.planned, path, resp.plan);
    }
}

fn value_at<'a>(v: &'a Value, path: &AttributePath) -> &'a Value {
    static NULL: Value = Value::Null;
    let mut cur = v;
    for step in path.steps() {
        cur = match step {
            super::path::PathStep::Attribute(a) | super::path::PathStep::Key(a) => {
                cur.as_entries().and_then(|e| e.get(a)).unwrap_or(&NULL)
            }
            super::path::PathStep::Index(i) => cur.as_elements().and_then(|e| e.get(*i as usize)).unwrap_or(&NULL),
        };
    }
    cur
}

fn set_value_at(v: &mut Value, path: &AttributePath, new: Value) {
    let mut cur = v;
    for step in path.steps() {
        cur = match step {
            super::path::PathStep::Attribute(a) | super::path::PathStep::Key(a) => {
                match cur.as_entries_mut().and_then(|e| e.get_mut(a)) {
                    Some(next) => next,
                    None => return,
                }
            }
            super::path::PathStep::Index(i) => match cur {
                Value::List(items) | Value::Set(items) | Value::Tuple(items) => match items.get_mut(*i as usize) {
                    Some(next) => next,
                    None => return,
                },
                _ => return,
            },
        };
    }
    *cur = new;
}

/// Null every write-only attribute, recursively: Terraform rejects any other value in plans
/// and states.
pub fn null_write_only(block: &Block, value: &mut Value) {
    let Some(entries) = value.as_entries_mut() else { return };
    for attr in &block.attributes {
        if attr.write_only {
            set(entries, &attr.name, Value::Null);
        } else if let AttributeType::Nested { nesting, attributes } = &attr.ty
            && let Some(v) = entries.get_mut(&attr.name)
        {
            let nested = Block { attributes: attributes.clone(), ..Block::default() };
            for_each_nested(*nesting, v, &Value::Null, |pv, _| null_write_only(&nested, pv));
        }
    }
    for nb in &block.blocks {
        if let Some(v) = entries.get_mut(&nb.type_name) {
            for_each_nested(nb.nesting, v, &Value::Null, |pv, _| null_write_only(&nb.block, pv));
        }
    }
}

/// Any write-only attribute set (non-null) in `config`: used when the client cannot handle them.
pub fn write_only_paths_set(block: &Block, config: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    for attr in &block.attributes {
        if attr.write_only && !config.attr(&attr.name).is_null() {
            out.push(AttributePath::attr(attr.name.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::planmod::{RequiresReplace, UseStateForUnknown};
    use super::super::schema::Schema;
    use super::*;

    fn schema() -> Schema {
        Schema::new("t")
            .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown))
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("zone").required().plan_modifier(RequiresReplace))
            .attribute(Attribute::bool("enabled").optional().default(true))
            .attribute(Attribute::number("lifetime").optional().computed())
            .attribute(Attribute::string("kind").computed())
            .attribute(Attribute::string("password_wo").optional().write_only())
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut all: std::collections::BTreeMap<String, Value> =
            ["id", "name", "zone", "enabled", "lifetime", "kind", "password_wo"]
                .iter()
                .map(|k| (k.to_string(), Value::Null))
                .collect();
        for (k, v) in pairs {
            all.insert(k.to_string(), v.clone());
        }
        Value::Object(all)
    }

    /// The state of an existing instance of `schema()`: every attribute but the write-only one set.
    fn stored() -> Value {
        obj(&[
            ("id", "1".into()),
            ("name", "a".into()),
            ("zone", "z".into()),
            ("enabled", true.into()),
            ("lifetime", 300.into()),
            ("kind", "K".into()),
        ])
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let s = schema();
        let config = obj(&[("name", "a".into()), ("zone", "z".into()), ("password_wo", "secret".into())]);
        let out = plan_change(&s.block, &Value::Null, config.clone(), &config);
        let p = &out.planned;
        assert!(p.attr("id").is_unknown());
        assert!(p.attr("kind").is_unknown());
        assert!(p.attr("lifetime").is_unknown());
        assert_eq!(p.attr("enabled"), &Value::Bool(true));
        assert_eq!(p.attr("password_wo"), &Value::Null);
        assert!(out.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_update_is_a_no_op() {
        let s = schema();
        let prior = stored();
        let config = obj(&[("name", "a".into()), ("zone", "z".into())]);
        // Terraform's proposed new state keeps prior values of computed attributes.
        let proposed = stored();
        let out = plan_change(&s.block, &prior, proposed.clone(), &config);
        assert_eq!(out.planned, prior);

        // A configured write-only value (which Terraform proposes as-is) is not a change.
        let mut config_wo = config.clone();
        config_wo.as_entries_mut().unwrap().insert("password_wo".into(), "pw".into());
        let mut proposed_wo = proposed.clone();
        proposed_wo.as_entries_mut().unwrap().insert("password_wo".into(), "pw".into());
        let out = plan_change(&s.block, &prior, proposed_wo, &config_wo);
        assert_eq!(out.planned, prior);
    }

    #[test]
    fn changed_update_keeps_stable_ids_and_flags_replacement() {
        let s = schema();
        let prior = stored();
        let config = obj(&[("name", "b".into()), ("zone", "y".into())]);
        let proposed = obj(&[
            ("id", "1".into()),
            ("name", "b".into()),
            ("zone", "y".into()),
            ("enabled", Value::Null),
            ("lifetime", 300.into()),
            ("kind", "K".into()),
        ]);
        let out = plan_change(&s.block, &prior, proposed, &config);
        assert_eq!(out.planned.attr("id"), &Value::from("1"), "UseStateForUnknown keeps the id");
        assert!(out.planned.attr("kind").is_unknown());
        assert_eq!(out.planned.attr("enabled"), &Value::Bool(true));
        assert_eq!(out.requires_replace, vec![AttributePath::attr("zone")]);
    }
}
