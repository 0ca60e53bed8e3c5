# The quickstart: what a platform team writes to hand a SaaS vendor its Jamf Pro API
# credentials, plus the MaaS360 "script only" administrator an integration asks for.
# `cargo xtask quickstart` runs it against the bundled simulator; the same file works against a
# real tenant with the environment variables of the providers set.

terraform {
  required_version = ">= 1.11"
  required_providers {
    jamf = {
      source  = "mdmkit/jamf"
      version = "~> 0.1"
    }
    maas360 = {
      source  = "mdmkit/maas360"
      version = "~> 0.1"
    }
  }
}

# Every setting comes from the environment: JAMF_URL, JAMF_CLIENT_ID, JAMF_CLIENT_SECRET and the
# MAAS360_* variables. Declare the provider blocks even when empty: without them Terraform reports
# "Invalid provider configuration" before the provider's own message about a missing setting.
provider "jamf" {}

provider "maas360" {}

# The Jamf Pro server the provider uses: the hand-off output takes its URL from here.
data "jamf_server" "this" {}

# The privileges the vendor asks for.
resource "jamf_api_role" "vendor" {
  display_name = "Quickstart Vendor Integration"
  privileges = [
    "Read Computers",
    "Read Mobile Devices",
    "Read Static Computer Groups",
  ]
}

# The identity the vendor uses, holding that role.
resource "jamf_api_client" "vendor" {
  display_name                  = "Quickstart Vendor"
  authorization_scopes          = [jamf_api_role.vendor.display_name]
  access_token_lifetime_seconds = 1800
}

# Its secret, generated once; it follows the client's roles.
resource "jamf_client_secret" "vendor" {
  api_client_id = jamf_api_client.vendor.id
}

# A MaaS360 administrator for API use only; two portal steps follow its creation.
resource "maas360_script_user" "vendor" {
  username            = "Quickstart_SO"
  email               = "mdm-team@example.com"
  roles               = ["Read-Only"]
  password_wo         = var.script_user_password
  password_wo_version = var.script_user_password_version
}
