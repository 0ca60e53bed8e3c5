variable "jamf_url" {
  description = "Your Jamf Pro URL, e.g. https://yourcompany.jamfcloud.com (its first host label is Admina's workspace key)."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+", var.jamf_url))
    error_message = "jamf_url must be a URL such as https://yourcompany.jamfcloud.com."
  }
}

variable "role_name" {
  description = "Display name of the API role (Admina accepts any name)."
  type        = string
  default     = "Admina Integration"
}

variable "client_name" {
  description = "Display name of the API client."
  type        = string
  default     = "Admina"
}

variable "mdm_integration" {
  description = "Also grant what Admina's device (MDM) integration reads: buildings, departments, mobile devices and computers."
  type        = bool
  default     = true
}

variable "access_token_lifetime_seconds" {
  description = "Lifetime of the access tokens Admina obtains. Admina recommends a longer lifetime than Jamf Pro's default of 300 s; a change affects new tokens only."
  type        = number
  default     = 3600

  validation {
    condition     = var.access_token_lifetime_seconds >= 1
    error_message = "The lifetime is at least 1 second."
  }
}
