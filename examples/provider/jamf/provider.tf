terraform {
  required_version = ">= 1.11"
  required_providers {
    jamf = {
      source  = "mdmkit/jamf"
      version = "~> 0.1"
    }
  }
}

# Recommended: an API client of its own for Terraform, with its credentials in the environment:
#   export JAMF_URL=https://yourcompany.jamfcloud.com
#   export JAMF_CLIENT_ID=...
#   export JAMF_CLIENT_SECRET=...
provider "jamf" {
  # On-premise Jamf Pro: url = "https://jamf.example.com:8443"
  url = "https://yourcompany.jamfcloud.com"

  # Jamf asks integrations to stay at or below 5 concurrent requests (the default).
  max_concurrency = 5
}
