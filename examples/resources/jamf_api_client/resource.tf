resource "jamf_api_role" "inventory_read" {
  display_name = "Inventory Sync (read-only)"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}

# The identity the vendor uses. Referencing the role (rather than typing its name) makes
# Terraform create the role first and delete it last.
resource "jamf_api_client" "inventory_sync" {
  display_name         = "Inventory Sync"
  authorization_scopes = [jamf_api_role.inventory_read.display_name]

  # Tokens the vendor obtains live 30 minutes. When omitted, Jamf Pro's default (300 s) is kept.
  access_token_lifetime_seconds = 1800

  # The default; set to false to revoke the client's secret and stop new tokens.
  enabled = true
}

# Hand the vendor this client ID with the secret from jamf_client_secret.
output "inventory_sync_client_id" {
  value = jamf_api_client.inventory_sync.client_id
}
