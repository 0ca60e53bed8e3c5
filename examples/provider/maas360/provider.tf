terraform {
  required_version = ">= 1.11"
  required_providers {
    maas360 = {
      source  = "mdmkit/maas360"
      version = "~> 0.1"
    }
  }
}

# The access key (Setup > Web Services API > Manage Access Keys) and the managing administrator's
# credentials come from the environment:
#   export MAAS360_APP_ID=com.1234567.webapi
#   export MAAS360_APP_ACCESS_KEY=...
#   export MAAS360_USERNAME=...   # holds the Service Administrator role
#   export MAAS360_PASSWORD=...
provider "maas360" {
  # The data centre of the account (M1, M2, M3, M4 or M6), or base_url instead.
  instance = "M3"

  # "Account ID" in the portal.
  billing_id = "1234567"
}
