//! `cargo xtask docs`: generate `docs/` (see [`crate::docgen`]).

use crate::util::{Result, root};

pub fn run(check: bool) -> Result<()> {
    let root = root();
    if check {
        let stale = crate::docgen::stale(&root);
        if stale.is_empty() {
            println!("docs/ is up to date");
            return Ok(());
        }
        for p in &stale {
            println!("stale: {}", p.display());
        }
        return Err("docs/ is stale: run `cargo xtask docs` and commit the result".into());
    }
    let changed = crate::docgen::write(&root).map_err(|e| format!("cannot write docs: {e}"))?;
    if changed.is_empty() {
        println!("docs/ is up to date");
    }
    for p in changed {
        println!("wrote {}", p.display());
    }
    Ok(())
}
