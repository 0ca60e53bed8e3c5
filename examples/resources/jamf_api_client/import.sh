# An API client can be imported by its id or by its exact display name.
terraform import jamf_api_client.inventory_sync 7
terraform import jamf_api_client.inventory_sync "Inventory Sync"
