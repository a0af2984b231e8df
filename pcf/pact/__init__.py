"""PACT: our footprints as PACT ProductFootprints (v3.0, v2.3) and the PACT API v3."""
