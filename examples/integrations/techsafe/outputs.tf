# What TechSafe is handed, besides the password (give that to TechSafe yourself, never through an output).

output "instance_id" {
  description = "The MaaS360 instance ID TechSafe asks for: the billing ID (\"Account ID\", shown at the bottom of the portal)."
  value       = maas360_script_user.techsafe.billing_id
}

output "users_domain" {
  description = "The domain of your MaaS360 users (passed through from var.users_domain)."
  value       = var.users_domain
}

output "api_account_name" {
  description = "The API account's username."
  value       = maas360_script_user.techsafe.username
}

output "api_access_verified" {
  description = "Whether the API account signed in with api_password at the last verification. Whether it is converted to Script Only cannot be read through any API: check it in the portal."
  value       = maas360_script_user.techsafe.api_access_verified
}
