# StackOne's Jamf Pro integration: an API role with the privileges StackOne lists, an API client
# "StackOne" holding it (tokens valid 30 minutes, enabled), and the client secret StackOne is
# handed with the client ID and the tenant URL. See README.md for the requirement each block meets.

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

resource "jamf_api_role" "stackone" {
  display_name = var.role_name
  privileges = [
    # Computers
    "Read Computers",
    "Create Computers",
    "Update Computers",
    "Delete Computers",
    # Mobile devices
    "Read Mobile Devices",
    "Update Mobile Devices",
    "Send Mobile Device Remote Wipe Command",
    # Computer groups
    "Read Smart Computer Groups",
    "Create Smart Computer Groups",
    "Update Smart Computer Groups",
    "Delete Smart Computer Groups",
    "Read Static Computer Groups",
    "Create Static Computer Groups",
    "Update Static Computer Groups",
    "Delete Static Computer Groups",
    # Users (Jamf Pro's privilege names are singular)
    "Read User",
    "Create User",
    "Update User",
    "Delete User",
    # Scripts, categories, buildings, departments
    "Read Scripts",
    "Create Scripts",
    "Update Scripts",
    "Delete Scripts",
    "Read Categories",
    "Create Categories",
    "Update Categories",
    "Delete Categories",
    "Read Buildings",
    "Create Buildings",
    "Update Buildings",
    "Delete Buildings",
    "Read Departments",
    "Create Departments",
    "Update Departments",
    "Delete Departments",
    # Remote commands (Jamf Pro has one privilege per command)
    "Send Computer Remote Lock Command",
    "Send Computer Remote Wipe Command",
    "Send Mobile Device Remote Lock Command",
    # Policies
    "Read Policies",
    "Create Policies",
    "Update Policies",
    "Delete Policies",
    # Configuration profiles
    "Read macOS Configuration Profiles",
    "Read iOS Configuration Profiles",
  ]
}

resource "jamf_api_client" "stackone" {
  display_name                  = var.client_name
  authorization_scopes          = [jamf_api_role.stackone.display_name]
  access_token_lifetime_seconds = 1800
  enabled                       = true
}

# Generated once; change `rotation` to hand StackOne a new secret (the old one stops working).
resource "jamf_client_secret" "stackone" {
  api_client_id = jamf_api_client.stackone.id
  keepers = {
    rotation = var.secret_rotation
  }
}
