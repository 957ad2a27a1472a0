// ApusGroups: placeholder until the module lands.
