# What Admina is handed: the workspace key, the client ID and the client secret.
output "workspace_key" {
  description = "The host name part of the Jamf Pro URL (\"acme\" for https://acme.jamfcloud.com)."
  value       = local.workspace_key
}

output "client_id" {
  description = "The API client's client ID."
  value       = jamf_client_secret.admina.client_id
}

output "client_secret" {
  description = "The client secret, shown once by Jamf Pro. Read it with: terraform output -raw client_secret"
  value       = jamf_client_secret.admina.client_secret
  sensitive   = true
}
