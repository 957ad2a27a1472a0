// ApusNameServer: placeholder until the module lands.
