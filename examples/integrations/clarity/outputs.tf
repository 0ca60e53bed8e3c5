# What Clarity is handed: the client ID, the client secret and the Jamf Pro URL.
output "jamf_url" {
  description = "The Jamf Pro URL to enter in Clarity (https://<tenant>.jamfcloud.com or https://<host>:8443)."
  value       = data.jamf_server.this.url
}

output "client_id" {
  description = "The API client's client ID."
  value       = jamf_client_secret.clarity.client_id
}

output "client_secret" {
  description = "The client secret. Read it with: terraform output -raw client_secret"
  value       = jamf_client_secret.clarity.client_secret
  sensitive   = true
}
