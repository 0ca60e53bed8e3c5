# Adopt an administrator created by hand in the portal, by username or <billing_id>/<username>.
# After an import, the configured email, roles and names are adopted without a replacement.
terraform import maas360_script_user.techsafe TechSafe_SO_RO
terraform import maas360_script_user.techsafe 1234567/TechSafe_SO_RO
