variable "script_user_password" {
  description = "The password set for the script user from the MaaS360 email, once known (never stored)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "script_user_password_version" {
  description = "Increase to verify script_user_password again."
  type        = number
  default     = 0
}
