// ApusClient: placeholder until the module lands.
