# Admina by Money Forward: an API role with the account privileges Admina needs (plus, for its
# device (MDM) integration, read access to buildings, departments and devices), an API client with
# a longer token lifetime, and a client secret generated once. See README.md for each requirement.

terraform {
  required_version = ">= 1.11"
  required_providers {
    jamf = {
      source  = "mdmkit/jamf"
      version = "~> 0.1"
    }
  }
}

# The provider's own credentials come from JAMF_CLIENT_ID and JAMF_CLIENT_SECRET.
provider "jamf" {
  url = var.jamf_url
}

# The server the provider is configured with: the URL handed over below comes from it.
data "jamf_server" "this" {}

locals {
  account_privileges = ["Read Accounts", "Create Accounts", "Delete Accounts"]
  mdm_privileges     = ["Read Buildings", "Read Departments", "Read Mobile Devices", "Read Computers"]

  # "https://acme.jamfcloud.com" -> "acme": the workspace key Admina asks for.
  jamf_host     = regex("^https?://([^/:]+)", data.jamf_server.this.url)[0]
  workspace_key = split(".", local.jamf_host)[0]
}

resource "jamf_api_role" "admina" {
  display_name = var.role_name
  privileges   = concat(local.account_privileges, var.mdm_integration ? local.mdm_privileges : [])
}

resource "jamf_api_client" "admina" {
  display_name                  = var.client_name
  authorization_scopes          = [jamf_api_role.admina.display_name]
  access_token_lifetime_seconds = var.access_token_lifetime_seconds
  enabled                       = true
}

# Generated once and shown once: Terraform keeps it in state and never generates it again on its
# own (replace this resource to rotate).
resource "jamf_client_secret" "admina" {
  api_client_id = jamf_api_client.admina.id
}
