/*
 * Test-only JWS signer for the wwsf_token tests and benchmark: keys made
 * with OpenSSL, tokens signed in every algorithm the module verifies (and
 * in HS256, to test that it is refused).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef WWSF_TESTSIGN_H
#define WWSF_TESTSIGN_H

#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "wwsf_key.h"

/* ts_alg values: the module's algs plus HS256 for confusion tests */
#define TS_HS256 100

static EVP_PKEY *ts_keygen(int alg)
{
	switch(alg) {
		case WWSF_ALG_ES256:
			return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		case WWSF_ALG_ES384:
			return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		case WWSF_ALG_ES512:
			return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
		case WWSF_ALG_EDDSA:
			return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		default:
			return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	}
}

/* PEM SubjectPublicKeyInfo of k into buf (NUL-terminated); its length */
static size_t ts_pubpem(EVP_PKEY *k, char *buf, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	long n;
	char *p;

	if(!b || !PEM_write_bio_PUBKEY(b, k)) {
		BIO_free(b);
		return 0;
	}
	n = BIO_get_mem_data(b, &p);
	if(n <= 0 || (size_t)n >= cap) {
		BIO_free(b);
		return 0;
	}
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	BIO_free(b);
	return (size_t)n;
}

static size_t ts_b64url(const void *in, size_t n, char *out)
{
	static const char a[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = in;
	size_t i, o = 0;

	for(i = 0; i + 2 < n; i += 3) {
		out[o++] = a[p[i] >> 2];
		out[o++] = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = a[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		out[o++] = a[p[i + 2] & 63];
	}
	if(n - i == 1) {
		out[o++] = a[p[i] >> 2];
		out[o++] = a[(p[i] & 3) << 4];
	} else if(n - i == 2) {
		out[o++] = a[p[i] >> 2];
		out[o++] = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = a[(p[i + 1] & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

static const char *ts_md(int alg)
{
	switch(alg) {
		case WWSF_ALG_ES384:
		case WWSF_ALG_RS384:
		case WWSF_ALG_PS384:
			return "SHA384";
		case WWSF_ALG_ES512:
		case WWSF_ALG_RS512:
		case WWSF_ALG_PS512:
			return "SHA512";
		default:
			return "SHA256";
	}
}

/* JOSE signature of in (ECDSA as raw R||S); 0 on success */
static int ts_sign(EVP_PKEY *k, int alg, const void *in, size_t n,
		unsigned char *sig, size_t *siglen)
{
	unsigned char der[600];
	size_t derlen = sizeof(der);
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if(alg == TS_HS256) {
		/* HMAC keyed with the public key PEM: the confusion attack */
		char pem[4096];
		size_t plen = ts_pubpem(k, pem, sizeof(pem));
		unsigned int l = 0;

		if(!HMAC(EVP_sha256(), pem, (int)plen, in, n, sig, &l))
			return -1;
		*siglen = l;
		return 0;
	}
	ctx = EVP_MD_CTX_new();
	ok = EVP_DigestSignInit_ex(ctx, &pctx,
				 alg == WWSF_ALG_EDDSA ? NULL : ts_md(alg), NULL, NULL, k, NULL)
		 == 1;
	if(ok && alg >= WWSF_ALG_PS256 && alg <= WWSF_ALG_PS512) {
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
			 && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
						== 1;
	}
	ok = ok && EVP_DigestSign(ctx, der, &derlen, in, n) == 1;
	EVP_MD_CTX_free(ctx);
	if(!ok)
		return -1;
	if(alg >= WWSF_ALG_ES256 && alg <= WWSF_ALG_ES512) {
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		size_t half = alg == WWSF_ALG_ES256	  ? 32
					  : alg == WWSF_ALG_ES384 ? 48
											  : 66;

		if(!es)
			return -1;
		BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)half);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, (int)half);
		ECDSA_SIG_free(es);
		*siglen = 2 * half;
		return 0;
	}
	memcpy(sig, der, derlen);
	*siglen = derlen;
	return 0;
}

/* header.payload.signature into out (NUL-terminated); its length or 0 */
static size_t ts_token(char *out, size_t cap, EVP_PKEY *k, int alg,
		const char *header, const char *claims)
{
	unsigned char sig[600];
	size_t o, siglen;

	if(cap < (strlen(header) + strlen(claims)) * 4 / 3 + 1024)
		return 0;
	o = ts_b64url(header, strlen(header), out);
	out[o++] = '.';
	o += ts_b64url(claims, strlen(claims), out + o);
	if(ts_sign(k, alg, out, o, sig, &siglen) < 0)
		return 0;
	out[o++] = '.';
	o += ts_b64url(sig, siglen, out + o);
	return o;
}

#endif
