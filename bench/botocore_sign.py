#!/usr/bin/env python3
"""Sign URLs from stdin with botocore's CloudFrontSigner (on OpenSSL through
`cryptography`), in process, and print one signed URL a line: the reference
cfsign's batch signing is compared against in bench/compare.sh.

usage: botocore_sign.py KEY_PAIR_ID PRIVATE_KEY_PEM EXPIRES_UNIX < urls > signed
"""
import datetime
import sys

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def main():
    key_pair_id, key_path, expires = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)

    def rsa_signer(message):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    signer = CloudFrontSigner(key_pair_id, rsa_signer)
    when = datetime.datetime.fromtimestamp(expires, tz=datetime.timezone.utc)
    out = sys.stdout
    for line in sys.stdin:
        out.write(signer.generate_presigned_url(line.rstrip("\n"), date_less_than=when))
        out.write("\n")


if __name__ == "__main__":
    main()
