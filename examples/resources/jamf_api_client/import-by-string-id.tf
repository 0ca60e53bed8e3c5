import {
  to = jamf_api_client.inventory_sync
  id = "7"
}
