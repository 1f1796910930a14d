"""Credential files for the authentication tests: secrets written with a given mode, and
self-signed certificates as the daemon reads them (key and certificate in one PEM) and the
emulator checks them (the certificate alone)."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def write_private(path, data, mode=0o600):
    """Writes data (str or bytes) to path with this mode; returns path."""
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    path.chmod(mode)
    return path


def self_signed(common_name, valid_since=datetime.timedelta(minutes=5), valid_for=datetime.timedelta(days=1)):
    """(RSA private key, certificate) for common_name, valid from valid_since ago for valid_for."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - valid_since)
            .not_valid_after(now + valid_for).sign(key, hashes.SHA256()))
    return key, cert


def write_certificate(d, name, common_name):
    """Writes d/<name>.pem (key and certificate, 0600) and d/<name>.crt (the certificate);
    returns both paths."""
    key, cert = self_signed(common_name)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    both = write_private(d / ("%s.pem" % name), key_pem + cert_pem)
    public = d / ("%s.crt" % name)
    public.write_bytes(cert_pem)
    return both, public
