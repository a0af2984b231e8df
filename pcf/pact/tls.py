"""TLS for the local server: PACT is HTTPS only, so the local server needs a certificate.
Given one, it is used; else a self-signed one is made (``cryptography``) for the names
the server answers to, and kept beside its key (mode 0600) for the next start."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEFAULT_TLS_DIR = Path("var/tls")
SELF_SIGNED_DAYS = 365


@dataclass(frozen=True)
class TlsFiles:
    certificate: Path  # PEM
    private_key: Path  # PEM, unencrypted

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificate, self.private_key)
        return context


def self_signed_certificate(
    directory: Path = DEFAULT_TLS_DIR, hosts: Sequence[str] = ("localhost", "127.0.0.1")
) -> TlsFiles:
    """``directory``/server.crt and server.key: made (P-256, valid a year, the ``hosts``
    as subject alternative names) unless both are there already."""
    files = TlsFiles(directory / "server.crt", directory / "server.key")
    if files.certificate.exists() and files.private_key.exists():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(files.private_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key_pem)
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return files


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
