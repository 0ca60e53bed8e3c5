variable "managed_role_names" {
  description = <<-EOT
    Display names of the API roles some Terraform configuration manages. Feed it from those
    configurations, e.g. an output of each read with terraform_remote_state, or, in the
    configuration that manages them, [for r in jamf_api_role.all : r.display_name].
  EOT
  type        = list(string)
  default     = []
}

variable "ignored_client_names" {
  description = "API clients not to flag, such as the one Terraform itself uses."
  type        = list(string)
  default     = []
}
