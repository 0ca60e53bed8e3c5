//! `terraform-provider-jamf`: Terraform starts this; see `mdmkit::jamf`.

/// mimalloc rather than the system's allocator: see its entry in `Cargo.toml`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    mdmkit::plugin::main(mdmkit::jamf::JamfProvider, mdmkit::jamf::ADDRESS)
}
