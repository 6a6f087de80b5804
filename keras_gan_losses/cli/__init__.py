"""The `keras-gan-losses` (short: `kgl`) command line."""
