"""Domain core: pure computation, no I/O, no AWS."""
