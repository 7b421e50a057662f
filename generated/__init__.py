"""Code generated from spec/ and contracts/ by `make generate`; never edited by hand."""
