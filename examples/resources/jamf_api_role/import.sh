# An API role can be imported by its id or by its exact display name.
terraform import jamf_api_role.inventory_read 12
terraform import jamf_api_role.inventory_read "Inventory Sync (read-only)"
