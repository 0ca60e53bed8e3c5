variable "jamf_url" {
  description = "Your Jamf Pro URL: https://<tenant>.jamfcloud.com, or your self-hosted Jamf Pro URL (e.g. https://jamf.example.com:8443)."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+", var.jamf_url))
    error_message = "jamf_url must be a URL such as https://yourcompany.jamfcloud.com."
  }
}

variable "role_name" {
  description = "Display name of the API role."
  type        = string
  default     = "StackOne Integration"
}

variable "client_name" {
  description = "Display name of the API client."
  type        = string
  default     = "StackOne"
}

variable "secret_rotation" {
  description = "Change this value to generate a new client secret for StackOne."
  type        = string
  default     = "1"
}
