# A role managed elsewhere (by hand in Jamf Pro, or by another configuration), by display name.
data "jamf_api_role" "helpdesk" {
  display_name = "Helpdesk Read"
}

# Or by id.
data "jamf_api_role" "by_id" {
  id = "12"
}

# Grant that role to a new client.
resource "jamf_api_client" "helpdesk_tool" {
  display_name         = "Helpdesk Tool"
  authorization_scopes = [data.jamf_api_role.helpdesk.display_name]
}

output "helpdesk_privileges" {
  value = data.jamf_api_role.helpdesk.privileges
}
