"""Input file formats: definitions, reading and validation."""
