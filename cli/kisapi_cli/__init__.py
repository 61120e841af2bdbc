"""``kisapi``: the command line, built from the API registry (``kisapi --help``)."""
