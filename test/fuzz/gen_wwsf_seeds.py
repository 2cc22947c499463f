#!/usr/bin/env python3
"""Seed corpora for fuzz_wwsf_token and fuzz_wwsf_parse: valid tokens signed
with the fuzzer's fixed Ed25519 test key (seed bytes 0..31; the fuzzer
checks that nothing else verifies) and the adversarial set.
Run from anywhere; rewrites corpus/fuzz_wwsf_token/ and fuzz_wwsf_parse/."""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts'))
from epc import wwsf_issuer as wi  # noqa: E402

NOW = 1750000000
ISS, AUD = 'https://wwsf.example', 'sip:ep-cscf.ims.test'


def write(d, name, data):
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    tok_dir = os.path.join(HERE, 'corpus', 'fuzz_wwsf_token')
    par_dir = os.path.join(HERE, 'corpus', 'fuzz_wwsf_parse')
    for d in (tok_dir, par_dir):
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
    with tempfile.TemporaryDirectory() as tmp:
        ed = wi.Key.ed25519_from_seed(bytes(range(32)),
                                      os.path.join(tmp, 'ed.key'), 'fz')
        evil = wi.Key.generate('ES256', os.path.join(tmp, 'evil.key'), 'k1')
        good = wi.claims(ISS, AUD, ['sip:alice@ims.test', 'tel:+15550100'],
                         'alice@ims.test', ttl=600, now=NOW - 10, jti='j1')
        write(tok_dir, 'valid_eddsa', wi.token(ed, good))
        write(tok_dir, 'valid_aud_array',
              wi.token(ed, dict(good, aud=['x', AUD], typ_hint='at')))
        write(tok_dir, 'valid_escapes', wi.token(
            ed, json.dumps(good).replace('/', '\\/').replace('a', '\\u0061', 1)))
        write(tok_dir, 'es256_forged', wi.token(evil, good))
        for name, t in wi.adversarial(ed, evil, good).items():
            write(tok_dir, name, t)
        hdr = json.dumps({'alg': 'EdDSA', 'kid': 'fz'})
        write(par_dir, 'json_header', 'J' + hdr)
        write(par_dir, 'json_claims', 'J' + json.dumps(good))
        write(par_dir, 'json_escapes',
              'J{"a":"\\ud83d\\ude00\\n","b":[1,2.5e3,{"c":null}],"t":true}')
    for name, v in {
            'ident_sip': 'Isip:*@ims.test\nsip:%61lice@IMS.test;user=phone',
            'ident_tel': 'I+1555\ntel:+1-555-0100;phone-context=x',
            'ident_nai': 'Iims.test\nalice.priv@ims.test',
            'ident_v6': 'I*@[::1]\nsips:bob@[2001:db8::1]:5061',
            'cred_bearer': 'CBearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln',
            'cred_bearer_param': 'CBearer access_token="eyJ.e30.c2ln"',
            'cred_digest': 'CDigest username="alice@ims.test", '
                           'realm="ims.test", uri="sip:ims.test", nonce="", '
                           'response="", integrity-protected="auth-done"',
            'b64': 'Bmb29iYXI_-w'}.items():
        write(par_dir, name, v)


if __name__ == '__main__':
    main()
