"""``stadskamer certs init``: a development CA with server and client certificates for mTLS.

Under ``<data-dir>/tls``: ``ca.pem`` (and its key ``ca.key``), ``server.pem``/``server.key``
for the services (names ``localhost`` and ``127.0.0.1`` plus any ``--host``; usable for both
sides, so a service can also present it to a peer) and ``gateway.pem``/``gateway.key``, the
gateway's client certificate. Keys are ECDSA P-256. Every file has mode 0600 and the folders
0700 (looser ones found there are tightened). Existing files are kept. For development and
tests only: production takes certificates from its own PKI.
"""

from __future__ import annotations

import argparse
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stadskamer.common.file_modes import private_tree
from stadskamer.common.keys import read_private, write_private

DEFAULT_HOSTS = ("localhost", "127.0.0.1")
VALID_DAYS = 825


@dataclass(frozen=True)
class TlsLayout:
    """Where ``certs init`` writes its files."""

    folder: Path

    @classmethod
    def under(cls, data_dir: Path) -> TlsLayout:
        """The layout below a data folder."""
        return cls(data_dir / "tls")

    def pair(self, name: str) -> tuple[Path, Path]:
        """The certificate and key file of ``ca``, ``server`` or ``gateway``."""
        return self.folder / f"{name}.pem", self.folder / f"{name}.key"


def add_parsers(commands: argparse._SubParsersAction, data_dir: Path) -> None:  # type: ignore[type-arg]
    """Register the ``certs`` command group."""
    certs = commands.add_parser("certs", help="development certificates for mutual TLS")
    actions = certs.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="create a development CA, server and client certs")
    init.add_argument("--data-dir", type=Path, default=data_dir)
    init.add_argument("--host", action="append", default=[], help="another server name or IP")
    init.set_defaults(handler=run_init)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stadskamer (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _alternative(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(path, pem)
    return key


def _sign(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    usages: list[x509.ObjectIdentifier],
    hosts: tuple[str, ...] = (),
) -> x509.Certificate:
    now = datetime.now(UTC)
    issuer_name, issuer_key = issuer if issuer else (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_alternative(h) for h in hosts]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _load_ca(layout: TlsLayout) -> tuple[x509.Name, ec.EllipticCurvePrivateKey]:
    cert_file, key_file = layout.pair("ca")
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    key = serialization.load_pem_private_key(read_private(key_file), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_file} is not an EC private key")
    return cert.subject, key


def init_certificates(data_dir: Path, hosts: tuple[str, ...] = DEFAULT_HOSTS) -> list[Path]:
    """Make ``data_dir`` private, create every missing file of the layout; return those."""
    private_tree(data_dir)
    layout = TlsLayout.under(data_dir)
    created: list[Path] = []
    ca_cert, ca_key = layout.pair("ca")
    if not ca_cert.exists():
        key = _write_key(ca_key)
        ca = _sign("Stadskamer development CA", key, None, [])
        write_private(ca_cert, ca.public_bytes(serialization.Encoding.PEM))
        created += [ca_cert, ca_key]
    issuer = _load_ca(layout)
    both = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    for name, usages, names in (
        ("server", both, hosts),
        ("gateway", [ExtendedKeyUsageOID.CLIENT_AUTH], ()),
    ):
        cert_file, key_file = layout.pair(name)
        if cert_file.exists():
            continue
        key = _write_key(key_file)
        cert = _sign(f"stadskamer-{name}", key, issuer, usages, names)
        write_private(cert_file, cert.public_bytes(serialization.Encoding.PEM))
        created += [cert_file, key_file]
    return created


def run_init(options: argparse.Namespace) -> int:
    """Create the development CA and certificates."""
    hosts = tuple(dict.fromkeys([*DEFAULT_HOSTS, *options.host]))
    created = init_certificates(options.data_dir, hosts)
    for path in created:
        print(f"created {path}")
    if not created:
        print(f"all certificates already exist under {TlsLayout.under(options.data_dir).folder}")
    return 0
