# What the vendor is handed.
output "jamf_url" {
  value = data.jamf_server.this.url
}

output "client_id" {
  value = jamf_client_secret.vendor.client_id
}

output "client_secret" {
  description = "Read it with: terraform output -raw client_secret"
  value       = jamf_client_secret.vendor.client_secret
  sensitive   = true
}

output "role_id" {
  value = jamf_api_role.vendor.id
}

output "maas360_billing_id" {
  value = maas360_script_user.vendor.billing_id
}

output "maas360_api_username" {
  value = maas360_script_user.vendor.username
}

output "maas360_api_access_verified" {
  value = maas360_script_user.vendor.api_access_verified
}
