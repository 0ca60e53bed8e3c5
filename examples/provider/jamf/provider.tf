terraform {
  required_version = ">= 1.11"
  required_providers {
    jamf = {
      source  = "mdmkit/jamf"
      version = "~> 0.1"
    }
  }
}

# Recommended: an API client of its own for Terraform, with every setting in the environment:
#   export JAMF_URL=https://yourcompany.jamfcloud.com   # on-premise: https://jamf.example.com:8443
#   export JAMF_CLIENT_ID=...
#   export JAMF_CLIENT_SECRET=...
# and an empty provider block. Declare it even when empty: without a provider block Terraform reports
# "Invalid provider configuration" before the provider's own message about a missing setting.
provider "jamf" {}

# Settings may also be written in the block; a value here wins over its environment variable:
#
# provider "jamf" {
#   url             = "https://jamf.example.com:8443"
#   max_concurrency = 5 # Jamf asks integrations to stay at or below 5 concurrent requests (the default).
# }
