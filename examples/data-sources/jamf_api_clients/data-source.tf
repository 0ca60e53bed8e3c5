# Which enabled API clients hold a privilege that can lock or wipe devices? The names are the
# exact privilege names of Jamf Pro's catalogue (look them up with data.jamf_api_role_privileges,
# e.g. name_contains = "Remote Wipe").
locals {
  lock_or_wipe = toset([
    "Send Computer Remote Lock Command",
    "Send Computer Remote Wipe Command",
    "Send Mobile Device Remote Lock Command",
    "Send Mobile Device Remote Wipe Command",
    "Send Mobile Device Lost Mode Command", # Lost Mode locks the device too
  ])
}

data "jamf_api_clients" "all" {}

output "clients_that_can_lock_or_wipe" {
  description = "Enabled API clients whose roles grant a lock or wipe command, with the commands they grant."
  value = {
    for c in data.jamf_api_clients.all.clients :
    c.display_name => {
      id       = c.id
      roles    = sort(c.authorization_scopes)
      commands = sort(setintersection(c.effective_privileges, local.lock_or_wipe))
    }
    if c.enabled && length(setintersection(c.effective_privileges, local.lock_or_wipe)) > 0
  }
}

# Only the clients whose display name starts with "Vendor " (Jamf Pro filters them).
data "jamf_api_clients" "vendors" {
  display_name_pattern = "Vendor *"
}

output "vendor_clients_without_a_secret" {
  value = [for c in data.jamf_api_clients.vendors.clients : c.display_name if c.app_type == "NONE"]
}
