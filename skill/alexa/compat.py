"""Make ``import flask_ask_sdk`` work where oscrypto cannot read the OpenSSL version.

Why: flask-ask-sdk 1.0.0 -> ask-sdk-webservice-support 1.3.3 imports ``certvalidator``
0.11.1, which imports oscrypto 1.3.0.  oscrypto parses the libcrypto version with the regex
``\\d\\.\\d\\.\\d``; "OpenSSL 3.0.19" (any patch >= 10) does not match, so importing it raises
``LibraryNotFoundError('Error detecting the version of libcrypto')``.  The fix was never
released.  ask-sdk-webservice-support uses exactly one certvalidator call::

    CertificateValidator(leaf_der, [intermediate_der, ...]).validate_usage(
        key_usage={"digital_signature"})

and catches ``certvalidator.errors.ValidationError`` / ``PathError``.

What: :func:`ensure_flask_ask_sdk_importable` first tries the real ``certvalidator``.  Only
if that import fails with oscrypto's version-detection error does it register a small
replacement as ``certvalidator`` / ``certvalidator.errors`` in ``sys.modules`` (any other
import error is re-raised).  It is idempotent and logs one WARNING when it installs.

What the replacement checks (``validate_usage``), all with ``cryptography``'s X.509 path
validation (``cryptography.x509.verification``, RFC 5280 + CA/B Forum profile):

* a path exists from the leaf, through the given intermediates, to a root in certifi's
  Mozilla CA bundle (the real certvalidator used the OS trust store - on Debian the same
  Mozilla list); signatures on every link are verified;
* every certificate in the path is inside its validity window *now*;
* CA certificates have basicConstraints CA=true, keyCertSign, path-length and name
  constraints are honoured; the leaf is not a CA; chain depth at most 8;
* unknown critical extensions anywhere in the path are rejected;
* only SHA-256/384/512 RSA (PKCS#1 v1.5 / PSS) and ECDSA signatures on certificates, and
  RSA issuer keys >= 2048 bits (certvalidator rejected only MD2/MD5/SHA-1 signatures);
* the leaf has a keyUsage extension containing every requested bit (for the SDK:
  digitalSignature) - a missing extension fails, as in certvalidator;
* if ``extended_key_usage`` is requested, the same rule as certvalidator.

Not checked, as in certvalidator's defaults used by the SDK: revocation (no CRL/OCSP fetch)
and extended key usage when not requested.  Hostname/SAN is checked by the SDK's own
``RequestVerifier`` afterwards.  A caller-supplied ``validation_context`` cannot be
honoured and raises ``NotImplementedError`` (fail closed) rather than being ignored.
So the replacement is never weaker than the original; in places it is stricter.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
import types
import warnings

log = logging.getLogger(__name__)

_SHIM_MARKER = "__halsporre_certvalidator_shim__"


# -- the replacement's exceptions (same names and hierarchy as certvalidator.errors) --------

class PathError(Exception):
    """No certificate path could be built."""


class PathBuildingError(PathError):
    pass


class ValidationError(Exception):
    """A path was found but is not valid."""


class PathValidationError(ValidationError):
    pass


class InvalidCertificateError(PathValidationError):
    pass


_KEY_USAGE_ATTRS = {
    "digital_signature": "digital_signature",
    "non_repudiation": "content_commitment",
    "key_encipherment": "key_encipherment",
    "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement",
    "key_cert_sign": "key_cert_sign",
    "crl_sign": "crl_sign",
    "encipher_only": "encipher_only",
    "decipher_only": "decipher_only",
}

_EKU_NAMES = {
    "server_auth": "1.3.6.1.5.5.7.3.1",
    "client_auth": "1.3.6.1.5.5.7.3.2",
    "code_signing": "1.3.6.1.5.5.7.3.3",
    "email_protection": "1.3.6.1.5.5.7.3.4",
    "time_stamping": "1.3.6.1.5.5.7.3.8",
    "ocsp_signing": "1.3.6.1.5.5.7.3.9",
}


@functools.cache
def certifi_store():
    """``cryptography`` Store of certifi's roots (loaded once)."""
    import certifi
    from cryptography.utils import CryptographyDeprecationWarning
    from cryptography.x509 import load_pem_x509_certificates
    from cryptography.x509.verification import Store

    with open(certifi.where(), "rb") as fh, warnings.catch_warnings():
        # one bundled root has a non-positive serial; that is certifi's, not a request's
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return Store(load_pem_x509_certificates(fh.read()))


def _load_cert(data):
    from cryptography import x509

    if hasattr(data, "dump"):  # an asn1crypto Certificate
        data = data.dump()
    if not isinstance(data, bytes):
        raise TypeError(f"certificate must be DER/PEM bytes, not {type(data).__name__}")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ValidationError(f"unparseable certificate: {exc}") from exc


def _leaf_policy():
    """webpki end-entity defaults, except EKU is not required (certvalidator did not ask)."""
    from cryptography import x509
    from cryptography.x509.verification import Criticality, ExtensionPolicy

    return ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None
    )


class CertificateValidator:
    """Drop-in for ``certvalidator.CertificateValidator`` backed by ``cryptography``."""

    #: trust store; a ``cryptography.x509.verification.Store``; None = certifi
    trust_store = None

    def __init__(self, end_entity_cert, intermediate_certs=None, validation_context=None):
        if validation_context is not None:
            raise NotImplementedError(
                "halsporre's certvalidator replacement does not support validation_context"
            )
        self._leaf_data = end_entity_cert
        self._intermediate_data = list(intermediate_certs or [])

    def validate_usage(self, key_usage, extended_key_usage=None, extended_optional=False):
        from cryptography.x509.verification import (
            ExtensionPolicy,
            PolicyBuilder,
            VerificationError,
        )

        leaf = _load_cert(self._leaf_data)
        intermediates = [_load_cert(c) for c in self._intermediate_data]
        verifier = (
            PolicyBuilder()
            .store(self.trust_store or certifi_store())
            .time(dt.datetime.now(dt.UTC))
            .extension_policies(
                ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_leaf_policy()
            )
            .build_client_verifier()
        )
        try:
            verified = verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            raise PathValidationError(f"certificate path is not valid: {exc}") from exc

        missing = _missing_key_usage(leaf, key_usage) | _missing_extended_usage(
            leaf, extended_key_usage, extended_optional)
        if missing:
            raise InvalidCertificateError(
                "The X.509 certificate provided is not valid for the purpose(s) of "
                + ", ".join(sorted(missing))
            )
        return verified.chain


def _missing_key_usage(leaf, key_usage) -> set[str]:
    from cryptography import x509

    missing = set(key_usage or ())
    try:
        ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return missing
    for name in list(missing):
        try:
            if getattr(ku, _KEY_USAGE_ATTRS[name]):
                missing.discard(name)
        except ValueError:  # encipher_only/decipher_only without key_agreement
            pass
    return missing


def _missing_extended_usage(leaf, extended_key_usage, extended_optional) -> set[str]:
    from cryptography import x509

    wanted = {_EKU_NAMES.get(n, n) for n in (extended_key_usage or ())}
    if not wanted:
        return set()
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return set() if extended_optional else wanted
    return wanted - {oid.dotted_string for oid in eku}


# -- installation ---------------------------------------------------------------------------

def _is_oscrypto_version_error(exc: BaseException) -> bool:
    try:
        from oscrypto.errors import LibraryNotFoundError
    except Exception:  # oscrypto absent or broken differently: not our case
        return False
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, LibraryNotFoundError) and "version" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def shim_installed() -> bool:
    return getattr(sys.modules.get("certvalidator"), _SHIM_MARKER, False)


def ensure_flask_ask_sdk_importable() -> bool:
    """Make ``certvalidator`` importable; return True if the replacement is in use."""
    if shim_installed():
        return True
    try:
        import certvalidator  # noqa: F401
        return False
    except Exception as exc:
        if not _is_oscrypto_version_error(exc):
            raise
        reason = str(exc)

    # drop half-imported leftovers of the real package
    for name in [n for n in sys.modules if n == "certvalidator" or n.startswith("certvalidator.")]:
        del sys.modules[name]

    errors = types.ModuleType("certvalidator.errors", "halsporre replacement (skill.alexa.compat)")
    for cls in (PathError, PathBuildingError, ValidationError, PathValidationError,
                InvalidCertificateError):
        setattr(errors, cls.__name__, cls)
    pkg = types.ModuleType("certvalidator", __doc__)
    pkg.__path__ = []  # a package, so "certvalidator.errors" resolves
    pkg.__dict__.update(CertificateValidator=CertificateValidator, errors=errors)
    setattr(pkg, _SHIM_MARKER, True)
    sys.modules["certvalidator.errors"] = errors
    sys.modules["certvalidator"] = pkg
    log.warning(
        "certvalidator unusable (%s); using skill.alexa.compat's cryptography-based "
        "replacement", reason
    )
    return True
