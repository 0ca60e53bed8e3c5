//! `terraform-provider-maas360`: Terraform starts this; see `mdmkit::maas360`.

fn main() {
    mdmkit::plugin::main(mdmkit::maas360::Maas360Provider, mdmkit::maas360::ADDRESS)
}
