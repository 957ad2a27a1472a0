// ApusStore: placeholder until the module lands.
