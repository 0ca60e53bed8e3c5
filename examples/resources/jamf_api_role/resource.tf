# The privileges a vendor's integration asks for. Names are exact and case-sensitive; the
# provider checks them against your Jamf Pro server's catalogue at plan time and suggests the
# closest names for a misspelling (see the jamf_api_role_privileges data source).
resource "jamf_api_role" "inventory_read" {
  display_name = "Inventory Sync (read-only)"
  privileges = [
    "Read Computers",
    "Read Mobile Devices",
    "Read Static Computer Groups",
    "Read Static Mobile Device Groups",
  ]
}
