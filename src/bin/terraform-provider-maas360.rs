//! `terraform-provider-maas360`: Terraform starts this; see `mdmkit::maas360`.

/// mimalloc rather than the system's allocator: see its entry in `Cargo.toml`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    mdmkit::plugin::main(mdmkit::maas360::Maas360Provider, mdmkit::maas360::ADDRESS)
}
