"""TLS through the transport, against a real loopback server: a connection verified for one
host never carries a request for another host on the same address."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation.transport import FetchError, Transport, TransportPolicy
from tests.rig.stream_servers import port_of, stream_server

pytestmark = pytest.mark.anyio
DOCUMENT = b'{"id": "https://a.example/doc", "type": "Note"}'


def _certificate(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
async def only_a_example(tmp_path: Path) -> AsyncIterator[tuple[int, str, list[int]]]:
    """A TLS server on loopback whose certificate names a.example only: its port, the CA
    bundle that trusts it, and the number of requests each connection carried."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = _certificate("Test CA", ca_key, ca_name, ca_key, ca=True)  # self-signed
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("a.example", key, ca.subject, ca_key, ca=False)
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    (tmp_path / "leaf.pem").write_bytes(_pem(leaf))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    requests_by_connection: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests_by_connection.append(0)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                requests_by_connection[-1] += 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                    + f"Content-Length: {len(DOCUMENT)}\r\n\r\n".encode()
                    + DOCUMENT
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    # The refused connection's handshake is never finished by the client: without a bound,
    # closing the server waited out asyncio's 60 s default for it.
    listening = {"host": "127.0.0.1", "port": 0, "ssl": context, "ssl_handshake_timeout": 2}
    async with stream_server(serve, **listening) as server:
        yield port_of(server), str(tmp_path / "ca.pem"), requests_by_connection


async def test_a_connection_verified_for_one_host_does_not_serve_another_on_its_address(
    only_a_example: tuple[int, str, list[int]],
) -> None:
    port, bundle, requests_by_connection = only_a_example
    policy = TransportPolicy(
        allow_private_addresses=True,
        static_hosts={"a.example": "127.0.0.1", "b.example": "127.0.0.1"},
        ca_bundle=bundle,
    )
    transport = Transport(policy, user_agent="test")
    try:
        assert await transport.get_json(f"https://a.example:{port}/doc") == {
            "id": "https://a.example/doc",
            "type": "Note",
        }
        # b.example's certificate is not there: its request must fail, not ride on the
        # connection made (and verified) for a.example.
        with pytest.raises(FetchError):
            await transport.get_json(f"https://b.example:{port}/doc")
    finally:
        await transport.aclose()
    assert sum(requests_by_connection) == 1
