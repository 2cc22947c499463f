"""A WWSF token issuer for tests (3GPP TS 23.228 U.2.1.3: the WWSF hands the
WIC a security token naming its IMS identities). Issues JWTs (JWS compact,
RFC 7515/7519) signed with ES256/384/512, RS256, PS256 or EdDSA, and the
adversarial tokens the eP-CSCF must refuse.

Standard library plus the openssl command line tool (keys and signatures),
so it runs with any Python 3. As a command:

  wwsf_issuer.py keygen ALG DIR/NAME      write NAME.key and NAME.pub (PEM)
  wwsf_issuer.py token KEY ALG --kid K --iss I --aud A --impu U [--impi P]
                 [--ttl S] [--jti J]      print a signed token
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

OPENSSL = 'openssl'

ALG_MD = {'ES256': 'sha256', 'ES384': 'sha384', 'ES512': 'sha512',
          'RS256': 'sha256', 'RS384': 'sha384', 'RS512': 'sha512',
          'PS256': 'sha256', 'PS384': 'sha384', 'PS512': 'sha512'}
EC_CURVE = {'ES256': ('P-256', 32), 'ES384': ('P-384', 48),
            'ES512': ('P-521', 66)}


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def _run(argv, data=None):
    r = subprocess.run(argv, input=data, capture_output=True, check=False)
    if r.returncode != 0:
        raise RuntimeError('%s: %s' % (' '.join(argv), r.stderr.decode()))
    return r.stdout


def _der_ecdsa_to_raw(der, half):
    """ECDSA-Sig-Value (DER SEQUENCE of r, s) -> JOSE R||S (RFC 7518 3.4)."""
    def read(buf, i):
        tag, n = buf[i], buf[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(buf[i:i + k], 'big')
            i += k
        return tag, buf[i:i + n], i + n
    tag, body, _ = read(der, 0)
    assert tag == 0x30
    _, r, i = read(body, 0)
    _, s, _ = read(body, i)
    return (int.from_bytes(r, 'big').to_bytes(half, 'big') +
            int.from_bytes(s, 'big').to_bytes(half, 'big'))


class Key:
    """A private key in a PEM file, bound to one JWS algorithm."""

    def __init__(self, alg, path, kid=None):
        self.alg, self.path, self.kid = alg, path, kid
        self.pub_pem = _run([OPENSSL, 'pkey', '-in', path, '-pubout']).decode()

    @classmethod
    def generate(cls, alg, path, kid=None):
        if alg in EC_CURVE:
            opts = ['-algorithm', 'EC', '-pkeyopt',
                    'ec_paramgen_curve:' + EC_CURVE[alg][0]]
        elif alg == 'EdDSA':
            opts = ['-algorithm', 'ED25519']
        else:
            opts = ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
        _run([OPENSSL, 'genpkey'] + opts + ['-out', path])
        os.chmod(path, 0o600)
        return cls(alg, path, kid)

    @classmethod
    def ed25519_from_seed(cls, seed, path, kid=None):
        """Deterministic Ed25519 key (RFC 8410 PKCS#8 around the seed)."""
        assert len(seed) == 32
        der = bytes.fromhex('302e020100300506032b657004220420') + seed
        pem = ('-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n'
               % base64.b64encode(der).decode())
        with open(path, 'w') as f:
            f.write(pem)
        return cls('EdDSA', path, kid)

    def write_pub(self, path):
        with open(path, 'w') as f:
            f.write(self.pub_pem)
        return path

    def sign(self, data, alg=None):
        alg = alg or self.alg
        if isinstance(data, str):
            data = data.encode()
        if alg.startswith('HS'):
            # the algorithm-confusion attack: the public key as HMAC secret
            return hmac.new(self.pub_pem.encode(), data,
                            getattr(hashlib, 'sha' + alg[2:])).digest()
        if alg == 'EdDSA':
            with tempfile.NamedTemporaryFile() as f:
                f.write(data)
                f.flush()
                return _run([OPENSSL, 'pkeyutl', '-sign', '-inkey', self.path,
                             '-rawin', '-in', f.name])
        argv = [OPENSSL, 'dgst', '-' + ALG_MD[alg], '-sign', self.path]
        if alg.startswith('PS'):
            argv += ['-sigopt', 'rsa_padding_mode:pss',
                     '-sigopt', 'rsa_pss_saltlen:digest']
        sig = _run(argv, data)
        if alg in EC_CURVE:
            sig = _der_ecdsa_to_raw(sig, EC_CURVE[alg][1])
        return sig


def claims(iss, aud, impu, impi=None, ttl=300, now=None, jti=None,
           impu_claim='impu', impi_claim='sub', **extra):
    now = int(time.time()) if now is None else now
    c = {'iss': iss, 'aud': aud, impu_claim: impu, 'iat': now,
         'exp': now + ttl, 'jti': jti or os.urandom(12).hex()}
    if impi is not None:
        c[impi_claim] = impi
    c.update(extra)
    return c


def encode(header, payload):
    """base64url(header) . base64url(payload); dicts are JSON-encoded."""
    h = header if isinstance(header, (bytes, str)) else json.dumps(header)
    p = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return b64u(h) + '.' + b64u(p)


def token(key, payload, alg=None, kid='__key__', header=None):
    """A signed token; kid defaults to the key's kid (None: no kid)."""
    alg = alg or key.alg
    if header is None:
        header = {'alg': alg, 'typ': 'JWT'}
        kid = key.kid if kid == '__key__' else kid
        if kid is not None:
            header['kid'] = kid
    si = encode(header, payload)
    return si + '.' + b64u(key.sign(si, alg))


def adversarial(key, evil_key, good_claims, other_wwsf_key=None):
    """The issue's adversarial set: name -> token. good_claims must be a
    dict valid for key's WWSF; each entry breaks one thing."""
    c = dict(good_claims)
    out = {}
    out['alg_none'] = encode({'alg': 'none', 'typ': 'JWT'}, c) + '.'
    out['alg_none_sig'] = encode({'alg': 'none'}, c) + '.' + b64u(b'x' * 32)
    out['hs256_pubkey'] = token(key, c, alg='HS256')
    out['wrong_key'] = token(evil_key, c, kid=key.kid, alg=key.alg)
    good = token(key, c)
    h, p, s = good.split('.')
    tampered = dict(c, impu='sip:mallory@' + str(c['impu']).split('@')[1]
                    .split("'")[0])
    assert tampered != c
    out['tampered_payload'] = '.'.join([h, b64u(json.dumps(tampered)), s])
    hdr = json.loads(base64.urlsafe_b64decode(h + '=='))
    hdr['typ'] = 'at+jwt'
    out['tampered_header'] = '.'.join([b64u(json.dumps(hdr)), p, s])
    out['truncated'] = good[:-8]
    out['non_base64url'] = '.'.join([h, p[:5] + '+' + p[6:], s])
    out['padded'] = good + '=='
    out['huge'] = token(key, dict(c, pad='x' * 9000))
    now = c['iat']
    out['expired'] = token(key, dict(c, iat=now - 900, exp=now - 300))
    out['future_nbf'] = token(key, dict(c, nbf=now + 600))
    out['wrong_iss'] = token(key, dict(c, iss='https://evil.example'))
    out['wrong_aud'] = token(key, dict(c, aud='https://wwsf.example/app'))
    out['kid_unknown'] = token(key, c, kid='no-such-kid')
    dom = 'evil.example'
    out['identity_outside_domain'] = token(
        key, dict(c, impu='sip:alice@' + dom, sub='alice@' + dom))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('keygen')
    g.add_argument('alg')
    g.add_argument('path', help='DIR/NAME: writes NAME.key and NAME.pub')
    t = sub.add_parser('token')
    t.add_argument('key')
    t.add_argument('alg')
    t.add_argument('--kid')
    t.add_argument('--iss', required=True)
    t.add_argument('--aud', required=True)
    t.add_argument('--impu', required=True, action='append')
    t.add_argument('--impi')
    t.add_argument('--ttl', type=int, default=300)
    t.add_argument('--jti')
    a = ap.parse_args(argv)
    if a.cmd == 'keygen':
        k = Key.generate(a.alg, a.path + '.key')
        k.write_pub(a.path + '.pub')
        print(a.path + '.key', a.path + '.pub')
        return 0
    k = Key(a.alg, a.key, a.kid)
    impu = a.impu[0] if len(a.impu) == 1 else a.impu
    print(token(k, claims(a.iss, a.aud, impu, a.impi, a.ttl, jti=a.jti)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
