# Whether a username is already taken (the only fact about an administrator MaaS360's public API
# returns): for example, to check that a replaced account was removed in the portal.
data "maas360_administrator" "old_account" {
  username = "TechSafe_SO"
}

output "old_account_still_exists" {
  value = data.maas360_administrator.old_account.exists
}
