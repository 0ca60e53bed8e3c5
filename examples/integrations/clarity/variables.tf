variable "jamf_url" {
  description = "Your Jamf Pro URL: https://<tenant>.jamfcloud.com for Jamf Cloud, or https://<host>:8443 for an on-premise Jamf Pro server."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+", var.jamf_url))
    error_message = "jamf_url must be a URL such as https://yourcompany.jamfcloud.com or https://jamf.example.com:8443."
  }
}

variable "client_name" {
  description = "Display name of the API client."
  type        = string
  default     = "Diamond Assets"
}
