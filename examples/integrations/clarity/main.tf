# Clarity (Diamond Assets): a read-only API role "Diamond Assets Integration" for computers, mobile
# devices and their static groups, an API client holding it with 24-hour tokens, and its client
# secret. See README.md for each requirement.

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

resource "jamf_api_role" "clarity" {
  display_name = "Diamond Assets Integration"
  privileges = [
    "Read Computers",
    "Read Static Computer Groups",
    "Read Mobile Devices",
    "Read Static Mobile Device Groups",
  ]
}

resource "jamf_api_client" "clarity" {
  display_name                  = var.client_name
  authorization_scopes          = [jamf_api_role.clarity.display_name]
  access_token_lifetime_seconds = 86400
  enabled                       = true
}

resource "jamf_client_secret" "clarity" {
  api_client_id = jamf_api_client.clarity.id
}
