import {
  to = jamf_api_role.inventory_read
  id = "12"
}
