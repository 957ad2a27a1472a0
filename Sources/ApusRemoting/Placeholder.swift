// ApusRemoting: placeholder until the module lands.
