// ApusBroker: placeholder until the module lands.
