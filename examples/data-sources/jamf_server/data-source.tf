# The Jamf Pro server the provider is configured with (`url` or JAMF_URL).
data "jamf_server" "this" {}

# Hand the integration the URL from the one place it is set.
output "jamf_url" {
  value = data.jamf_server.this.url
}
