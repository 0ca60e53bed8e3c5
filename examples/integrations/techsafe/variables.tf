variable "customer" {
  description = "Your organisation's short name; the API account is named <customer>_SO."
  type        = string
}

variable "notification_email" {
  description = "Mailbox for the account's notifications and its set-password link."
  type        = string
}

variable "role" {
  description = "\"Administrator\" (full functionality: passcode reset, wipe, hide device) or \"Read-Only\" (view only)."
  type        = string
  default     = "Administrator"

  validation {
    condition     = contains(["Administrator", "Read-Only"], var.role)
    error_message = "TechSafe supports the \"Administrator\" or the \"Read-Only\" role."
  }
}

variable "users_domain" {
  description = "The domain of your MaaS360 users (e.g. acme.com), which TechSafe asks for. Not an attribute of the administrator: it is only passed through to the outputs."
  type        = string
}

variable "api_password" {
  description = "The password set for the API account from the MaaS360 email; leave unset until then. Never stored in the state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "api_password_version" {
  description = "Increase (1, 2, ...) whenever api_password is set or changed, to verify the API sign-in again."
  type        = number
  default     = null
}
