# TechSafe (IBM MaaS360): the "script only" API administrator TechSafe asks for.
# See README.md for which TechSafe requirement each line meets.

terraform {
  required_version = ">= 1.11"
  required_providers {
    maas360 = { source = "mdmkit/maas360" }
  }
}

# Signs in as an administrator allowed to create administrators (Service Administrator), with the
# instance's web-services access key. Everything comes from the MAAS360_* environment variables:
# MAAS360_INSTANCE (or MAAS360_BASE_URL), MAAS360_BILLING_ID, MAAS360_APP_ID,
# MAAS360_APP_ACCESS_KEY, MAAS360_USERNAME, MAAS360_PASSWORD.
provider "maas360" {}

resource "maas360_script_user" "techsafe" {
  # TechSafe recommends <Customer>_SO, e.g. Acme_SO.
  username = "${var.customer}_SO"
  # Notifications and the set-password link go here.
  email = var.notification_email
  # "Administrator" for passcode reset, wipe and hide device; "Read-Only" for a view without device actions.
  # Changing it later means a new administrator (this resource is replaced).
  roles = [var.role]

  # Once the password is set from the email and the account is converted to Script Only in the
  # portal (the warning after creation lists both steps), pass the password here and bump the
  # version: apply then checks that the account can sign in to the API. It is never stored.
  password_wo         = var.api_password
  password_wo_version = var.api_password_version
}
