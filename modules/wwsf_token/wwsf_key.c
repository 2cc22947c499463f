/*
 * Copyright (C) 2026 The eP-CSCF modules authors
 *
 * This file is part of the eP-CSCF modules for Kamailio.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the Free
 * Software Foundation; either version 2 of the License, or (at your option)
 * any later version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "epc_wwsf_registry.h"
#include "wwsf_key.h"

/* clang-format off */
static const struct
{
	const char *md;     /* digest, NULL for EdDSA */
	const char *group;  /* EC curve (OpenSSL name), NULL otherwise */
	size_t ec_half;     /* bytes of R (and of S) in a JOSE ECDSA signature */
	int pss;
} alg_tab[WWSF_ALG_COUNT] = {
	[WWSF_ALG_INVALID] = {NULL, NULL, 0, 0},
	[WWSF_ALG_ES256] = {"SHA256", "prime256v1", 32, 0},
	[WWSF_ALG_ES384] = {"SHA384", "secp384r1", 48, 0},
	[WWSF_ALG_ES512] = {"SHA512", "secp521r1", 66, 0},
	[WWSF_ALG_RS256] = {"SHA256", NULL, 0, 0},
	[WWSF_ALG_RS384] = {"SHA384", NULL, 0, 0},
	[WWSF_ALG_RS512] = {"SHA512", NULL, 0, 0},
	[WWSF_ALG_PS256] = {"SHA256", NULL, 0, 1},
	[WWSF_ALG_PS384] = {"SHA384", NULL, 0, 1},
	[WWSF_ALG_PS512] = {"SHA512", NULL, 0, 1},
	[WWSF_ALG_EDDSA] = {NULL, NULL, 0, 0},
};
/* clang-format on */

_Static_assert(WWSF_ALG_BIT(WWSF_ALG_ES256) == EPC_JWS_ES256
					   && WWSF_ALG_BIT(WWSF_ALG_RS256) == EPC_JWS_RS256
					   && WWSF_ALG_BIT(WWSF_ALG_PS512) == EPC_JWS_PS512
					   && WWSF_ALG_BIT(WWSF_ALG_EDDSA) == EPC_JWS_EDDSA,
		"wwsf_alg order follows the EPC_JWS_* bits");

#define ALG_IS_EC(a) ((a) >= WWSF_ALG_ES256 && (a) <= WWSF_ALG_ES512)
#define ALG_IS_RSA(a) ((a) >= WWSF_ALG_RS256 && (a) <= WWSF_ALG_PS512)

int wwsf_alg_from_bit(unsigned bit)
{
	int a;

	for(a = WWSF_ALG_ES256; a < WWSF_ALG_COUNT; a++) {
		if(WWSF_ALG_BIT(a) == bit)
			return a;
	}
	return WWSF_ALG_INVALID;
}

int wwsf_alg_from_name(epc_span_t name)
{
	/* one table of names, in lib/ (case-sensitive, RFC 7515 sec 4.1.1) */
	return wwsf_alg_from_bit(epc_jws_alg_from_name(name));
}

const char *wwsf_alg_name(int alg)
{
	const char *n = NULL;

	if(alg > WWSF_ALG_INVALID && alg < WWSF_ALG_COUNT)
		n = epc_jws_alg_name(WWSF_ALG_BIT(alg));
	return n ? n : "?";
}

void wwsf_key_free(wwsf_key_t *k)
{
	if(!k)
		return;
	EVP_MD_CTX_free(k->mdctx);
	EVP_MD_free(k->md);
	EVP_PKEY_CTX_free(k->vctx);
	EVP_PKEY_free(k->pkey);
	EVP_MD_free(k->memo_md);
	EVP_MD_CTX_free(k->memo_ctx);
	OPENSSL_free(k->memo);
	memset(k, 0, sizeof(*k));
}

int wwsf_key_memo_init(wwsf_key_t *k, size_t n)
{
	size_t p = 1;

	OPENSSL_free(k->memo);
	k->memo = NULL;
	k->memo_n = 0;
	if(n == 0)
		return WWSF_KEY_OK;
	if(n > WWSF_MEMO_MAX)
		n = WWSF_MEMO_MAX;
	while(p < n || p < 2)
		p <<= 1;
	if(!k->memo_md)
		k->memo_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if(!k->memo_ctx) /* not mdctx: EdDSA binds that one to the key */
		k->memo_ctx = EVP_MD_CTX_new();
	k->memo = OPENSSL_zalloc(p * WWSF_MEMO_TAG);
	if(!k->memo_md || !k->memo_ctx || !k->memo) {
		OPENSSL_free(k->memo);
		k->memo = NULL;
		ERR_clear_error();
		return WWSF_KEY_E_CRYPTO;
	}
	k->memo_n = p;
	return WWSF_KEY_OK;
}

/* The memo tag of a signature: SHA-256 over alg, the lengths and the bytes
 * (lengths first: no two (input, signature) pairs share a tag). */
static int memo_tag(wwsf_key_t *k, epc_span_t in, const unsigned char *sig,
		size_t siglen, unsigned char *tag)
{
	unsigned char hdr[1 + 2 * sizeof(uint64_t)];
	uint64_t l[2] = {(uint64_t)in.len, (uint64_t)siglen};
	unsigned int tlen = 0;

	hdr[0] = (unsigned char)k->alg;
	memcpy(hdr + 1, l, sizeof(l));
	return EVP_DigestInit_ex2(k->memo_ctx, k->memo_md, NULL) == 1
		   && EVP_DigestUpdate(k->memo_ctx, hdr, sizeof(hdr)) == 1
		   && EVP_DigestUpdate(k->memo_ctx, in.s, in.len) == 1
		   && EVP_DigestUpdate(k->memo_ctx, sig, siglen) == 1
		   && EVP_DigestFinal_ex(k->memo_ctx, tag, &tlen) == 1
		   && tlen == WWSF_MEMO_TAG;
}

/* The memo is 2-way set associative: a set is two adjacent entries, the
 * newer first (two tokens that hash alike do not evict each other). */
static size_t memo_set(const wwsf_key_t *k, const unsigned char *tag)
{
	uint32_t h;

	memcpy(&h, tag, sizeof(h));
	return h & (k->memo_n - 1) & ~(size_t)1;
}

static EVP_PKEY *pem_to_pkey(epc_span_t pem)
{
	EVP_PKEY *pkey = NULL;
	X509 *x;
	BIO *bio;

	if(pem.len == 0 || pem.len > 64 * 1024)
		return NULL;
	bio = BIO_new_mem_buf(pem.s, (int)pem.len);
	if(!bio)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if(!pkey) {
		(void)BIO_reset(bio);
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if(x) {
			pkey = X509_get_pubkey(x);
			X509_free(x);
		}
	}
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

/* Does pkey fit alg (type, curve, size)? */
static int key_fits(EVP_PKEY *pkey, int alg)
{
	char group[64];
	size_t glen = 0;

	if(ALG_IS_EC(alg)) {
		if(!EVP_PKEY_is_a(pkey, "EC")
				|| !EVP_PKEY_get_utf8_string_param(pkey,
						OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)
				|| strcmp(group, alg_tab[alg].group) != 0)
			return WWSF_KEY_E_TYPE;
		return WWSF_KEY_OK;
	}
	if(ALG_IS_RSA(alg)) {
		if(!EVP_PKEY_is_a(pkey, "RSA")
				&& !(alg_tab[alg].pss && EVP_PKEY_is_a(pkey, "RSA-PSS")))
			return WWSF_KEY_E_TYPE;
		if(EVP_PKEY_get_bits(pkey) < WWSF_RSA_MIN_BITS)
			return WWSF_KEY_E_WEAK;
		return WWSF_KEY_OK;
	}
	if(alg == WWSF_ALG_EDDSA) {
		if(!EVP_PKEY_is_a(pkey, "ED25519") && !EVP_PKEY_is_a(pkey, "ED448"))
			return WWSF_KEY_E_TYPE;
		return WWSF_KEY_OK;
	}
	return WWSF_KEY_E_ARG;
}

/* The per-key verification context: EVP_PKEY_verify over a digest. */
static int key_prepare(wwsf_key_t *k)
{
	k->mdctx = EVP_MD_CTX_new();
	if(!k->mdctx)
		return WWSF_KEY_E_CRYPTO;
	if(k->alg == WWSF_ALG_EDDSA)
		return WWSF_KEY_OK;
	k->md = EVP_MD_fetch(NULL, alg_tab[k->alg].md, NULL);
	k->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if(!k->md || !k->vctx || EVP_PKEY_verify_init(k->vctx) <= 0
			|| EVP_PKEY_CTX_set_signature_md(k->vctx, k->md) <= 0)
		return WWSF_KEY_E_CRYPTO;
	if(ALG_IS_RSA(k->alg)) {
		/* RFC 7518 sec 3.5: MGF1 with the same hash, salt = hash size */
		if(alg_tab[k->alg].pss) {
			if(EVP_PKEY_CTX_set_rsa_padding(k->vctx, RSA_PKCS1_PSS_PADDING) <= 0
					|| EVP_PKEY_CTX_set_rsa_mgf1_md(k->vctx, k->md) <= 0
					|| EVP_PKEY_CTX_set_rsa_pss_saltlen(
							   k->vctx, RSA_PSS_SALTLEN_DIGEST)
							   <= 0)
				return WWSF_KEY_E_CRYPTO;
		} else if(EVP_PKEY_CTX_set_rsa_padding(k->vctx, RSA_PKCS1_PADDING)
				  <= 0) {
			return WWSF_KEY_E_CRYPTO;
		}
	}
	return WWSF_KEY_OK;
}

int wwsf_key_load_pem(wwsf_key_t *k, epc_span_t pem, int alg, epc_span_t kid)
{
	int rc;

	memset(k, 0, sizeof(*k));
	if(alg <= WWSF_ALG_INVALID || alg >= WWSF_ALG_COUNT
			|| kid.len > sizeof(k->kid))
		return WWSF_KEY_E_ARG;
	k->pkey = pem_to_pkey(pem);
	if(!k->pkey)
		return WWSF_KEY_E_PARSE;
	rc = key_fits(k->pkey, alg);
	if(rc != WWSF_KEY_OK)
		goto error;
	k->alg = alg;
	if(kid.len)
		memcpy(k->kid, kid.s, kid.len);
	k->kid_len = kid.len;
	rc = key_prepare(k);
	if(rc != WWSF_KEY_OK)
		goto error;
	return WWSF_KEY_OK;
error:
	ERR_clear_error();
	wwsf_key_free(k);
	return rc;
}

/* DER INTEGER of an unsigned big-endian number; @return bytes written */
static size_t der_uint(const unsigned char *v, size_t n, unsigned char *out)
{
	size_t o = 0;

	while(n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	out[o++] = 0x02;
	out[o++] = (unsigned char)(n + (v[0] & 0x80 ? 1 : 0));
	if(v[0] & 0x80)
		out[o++] = 0x00;
	memcpy(out + o, v, n);
	return o + n;
}

static int all_zero(const unsigned char *v, size_t n)
{
	unsigned char acc = 0;
	size_t i;

	for(i = 0; i < n; i++)
		acc |= v[i];
	return acc == 0;
}

int wwsf_ecdsa_raw_to_der(
		const unsigned char *raw, size_t rawlen, unsigned char *der, size_t cap)
{
	unsigned char body[2 * (3 + 66)];
	size_t half = rawlen / 2, blen, hdr;

	if(rawlen == 0 || rawlen % 2 || half > 66)
		return -1;
	/* r = 0 or s = 0 is never valid (the "psychic signature" bug) */
	if(all_zero(raw, half) || all_zero(raw + half, half))
		return -1;
	blen = der_uint(raw, half, body);
	blen += der_uint(raw + half, half, body + blen);
	hdr = blen < 128 ? 2 : 3;
	if(hdr + blen > cap)
		return -1;
	der[0] = 0x30;
	if(blen < 128) {
		der[1] = (unsigned char)blen;
	} else {
		der[1] = 0x81;
		der[2] = (unsigned char)blen;
	}
	memcpy(der + hdr, body, blen);
	return (int)(hdr + blen);
}

static int key_verify(wwsf_key_t *k, epc_span_t signing_input,
		const unsigned char *sig, size_t siglen)
{
	unsigned char dgst[EVP_MAX_MD_SIZE], der[160];
	unsigned int dlen = 0;
	int derlen, ok;

	if(!k || !k->pkey || !k->mdctx)
		return -1; /* never "verify" without a key */
	if(k->alg == WWSF_ALG_EDDSA) {
		ok = EVP_DigestVerifyInit(k->mdctx, NULL, NULL, NULL, k->pkey) == 1
			 && EVP_DigestVerify(k->mdctx, sig, siglen,
						(const unsigned char *)signing_input.s,
						signing_input.len)
						== 1;
		goto done;
	}
	if(ALG_IS_EC(k->alg)) {
		/* RFC 7518 sec 3.4: exactly R||S, each the size of the order */
		if(siglen != 2 * alg_tab[k->alg].ec_half)
			return -1;
		derlen = wwsf_ecdsa_raw_to_der(sig, siglen, der, sizeof(der));
		if(derlen < 0)
			return -1;
		sig = der;
		siglen = (size_t)derlen;
	} else if(siglen != (size_t)EVP_PKEY_get_size(k->pkey)) {
		return -1;
	}
	ok = EVP_DigestInit_ex2(k->mdctx, k->md, NULL) == 1
		 && EVP_DigestUpdate(k->mdctx, signing_input.s, signing_input.len) == 1
		 && EVP_DigestFinal_ex(k->mdctx, dgst, &dlen) == 1
		 && EVP_PKEY_verify(k->vctx, sig, siglen, dgst, dlen) == 1;
done:
	if(!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

int wwsf_key_verify(wwsf_key_t *k, epc_span_t signing_input,
		const unsigned char *sig, size_t siglen)
{
	unsigned char tag[WWSF_MEMO_TAG];
	size_t set;

	if(!k || !k->pkey || !k->mdctx)
		return -1; /* never "verify" without a key */
	if(!k->memo_n || !memo_tag(k, signing_input, sig, siglen, tag)) {
		ERR_clear_error();
		return key_verify(k, signing_input, sig, siglen);
	}
	set = memo_set(k, tag);
	if(CRYPTO_memcmp(k->memo[set], tag, WWSF_MEMO_TAG) == 0
			|| CRYPTO_memcmp(k->memo[set + 1], tag, WWSF_MEMO_TAG) == 0) {
		k->memo_hits++;
		return 0;
	}
	k->memo_misses++;
	if(key_verify(k, signing_input, sig, siglen) < 0)
		return -1;
	memcpy(k->memo[set + 1], k->memo[set], WWSF_MEMO_TAG);
	memcpy(k->memo[set], tag, WWSF_MEMO_TAG);
	return 0;
}
