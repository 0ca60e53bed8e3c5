//! `terraform-provider-jamf`: Terraform starts this; see `mdmkit::jamf`.

fn main() {
    mdmkit::plugin::main(mdmkit::jamf::JamfProvider, mdmkit::jamf::ADDRESS)
}
