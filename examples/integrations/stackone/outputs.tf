# What StackOne is handed: the tenant URL, the client ID and the client secret.
output "jamf_url" {
  description = "The Jamf Pro URL to enter in StackOne."
  value       = data.jamf_server.this.url
}

output "client_id" {
  description = "The API client's client ID."
  value       = jamf_client_secret.stackone.client_id
}

output "client_secret" {
  description = "The client secret. Read it with: terraform output -raw client_secret"
  value       = jamf_client_secret.stackone.client_secret
  sensitive   = true
}
