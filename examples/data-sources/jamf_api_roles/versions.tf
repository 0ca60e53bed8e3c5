# Not shown in the docs: lets this directory be validated on its own.
terraform {
  required_providers {
    jamf = {
      source = "mdmkit/jamf"
    }
  }
}
