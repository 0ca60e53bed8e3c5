//! Registry-format documentation generated from the schemas and `examples/` (what
//! tfplugindocs does for Go providers): `docs/<provider>/index.md`, `docs/<provider>/resources/*.md`
//! and `docs/<provider>/data-sources/*.md`. Hand-written prose lives in `templates/`:
//! `templates/<provider>/index.md` (with `{{example}}` and `{{schema}}` placeholders) and optional
//! `templates/<provider>/{resources,data-sources}/<name>.md` sections appended to a page.
//! `cargo xtask docs` writes the files; a test fails when they are stale.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::framework::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting};
use crate::framework::{Provider, ProviderServer, Schema};

/// The schemas of one provider, by kind.
pub struct ProviderDocs {
    pub name: &'static str,
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

impl ProviderDocs {
    pub fn of<P: Provider>(p: P) -> ProviderDocs {
        let name = p.type_name();
        let server = ProviderServer::new(p);
        ProviderDocs {
            name,
            provider: server.provider_schema().clone(),
            resources: server.resource_schemas().into_iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            data_sources: server.data_source_schemas().into_iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }
}

/// Both providers of this repository.
pub fn all_providers() -> Vec<ProviderDocs> {
    vec![ProviderDocs::of(crate::jamf::JamfProvider), ProviderDocs::of(crate::maas360::Maas360Provider)]
}

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

fn type_label(a: &Attribute) -> String {
    match &a.ty {
        AttributeType::Plain(t) => {
            use crate::framework::Type::*;
            match t {
                Bool => "Boolean".into(),
                Number => "Number".into(),
                String => "String".into(),
                Dynamic => "Dynamic".into(),
                List(e) => format!("List of {}", plain_name(e)),
                Set(e) => format!("Set of {}", plain_name(e)),
                Map(e) => format!("Map of {}", plain_name(e)),
                Tuple(_) => "Tuple".into(),
                Object(_, _) => "Object".into(),
            }
        }
        AttributeType::Nested { nesting, .. } => match nesting {
            Nesting::Single | Nesting::Group => "Attributes".into(),
            Nesting::List => "Attributes List".into(),
            Nesting::Set => "Attributes Set".into(),
            Nesting::Map => "Attributes Map".into(),
        },
    }
}

fn plain_name(t: &crate::framework::Type) -> &'static str {
    use crate::framework::Type::*;
    match t {
        Bool => "Boolean",
        Number => "Number",
        String => "String",
        _ => "Object",
    }
}

fn attribute_line(a: &Attribute, anchor_prefix: &str) -> String {
    let mut flags = vec![type_label(a)];
    if a.sensitive {
        flags.push("Sensitive".into());
    }
    if a.write_only {
        flags.push("Write-only".into());
    }
    if a.deprecation.is_some() {
        flags.push("Deprecated".into());
    }
    let mut line = format!("- `{}` ({})", a.name, flags.join(", "));
    let mut desc = a.description.trim().replace('\n', " ");
    if let Some(d) = &a.default {
        let shown = match d {
            crate::framework::Value::String(s) => format!("`{s:?}`"),
            crate::framework::Value::Bool(b) => format!("`{b}`"),
            crate::framework::Value::Number(n) => format!("`{n}`"),
            other => format!("`{other:?}`"),
        };
        if !desc.contains("Default") {
            desc.push_str(&format!(" Defaults to {shown}."));
        }
    }
    for m in &a.plan_modifiers {
        let text = m.description();
        if text.contains("destroy and recreate") {
            desc.push_str(&format!(" {text}"));
        }
    }
    if !desc.is_empty() {
        line.push(' ');
        line.push_str(&desc);
    }
    if let Some(dep) = &a.deprecation {
        line.push_str(&format!(" **Deprecated:** {dep}"));
    }
    if matches!(a.ty, AttributeType::Nested { .. }) {
        line.push_str(&format!(" (see [below for nested schema](#nestedatt--{anchor_prefix}{}))", a.name));
    }
    line
}

/// The `## Schema` section: Required / Optional / Read-Only, then nested schemas.
pub fn schema_markdown(block: &Block) -> String {
    let mut out = String::from("## Schema\n");
    let mut nested: Vec<(String, Vec<Attribute>)> = Vec::new();
    write_block(&mut out, block, "", &mut nested);
    for nb in &block.blocks {
        write_nested_block(&mut out, nb);
    }
    while let Some((path, attrs)) = (!nested.is_empty()).then(|| nested.remove(0)) {
        let _ =
            write!(out, "\n<a id=\"nestedatt--{path}\"></a>\n### Nested Schema for `{}`\n", path.replace("--", "."));
        let b = Block { attributes: attrs, ..Block::default() };
        write_block(&mut out, &b, &format!("{path}--"), &mut nested);
    }
    out
}

fn write_block(out: &mut String, block: &Block, prefix: &str, nested: &mut Vec<(String, Vec<Attribute>)>) {
    type Pick = fn(&Attribute) -> bool;
    let groups: [(&str, Pick); 3] =
        [("Required", |a| a.required), ("Optional", |a| a.optional), ("Read-Only", |a| a.computed && !a.optional)];
    for (title, pick) in groups {
        let attrs: Vec<&Attribute> = block.attributes.iter().filter(|a| pick(a)).collect();
        if attrs.is_empty() {
            continue;
        }
        let _ = write!(out, "\n### {title}\n\n");
        for a in attrs {
            let _ = writeln!(out, "{}", attribute_line(a, prefix));
            if let AttributeType::Nested { attributes, .. } = &a.ty {
                nested.push((format!("{prefix}{}", a.name), attributes.clone()));
            }
        }
    }
}

fn write_nested_block(out: &mut String, nb: &NestedBlock) {
    let _ = write!(out, "\n### Nested Schema for `{}`\n", nb.type_name);
    let mut more = Vec::new();
    write_block(out, &nb.block, &format!("{}--", nb.type_name), &mut more);
}

fn first_paragraph(s: &str) -> String {
    s.split("\n\n").next().unwrap_or("").trim().to_string()
}

fn fenced(lang: &str, body: &str) -> String {
    format!("```{lang}\n{}\n```\n", body.trim_end())
}

fn page(root: &Path, provider: &str, kind: &str, type_name: &str, schema: &Schema) -> String {
    let (label, examples_dir, file, templ_dir) = match kind {
        "resource" => ("Resource", "resources", "resource.tf", "resources"),
        _ => ("Data Source", "data-sources", "data-source.tf", "data-sources"),
    };
    let short = type_name.strip_prefix(&format!("{provider}_")).unwrap_or(type_name);
    let mut out = String::new();
    let _ = write!(
        out,
        "---\n# generated by cargo xtask docs: edit the schema descriptions, examples/ or templates/ instead\n\
         page_title: \"{type_name} {label} - {provider}\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n# {type_name} ({label})\n\n{}\n",
        first_paragraph(&schema.block.description).replace('\n', "\n  "),
        schema.block.description.trim()
    );
    if let Some(example) = read(root, &format!("examples/{examples_dir}/{type_name}/{file}")) {
        let _ = write!(out, "\n## Example Usage\n\n{}", fenced("terraform", &example));
    }
    let _ = write!(out, "\n{}", schema_markdown(&schema.block));
    if kind == "resource"
        && let Some(import) = read(root, &format!("examples/resources/{type_name}/import.sh"))
    {
        let _ = write!(
            out,
            "\n## Import\n\nImport is supported using the following syntax:\n\n{}",
            fenced("shell", &import)
        );
    }
    if let Some(extra) = read(root, &format!("templates/{provider}/{templ_dir}/{short}.md")) {
        let _ = write!(out, "\n{}\n", extra.trim_end());
    }
    out
}

fn index(root: &Path, p: &ProviderDocs) -> String {
    let template = read(root, &format!("templates/{}/index.md", p.name)).unwrap_or_else(|| {
        format!(
            "# {} Provider\n\n{}\n\n## Example Usage\n\n{{{{example}}}}\n{{{{schema}}}}",
            p.name, p.provider.block.description
        )
    });
    let example = read(root, &format!("examples/provider/{}/provider.tf", p.name))
        .map(|e| fenced("terraform", &e))
        .unwrap_or_default();
    let mut schema = schema_markdown(&p.provider.block);
    // The provider page's schema lists every attribute as optional: say which are needed.
    schema = schema.replacen("## Schema", "## Argument Reference", 1);
    let body = template.replace("{{example}}", &example).replace("{{schema}}", &schema);
    format!(
        "---\n# generated by cargo xtask docs: edit the schema descriptions, examples/ or templates/ instead\n\
         page_title: \"{} Provider\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n{}\n",
        p.name,
        first_paragraph(&p.provider.block.description).replace('\n', "\n  "),
        body.trim_end()
    )
}

/// Every generated file, by path relative to the repository root.
pub fn generate(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    for p in all_providers() {
        let base = PathBuf::from("docs").join(p.name);
        files.insert(base.join("index.md"), index(root, &p));
        for (name, s) in &p.resources {
            let short = name.strip_prefix(&format!("{}_", p.name)).unwrap_or(name);
            files.insert(base.join("resources").join(format!("{short}.md")), page(root, p.name, "resource", name, s));
        }
        for (name, s) in &p.data_sources {
            let short = name.strip_prefix(&format!("{}_", p.name)).unwrap_or(name);
            files.insert(base.join("data-sources").join(format!("{short}.md")), page(root, p.name, "data", name, s));
        }
    }
    files
}

/// Files under `docs/` that differ from what would be generated (or should not exist).
pub fn stale(root: &Path) -> Vec<PathBuf> {
    let want = generate(root);
    let mut out: Vec<PathBuf> = want
        .iter()
        .filter(|(p, c)| read(root, &p.to_string_lossy()).as_deref() != Some(c.as_str()))
        .map(|(p, _)| p.clone())
        .collect();
    let mut existing = Vec::new();
    collect_md(&root.join("docs"), root, &mut existing);
    for p in existing {
        if !want.contains_key(&p) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn collect_md(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_md(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "md")
            && let Ok(rel) = p.strip_prefix(root)
        {
            out.push(rel.to_path_buf());
        }
    }
}

/// Write the generated files (and remove stale generated ones); returns the files changed.
pub fn write(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let changed = stale(root);
    let want = generate(root);
    for p in &changed {
        let full = root.join(p);
        match want.get(p) {
            Some(content) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&full, content)?;
            }
            None => std::fs::remove_file(&full)?,
        }
    }
    Ok(changed)
}
