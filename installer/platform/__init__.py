"""Facts about the machine the installer runs on."""
