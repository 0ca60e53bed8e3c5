output "clients_with_unmanaged_roles" {
  description = "API client display name => the roles it holds that no Terraform configuration manages."
  value       = local.clients_with_unmanaged_roles
}

output "unmanaged_roles" {
  description = "Every API role no Terraform configuration manages, whether a client holds it or not."
  value       = local.unmanaged_roles
}
