"""Sample data: the METHOD.md worked example and a seeded synthetic factory."""
