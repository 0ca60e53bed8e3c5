# Flags the API clients that hold a role no Terraform configuration manages: a role made or
# edited in the Jamf Pro console, whose privileges nobody reviews in a pull request.
terraform {
  required_providers {
    jamf = {
      source = "mdmkit/jamf"
    }
  }
}

data "jamf_api_clients" "all" {}

data "jamf_api_roles" "all" {}

locals {
  managed = toset(var.managed_role_names)

  # Client display name => the roles it holds that no configuration manages.
  clients_with_unmanaged_roles = {
    for c in data.jamf_api_clients.all.clients :
    c.display_name => sort(setsubtract(c.authorization_scopes, local.managed))
    if length(setsubtract(c.authorization_scopes, local.managed)) > 0 && !contains(var.ignored_client_names, c.display_name)
  }

  unmanaged_roles = sort([for r in data.jamf_api_roles.all.roles : r.display_name if !contains(local.managed, r.display_name)])
}

# A failed check is a warning in every plan and apply, not an error.
check "every_client_role_is_managed" {
  assert {
    condition     = length(local.clients_with_unmanaged_roles) == 0
    error_message = "API clients hold roles no Terraform configuration manages: ${jsonencode(local.clients_with_unmanaged_roles)}. Adopt the roles (see the guide \"Adopting an existing tenant\") or take them away from the clients."
  }
}
