//! The committed `docs/` must be what `cargo xtask docs` generates from the schemas, `examples/`
//! and `templates/` (the counterpart of tfplugindocs' "generate, then git diff --exit-code").

use std::path::Path;

#[test]
fn docs_are_up_to_date() {
    let root = &xtask::util::root();
    let stale = xtask::docgen::stale(root);
    let want = xtask::docgen::generate(root);
    let report: Vec<String> = stale
        .iter()
        .map(|p| {
            let have = std::fs::read_to_string(root.join(p)).ok();
            match (have, want.get(p)) {
                (None, _) => format!("  {} (missing)", p.display()),
                (Some(_), None) => format!("  {} (no longer generated: delete it)", p.display()),
                (Some(have), Some(want)) => format!("  {}\n{}", p.display(), first_difference(&have, want)),
            }
        })
        .collect();
    assert!(stale.is_empty(), "docs/ is stale: run `cargo xtask docs` and commit the result.\n{}", report.join("\n"));
}

/// The first line where the committed file and the generated one differ.
fn first_difference(have: &str, want: &str) -> String {
    let (mut h, mut w) = (have.lines(), want.lines());
    for n in 1.. {
        match (h.next(), w.next()) {
            (a, b) if a == b && a.is_some() => continue,
            (a, b) => {
                return format!(
                    "    line {n}:\n    committed: {}\n    generated: {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                );
            }
        }
    }
    unreachable!()
}

/// Placeholders and unfinished markers never reach the published pages.
#[test]
fn docs_have_no_placeholders() {
    let root = &xtask::util::root();
    for (path, content) in xtask::docgen::generate(root) {
        for marker in ["{{", "}}", "TBD", "TODO", "FIXME", "XXX", "lorem"] {
            assert!(!content.contains(marker), "{} contains {marker:?}", path.display());
        }
        assert!(content.starts_with("---\n"), "{} has no frontmatter", path.display());
        if path.components().any(|c| c.as_os_str() == "guides") {
            // A guide has no schema; the registry files it by its frontmatter.
            assert!(content.contains("\npage_title: "), "{} has no page_title", path.display());
            assert!(content.contains("\nsubcategory: \"Guides\""), "{} is not filed under Guides", path.display());
        } else {
            assert!(content.contains("## Schema"), "{} has no schema section", path.display());
        }
    }
}

/// Every resource and data source page shows an example, and import is documented exactly where
/// it is supported.
#[test]
fn every_page_has_an_example_and_import_where_supported() {
    let root = &xtask::util::root();
    let docs = xtask::docgen::generate(root);
    for (path, content) in &docs {
        let p = path.to_string_lossy();
        if p.contains("/resources/") || p.contains("/data-sources/") || p.ends_with("index.md") {
            assert!(content.contains("## Example Usage\n\n```terraform\n"), "{p} has no example");
        }
    }
    let page = |p: &str| docs.get(Path::new(p)).unwrap_or_else(|| panic!("{p} is not generated"));
    for p in [
        "docs/jamf/resources/api_role.md",
        "docs/jamf/resources/api_client.md",
        "docs/maas360/resources/script_user.md",
    ] {
        assert!(page(p).contains("Import is supported"), "{p}");
        assert!(page(p).contains("```shell\n"), "{p}: import.sh is not shown");
    }
    let secret = page("docs/jamf/resources/client_secret.md");
    assert!(!secret.contains("Import is supported"));
    assert!(secret.contains("Import is not supported"));
}

/// The authentication table on each provider page lists every provider attribute with the
/// environment variables its schema description names (so a new setting cannot be forgotten).
#[test]
fn provider_pages_list_every_setting_with_its_environment_variables() {
    let root = &xtask::util::root();
    let docs = xtask::docgen::generate(root);
    for p in xtask::docgen::all_providers() {
        let index = &docs[&Path::new("docs").join(p.name).join("index.md")];
        for a in &p.provider.block.attributes {
            let row = index
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", a.name)))
                .unwrap_or_else(|| panic!("docs/{}/index.md: no table row for `{}`", p.name, a.name));
            // `JAMF_URL`, `JAMFPRO_INSTANCE_FQDN`, `MAAS360_BILLING_ID`...
            let prefix = p.name.to_ascii_uppercase();
            for var in a.description.split('`').filter(|w| w.starts_with(&prefix) && !w.contains(' ')) {
                assert!(row.contains(var), "docs/{}/index.md: the row for `{}` does not name {var}", p.name, a.name);
            }
        }
    }
}
