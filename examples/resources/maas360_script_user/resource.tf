# The API-only administrator an integration such as TechSafe asks for. Creating it sends the
# set-password email; two portal steps follow (the apply prints them as a warning).
resource "maas360_script_user" "techsafe" {
  # Put the role in the username: a change of role replaces the account, and the new one needs a
  # name the old account (removed by hand in the portal) does not hold.
  username = "TechSafe_SO_RO"
  email    = "mdm-team@example.com"
  roles    = ["Read-Only"]

  # Once the password is set from the email: pass it here (write-only, never stored) and increase
  # the version; the next apply checks that the account can sign in to the API.
  password_wo         = var.techsafe_password
  password_wo_version = 1
}

variable "techsafe_password" {
  description = "The password set from the MaaS360 email for TechSafe_SO_RO."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# What the vendor is handed, with the password (over a secure channel).
output "techsafe_api_account" {
  value = {
    billing_id = maas360_script_user.techsafe.billing_id
    username   = maas360_script_user.techsafe.username
    verified   = maas360_script_user.techsafe.api_access_verified
  }
}
