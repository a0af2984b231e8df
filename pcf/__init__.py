"""Product carbon footprint platform: domain core, adapters and use cases."""
