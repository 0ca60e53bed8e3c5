# An API client created by hand, by display name (or by id). The data source never reads or
# generates a secret: with Jamf Pro, reading one would rotate it.
data "jamf_api_client" "legacy" {
  display_name = "Legacy Inventory Export"
}

output "legacy_client" {
  value = {
    client_id            = data.jamf_api_client.legacy.client_id
    enabled              = data.jamf_api_client.legacy.enabled
    authorization_scopes = data.jamf_api_client.legacy.authorization_scopes
    has_secret           = data.jamf_api_client.legacy.app_type == "CLIENT_CREDENTIALS"
  }
}
