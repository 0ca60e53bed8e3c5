resource "jamf_api_role" "inventory_read" {
  display_name = "Inventory Sync (read-only)"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}

resource "jamf_api_client" "inventory_sync" {
  display_name         = "Inventory Sync"
  authorization_scopes = [jamf_api_role.inventory_read.display_name]
}

# Generated once, on create. Changing the client's roles also plans a new secret, because Jamf Pro
# grants new roles only to newly generated secrets.
resource "jamf_client_secret" "inventory_sync" {
  api_client_id = jamf_api_client.inventory_sync.id

  # Rotation by age: once the secret is older than 90 days, the next plan proposes a new one and
  # says why (durations are written in hours: there is no day unit).
  rotate_after = "2160h"

  # Detect a secret rotated by hand in the Jamf Pro UI (or otherwise revoked): every refresh
  # obtains one access token with the secret, and a refusal plans a new secret. Off by default.
  verify_on_refresh = true

  # Rotation on demand: change any value here to generate a new secret (which invalidates the
  # current one at once, so hand the new one to the vendor straight after the apply).
  keepers = {
    rotation = "2025-q3"
  }

  # Rotation on a schedule with the hashicorp/time provider instead of a hand-edited value:
  #
  #   resource "time_rotating" "inventory_sync" {
  #     rotation_days = 90
  #   }
  #
  #   keepers = {
  #     rotation = time_rotating.inventory_sync.id
  #   }
  #
  # The first apply after 90 days replaces time_rotating, and with it this secret.
}

# Deliver the secret where the vendor reads it, re-sent on every rotation and at no other time:
# secret_version changes with every new secret (see the guide "Delivering the secret"), e.g.
#
#   resource "aws_secretsmanager_secret_version" "inventory_sync" {
#     secret_id                = aws_secretsmanager_secret.inventory_sync.id
#     secret_string_wo         = jamf_client_secret.inventory_sync.client_secret
#     secret_string_wo_version = jamf_client_secret.inventory_sync.secret_version
#   }

# Or hand it over yourself. Read the secret with: terraform output -raw inventory_sync_client_secret
output "inventory_sync_client_id" {
  value = jamf_client_secret.inventory_sync.client_id
}

output "inventory_sync_client_secret" {
  value     = jamf_client_secret.inventory_sync.client_secret
  sensitive = true
}
