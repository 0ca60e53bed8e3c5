# Every API role of the server, with its privileges.
data "jamf_api_roles" "all" {}

# Only the roles whose display name starts with "Okta" (Jamf Pro filters them; "*" is the only
# wildcard, and matching is case-sensitive).
data "jamf_api_roles" "okta" {
  display_name_pattern = "Okta*"
}

output "roles_by_name" {
  value = { for r in data.jamf_api_roles.all.roles : r.display_name => r.id }
}

# Which roles grant a privilege that deletes computers?
output "roles_that_delete_computers" {
  value = [for r in data.jamf_api_roles.all.roles : r.display_name if contains(r.privileges, "Delete Computers")]
}

output "okta_roles" {
  value = data.jamf_api_roles.okta.roles[*].display_name
}
