"""Meter sources: one class per protocol, each a ``pcf.edge.readings.MeterSource``.

``registers`` holds the protocol-free register map and decoding; ``modbus`` the Modbus TCP
source (needs the ``edge`` extra, pymodbus). A new protocol (MQTT, OPC UA) is a new module
here with a class that implements ``read()`` and ``close()``.
"""
