"""One parser module per file format, each turning bytes into ``ParsedFile`` objects."""
