//! Registry-format documentation generated from the schemas and `examples/` (what
//! tfplugindocs does for Go providers), in tfplugindocs' page layout: frontmatter, `## Example Usage`,
//! `## Schema` (Required / Optional / Read-Only, sorted by name, then the nested schemas) and
//! `## Import`. Two providers live in one repository, so each has its own tree:
//!
//! - `docs/<provider>/index.md` from `templates/<provider>/index.md`, whose `{{example}}` and
//!   `{{schema}}` placeholders become `examples/provider/<provider>/provider.tf` and the provider
//!   schema;
//! - `docs/<provider>/resources/<short>.md` from the schema, `examples/resources/<type>/resource.tf`,
//!   `import-by-string-id.tf` and `import.sh` (no Import section without them), then the optional
//!   hand-written sections in `templates/<provider>/resources/<short>.md`;
//! - `docs/<provider>/data-sources/<short>.md` likewise from `examples/data-sources/<type>/data-source.tf`
//!   and `templates/<provider>/data-sources/<short>.md`.
//!
//! - `docs/<provider>/guides/<name>.md` from `templates/<provider>/guides/<name>.md`, copied as
//!   written (a guide has no schema; its frontmatter gives `page_title` and `subcategory: "Guides"`,
//!   as tfplugindocs expects of a guide).
//!
//! Other files in an example directory (such as a `versions.tf` that lets it validate on its own)
//! are not shown. Generation is deterministic; `cargo xtask docs` writes the files and a test fails
//! when the committed ones are stale.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mdmkit::framework::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting};
use mdmkit::framework::{Provider, ProviderServer, Schema};

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
    vec![ProviderDocs::of(mdmkit::jamf::JamfProvider), ProviderDocs::of(mdmkit::maas360::Maas360Provider)]
}

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

fn type_label(a: &Attribute) -> String {
    match &a.ty {
        AttributeType::Plain(t) => {
            use mdmkit::framework::Type::*;
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

fn plain_name(t: &mdmkit::framework::Type) -> &'static str {
    use mdmkit::framework::Type::*;
    match t {
        Bool => "Boolean",
        Number => "Number",
        String => "String",
        _ => "Object",
    }
}

/// tfplugindocs' link for write-only attributes.
const WRITE_ONLY_LINK: &str =
    "[Write-only](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments)";
/// The note tfplugindocs puts at the top of a group that holds a write-only attribute.
const WRITE_ONLY_NOTE: &str = "> **NOTE**: [Write-only arguments](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments) are supported in Terraform 1.11 and later.";

fn attribute_line(a: &Attribute, anchor: &str) -> String {
    let mut flags = vec![type_label(a)];
    if a.sensitive {
        flags.push("Sensitive".into());
    }
    if a.deprecation.is_some() {
        flags.push("Deprecated".into());
    }
    if a.write_only {
        flags.push(WRITE_ONLY_LINK.into());
    }
    let mut line = format!("- `{}` ({})", a.name, flags.join(", "));
    let mut desc = a.description.trim().replace("\n\n", " ").replace('\n', " ");
    if let Some(d) = &a.default {
        let shown = match d {
            mdmkit::framework::Value::String(s) => format!("`{s:?}`"),
            mdmkit::framework::Value::Bool(b) => format!("`{b}`"),
            mdmkit::framework::Value::Number(n) => format!("`{n}`"),
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
    let desc = desc.trim();
    if !desc.is_empty() {
        line.push(' ');
        line.push_str(desc);
    }
    if let Some(dep) = &a.deprecation {
        line.push_str(&format!(" **Deprecated:** {dep}"));
    }
    if matches!(a.ty, AttributeType::Nested { .. }) {
        line.push_str(&format!(" (see [below for nested schema](#{anchor}))"));
    }
    line
}

fn block_line(nb: &NestedBlock, anchor: &str) -> String {
    let kind = match nb.nesting {
        Nesting::Single | Nesting::Group => "Block",
        Nesting::List => "Block List",
        Nesting::Set => "Block Set",
        Nesting::Map => "Block Map",
    };
    let mut limits = Vec::new();
    if nb.min_items > 0 {
        limits.push(format!("Min: {}", nb.min_items));
    }
    if nb.max_items > 0 {
        limits.push(format!("Max: {}", nb.max_items));
    }
    let label = if limits.is_empty() { kind.to_string() } else { format!("{kind}, {}", limits.join(", ")) };
    let mut line = format!("- `{}` ({label})", nb.type_name);
    let desc = nb.block.description.trim().replace('\n', " ");
    if !desc.is_empty() {
        line.push(' ');
        line.push_str(&desc);
    }
    line.push_str(&format!(" (see [below for nested schema](#{anchor}))"));
    line
}

/// Which group of a schema section an attribute or block belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    const ALL: [Group; 3] = [Group::Required, Group::Optional, Group::ReadOnly];

    fn title(self, nested: bool) -> &'static str {
        match (self, nested) {
            (Group::Required, false) => "### Required",
            (Group::Optional, false) => "### Optional",
            (Group::ReadOnly, false) => "### Read-Only",
            (Group::Required, true) => "Required:",
            (Group::Optional, true) => "Optional:",
            (Group::ReadOnly, true) => "Read-Only:",
        }
    }

    fn of_attribute(a: &Attribute) -> Group {
        if a.required {
            Group::Required
        } else if a.optional {
            Group::Optional
        } else {
            Group::ReadOnly
        }
    }

    fn of_block(nb: &NestedBlock) -> Group {
        if nb.min_items > 0 { Group::Required } else { Group::Optional }
    }
}

/// A nested schema still to be written below the current one.
struct Pending {
    /// Attribute names from the root, e.g. `["retry"]`.
    path: Vec<String>,
    anchor: String,
    block: Block,
}

/// The `## Schema` section in tfplugindocs' layout: Required / Optional / Read-Only, each sorted
/// by name, then one section per nested attribute or block (breadth-first, in the order listed).
pub fn schema_markdown(block: &Block) -> String {
    let mut out = String::from("<!-- schema generated by cargo xtask docs -->\n## Schema\n");
    let mut pending = std::collections::VecDeque::new();
    write_children(&mut out, block, &[], false, &mut pending);
    while let Some(p) = pending.pop_front() {
        let _ = write!(out, "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n", p.anchor, p.path.join("."));
        write_children(&mut out, &p.block, &p.path, true, &mut pending);
    }
    out
}

fn write_children(
    out: &mut String,
    block: &Block,
    parents: &[String],
    nested: bool,
    pending: &mut std::collections::VecDeque<Pending>,
) {
    enum Child<'a> {
        Attr(&'a Attribute),
        Block(&'a NestedBlock),
    }
    let mut children: Vec<(&str, Group, Child)> = block
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), Group::of_attribute(a), Child::Attr(a)))
        .chain(block.blocks.iter().map(|b| (b.type_name.as_str(), Group::of_block(b), Child::Block(b))))
        .collect();
    children.sort_by(|a, b| a.0.cmp(b.0));
    for group in Group::ALL {
        let members: Vec<&(&str, Group, Child)> = children.iter().filter(|c| c.1 == group).collect();
        if members.is_empty() {
            continue;
        }
        let _ = write!(out, "\n{}\n\n", group.title(nested));
        if members.iter().any(|c| matches!(c.2, Child::Attr(a) if a.write_only)) {
            let _ = write!(out, "{WRITE_ONLY_NOTE}\n\n");
        }
        for (name, _, child) in members {
            let mut path = parents.to_vec();
            path.push(name.to_string());
            match child {
                Child::Attr(a) => {
                    let anchor = format!("nestedatt--{}", path.join("--"));
                    let _ = writeln!(out, "{}", attribute_line(a, &anchor));
                    if let AttributeType::Nested { attributes, .. } = &a.ty {
                        let block = Block { attributes: attributes.clone(), ..Block::default() };
                        pending.push_back(Pending { path, anchor, block });
                    }
                }
                Child::Block(nb) => {
                    let anchor = format!("nestedblock--{}", path.join("--"));
                    let _ = writeln!(out, "{}", block_line(nb, &anchor));
                    pending.push_back(Pending { path, anchor, block: nb.block.clone() });
                }
            }
        }
    }
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
    if kind == "resource" {
        let _ = write!(out, "{}", import_section(root, type_name));
    }
    if let Some(extra) = read(root, &format!("templates/{provider}/{templ_dir}/{short}.md")) {
        let _ = write!(out, "\n{}\n", extra.trim_end());
    }
    out
}

/// `## Import` from `import-by-string-id.tf` (an `import` block) and `import.sh` (the CLI), as
/// tfplugindocs renders them; empty when the resource has neither (import is not supported).
fn import_section(root: &Path, type_name: &str) -> String {
    let block = read(root, &format!("examples/resources/{type_name}/import-by-string-id.tf"));
    let cli = read(root, &format!("examples/resources/{type_name}/import.sh"));
    if block.is_none() && cli.is_none() {
        return String::new();
    }
    let mut out = String::from("\n## Import\n\nImport is supported using the following syntax:\n");
    if let Some(b) = block {
        let _ = write!(
            out,
            "\nIn Terraform v1.5.0 and later, the [`import` block](https://developer.hashicorp.com/terraform/language/import) \
             can be used with the `id` attribute, for example:\n\n{}",
            fenced("terraform", &b)
        );
    }
    if let Some(c) = cli {
        let _ = write!(
            out,
            "\nThe [`terraform import` command](https://developer.hashicorp.com/terraform/cli/commands/import) can be \
             used, for example:\n\n{}",
            fenced("shell", &c)
        );
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
    let schema = schema_markdown(&p.provider.block);
    let body = template.replace("{{example}}", &example).replace("{{schema}}", &schema);
    format!(
        "---\n# generated by cargo xtask docs: edit the schema descriptions, examples/ or templates/ instead\n\
         page_title: \"{} Provider\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n{}\n",
        p.name,
        first_paragraph(&p.provider.block.description).replace('\n', "\n  "),
        body.trim_end()
    )
}

/// The hand-written guides of a provider, by file name, in name order.
fn guides(root: &Path, provider: &str) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(root.join("templates").join(provider).join("guides")) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.ends_with(".md") {
                return None;
            }
            Some((name, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    out.sort();
    out
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
        for (name, text) in guides(root, p.name) {
            files.insert(base.join("guides").join(name), text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use mdmkit::framework::Type;

    fn sample() -> Block {
        let retry = Attribute::nested(
            "retry",
            Nesting::Single,
            vec![
                Attribute::string("max_delay").optional().description("Longest wait."),
                Attribute::number("attempts").required().description("Attempts."),
            ],
        )
        .optional()
        .description("Retries.");
        Block {
            attributes: vec![
                Attribute::string("url").required().description("The URL."),
                Attribute::string("id").computed().description("The id."),
                retry,
                Attribute::string("password_wo").optional().write_only().sensitive().description("A password."),
                Attribute::set_of("names", Type::String).optional().description("Names."),
                Attribute::bool("enabled").optional().default(true).description("Enabled."),
            ],
            blocks: vec![
                NestedBlock::new(
                    "rule",
                    Nesting::List,
                    Block { attributes: vec![Attribute::string("name").required()], ..Block::default() },
                )
                .items(1, 3),
            ],
            ..Block::default()
        }
    }

    #[test]
    fn schema_follows_tfplugindocs_layout() {
        let md = schema_markdown(&sample());
        let want = "<!-- schema generated by cargo xtask docs -->
## Schema

### Required

- `rule` (Block List, Min: 1, Max: 3) (see [below for nested schema](#nestedblock--rule))
- `url` (String) The URL.

### Optional

> **NOTE**: [Write-only arguments](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments) are supported in Terraform 1.11 and later.

- `enabled` (Boolean) Enabled. Defaults to `true`.
- `names` (Set of String) Names.
- `password_wo` (String, Sensitive, [Write-only](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments)) A password.
- `retry` (Attributes) Retries. (see [below for nested schema](#nestedatt--retry))

### Read-Only

- `id` (String) The id.

<a id=\"nestedblock--rule\"></a>
### Nested Schema for `rule`

Required:

- `name` (String)

<a id=\"nestedatt--retry\"></a>
### Nested Schema for `retry`

Required:

- `attempts` (Number) Attempts.

Optional:

- `max_delay` (String) Longest wait.
";
        assert_eq!(md, want);
    }

    #[test]
    fn generation_is_deterministic() {
        let root = crate::util::root();
        assert_eq!(generate(&root), generate(&root));
    }

    #[test]
    fn guides_are_copied_as_written_and_only_markdown() {
        let dir = tempfile::tempdir().unwrap();
        let guides = dir.path().join("templates/jamf/guides");
        std::fs::create_dir_all(&guides).unwrap();
        let text = "---\npage_title: \"Adopting\"\nsubcategory: \"Guides\"\n---\n\n# Adopting\n";
        std::fs::write(guides.join("adopting.md"), text).unwrap();
        std::fs::write(guides.join("notes.txt"), "not a guide").unwrap();
        let files = generate(dir.path());
        assert_eq!(files.get(Path::new("docs/jamf/guides/adopting.md")).map(String::as_str), Some(text));
        assert!(!files.keys().any(|p| p.to_string_lossy().contains("notes")));
        assert!(!files.keys().any(|p| p.starts_with("docs/maas360/guides")));
    }
}
