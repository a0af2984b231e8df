"""The edge: reading meters, turning counters into windows, sending them on. Runs as the
Greengrass component in the cloud and as a plain process locally."""
