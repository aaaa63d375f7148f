"""A throw-away test PKI for request-verification tests (real RSA keys, real X.509).

``TestPKI()`` makes a root CA, an intermediate CA and a leaf for ``echo-api.amazon.com``
shaped like Amazon's signing certificate (RSA 2048, SHA-256, keyUsage digitalSignature,
EKU serverAuth+clientAuth).  ``pki.leaf(...)`` issues further leaves (expired, wrong SAN,
...).  ``pki.sign(body)`` returns the ``Signature-256`` header value for a body.

Keys are generated once per process and reused: RSA key generation is the slow part.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALEXA_SAN = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


@functools.cache
def rsa_key(slot: str) -> rsa.RSAPrivateKey:
    """One cached 2048-bit key per name (``root``, ``inter``, ``leaf``, ``rogue``...)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Halsporre Test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _ski(key: rsa.RSAPrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def make_ca(
    cn: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> x509.Certificate:
    """A CA certificate: self-signed root when ``issuer`` is None, else an intermediate."""
    now = _now()
    issuer_name = issuer[0].subject if issuer else _name(cn)
    issuer_key = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=30))
        .not_valid_after(not_after or now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_leaf(
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    key: rsa.RSAPrivateKey,
    *,
    san: str = ALEXA_SAN,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    digital_signature: bool = True,
) -> x509.Certificate:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(san))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature, content_commitment=False,
                key_encipherment=True, data_encipherment=False, key_agreement=False,
                key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .add_extension(_ski(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def sign(key: rsa.RSAPrivateKey, body: bytes, algorithm: hashes.HashAlgorithm | None = None) -> str:
    """Base64 RSA PKCS#1 v1.5 signature over ``body`` (SHA-256 unless told otherwise)."""
    sig = key.sign(body, padding.PKCS1v15(), algorithm or hashes.SHA256())
    return base64.b64encode(sig).decode("ascii")


@dataclass
class TestPKI:
    """Root -> intermediate -> leaf(echo-api.amazon.com).  ``chain_pem`` is what S3 serves."""

    __test__ = False  # not a pytest test class

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    inter_key: rsa.RSAPrivateKey
    inter: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    leaf_cert: x509.Certificate

    def __init__(self, prefix: str = "") -> None:
        self.root_key = rsa_key(prefix + "root")
        self.root = make_ca(prefix + "Test Root CA", self.root_key)
        self.inter_key = rsa_key(prefix + "inter")
        self.inter = make_ca(prefix + "Test Intermediate CA", self.inter_key,
                             (self.root, self.root_key))
        self.leaf_key = rsa_key(prefix + "leaf")
        self.leaf_cert = self.leaf()

    def leaf(self, **kwargs) -> x509.Certificate:
        """Issue a leaf from the intermediate with this PKI's leaf key (see ``make_leaf``)."""
        return make_leaf(self.inter, self.inter_key, self.leaf_key, **kwargs)

    def chain_pem(self, leaf: x509.Certificate | None = None) -> bytes:
        return pem(leaf or self.leaf_cert, self.inter)

    def sign(self, body: bytes, algorithm: hashes.HashAlgorithm | None = None) -> str:
        return sign(self.leaf_key, body, algorithm)


SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"


def envelope(
    *,
    skill_id: str = SKILL_ID,
    age_s: float = 0.0,
    request_type: str = "LaunchRequest",
    timestamp: str | None = None,
    request_id: str | None = None,
) -> bytes:
    """A real-shaped Alexa request envelope as raw JSON bytes, ``age_s`` seconds old, with a
    fresh ``requestId`` unless one is given (a repeated one is refused as a replay)."""
    import json
    import uuid

    ts = timestamp or (_now() - dt.timedelta(seconds=age_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    app = {"applicationId": skill_id}
    user = {"userId": "amzn1.ask.account.TEST"}
    body = {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.TEST",
                    "application": app, "user": user},
        "context": {"System": {"application": app, "user": user,
                               "device": {"deviceId": "amzn1.ask.device.TEST",
                                          "supportedInterfaces": {}},
                               "apiEndpoint": "https://api.amazonalexa.com"}},
        "request": {"type": request_type,
                    "requestId": request_id or f"amzn1.echo-api.request.{uuid.uuid4()}",
                    "timestamp": ts, "locale": "en-US"},
    }
    if request_type.startswith("AlexaSkillEvent."):
        body["request"]["eventCreationTime"] = ts
        body["request"]["eventPublishingTime"] = ts
    return json.dumps(body).encode("utf-8")


def headers(pki: TestPKI, body: bytes, url: str = CERT_URL) -> dict[str, str]:
    """Headers Alexa would send for ``body`` signed by ``pki``'s leaf key."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "SignatureCertChainUrl": url,
        "Signature-256": pki.sign(body),
    }
