"""Writers turn a rendered book into files: one module per output format."""
