import {
  to = maas360_script_user.techsafe
  id = "TechSafe_SO_RO"
}
