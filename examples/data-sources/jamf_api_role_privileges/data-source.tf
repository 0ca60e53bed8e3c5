# Every privilege this Jamf Pro server offers for API roles whose name contains "Computer Groups".
# Privilege names change between Jamf Pro versions: look them up here rather than guessing.
data "jamf_api_role_privileges" "computer_groups" {
  name_contains = "Computer Groups"
}

# Grant every read privilege of that list.
resource "jamf_api_role" "groups_read" {
  display_name = "Computer Groups (read-only)"
  privileges = [
    for p in data.jamf_api_role_privileges.computer_groups.privileges : p
    if startswith(p, "Read ")
  ]
}

output "computer_group_privileges" {
  value = data.jamf_api_role_privileges.computer_groups.privileges
}
