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

/**
 * JWS algorithms (RFC 7518 sec 3, RFC 8037) and verification keys.
 *
 * A key is bound to exactly one algorithm when it is loaded (RFC 8725
 * sec 3.1): the algorithm named in a token only selects among the keys, it
 * never changes how a key is used. HS* (a public key used as an HMAC secret)
 * and "none" are not algorithms of this module at all.
 *
 * Keys are parsed once (PEM public key or certificate) into an EVP_PKEY
 * together with a verification context prepared for the key's algorithm;
 * verifying then costs one digest and one public-key operation, without
 * parsing or digest/method fetching. A key is used by one thread at a time
 * (in Kamailio: each process loads its own copy).
 *
 * A key may memoise the signatures it verified (wwsf_key_memo_init()): a
 * WIC sends the same token in every REGISTER refresh and, per TS 24.371
 * 7.2.1, in every request, and the public-key operation is by far the
 * dearest part of a check. The memo is a 2-way set-associative table of SHA-256
 * tags of (alg, signing input, signature) that verified with this key; a
 * request whose exact bytes verified before skips the public-key operation
 * (one SHA-256 instead), everything else about the token (issuer,
 * audience, times, identities, replay) is judged on every request as
 * before. Only valid signatures enter the memo, so a forged token can
 * neither hit nor evict anything a forger could not already present; the
 * memo dies with the key (a registry reload or key rotation loads new
 * keys with empty memos).
 */

#ifndef WWSF_KEY_H
#define WWSF_KEY_H

#include <stddef.h>
#include <openssl/types.h>

#include "epc_span.h"

enum wwsf_alg
{
	WWSF_ALG_INVALID = 0,
	WWSF_ALG_ES256,
	WWSF_ALG_ES384,
	WWSF_ALG_ES512,
	WWSF_ALG_RS256,
	WWSF_ALG_RS384,
	WWSF_ALG_RS512,
	WWSF_ALG_PS256,
	WWSF_ALG_PS384,
	WWSF_ALG_PS512,
	WWSF_ALG_EDDSA,
	WWSF_ALG_COUNT
};

/** The EPC_JWS_* bit of lib/epc_wwsf_registry.h for alg (same order). */
#define WWSF_ALG_BIT(a) (1u << ((a)-1))
#define WWSF_KID_MAX 128
/** Minimum RSA modulus (RFC 7518 sec 3.3 and 3.5). */
#define WWSF_RSA_MIN_BITS 2048
/** Bytes of a memo tag (SHA-256). */
#define WWSF_MEMO_TAG 32
/** Most memo entries per key. */
#define WWSF_MEMO_MAX (1u << 20)

/** Errors of key loading. */
enum wwsf_key_err
{
	WWSF_KEY_OK = 0,
	WWSF_KEY_E_PARSE = -1, /* not a PEM public key or certificate */
	WWSF_KEY_E_TYPE = -2,  /* key type or curve does not fit the alg */
	WWSF_KEY_E_WEAK = -3,  /* RSA modulus below WWSF_RSA_MIN_BITS */
	WWSF_KEY_E_ARG = -4,   /* unknown alg, kid too long */
	WWSF_KEY_E_CRYPTO = -5 /* OpenSSL failure (memory) */
};

typedef struct wwsf_key
{
	int alg;
	size_t kid_len; /* 0: the key has no kid */
	char kid[WWSF_KID_MAX];
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *vctx; /* prepared EVP_PKEY_verify context (not EdDSA) */
	EVP_MD *md;			/* fetched digest (not EdDSA) */
	EVP_MD_CTX *mdctx;	/* reused for hashing / EdDSA verification */
	/* memo of verified signatures (wwsf_key_memo_init); memo_n 0: none */
	unsigned char (*memo)[WWSF_MEMO_TAG];
	size_t memo_n;
	EVP_MD *memo_md; /* SHA-256 */
	EVP_MD_CTX *memo_ctx;
	unsigned long memo_hits, memo_misses;
} wwsf_key_t;

/** Algorithm from its JWS name; WWSF_ALG_INVALID for anything else. */
int wwsf_alg_from_name(epc_span_t name);

/** Algorithm of one EPC_JWS_* bit; WWSF_ALG_INVALID for anything else. */
int wwsf_alg_from_bit(unsigned bit);

/** JWS name of alg ("ES256"...), "?" if invalid. */
const char *wwsf_alg_name(int alg);

/**
 * Load a public key for alg from PEM text (SubjectPublicKeyInfo or an X.509
 * certificate). The key type must fit alg: P-256/P-384/P-521 for
 * ES256/384/512, RSA of at least WWSF_RSA_MIN_BITS for RS* and PS*,
 * Ed25519 or Ed448 for EdDSA. kid may be empty.
 * @return WWSF_KEY_OK, or a negative wwsf_key_err; *k is then zeroed.
 */
int wwsf_key_load_pem(wwsf_key_t *k, epc_span_t pem, int alg, epc_span_t kid);

/**
 * Give a loaded key a memo of n verified signatures (rounded up to a power
 * of two, at least 2, at most WWSF_MEMO_MAX); n 0 leaves the key without
 * one.
 * @return 0, or WWSF_KEY_E_CRYPTO (no memory; the key works without memo)
 */
int wwsf_key_memo_init(wwsf_key_t *k, size_t n);

/** Release what wwsf_key_load_pem() allocated; a zeroed key is fine. */
void wwsf_key_free(wwsf_key_t *k);

/**
 * Verify a JWS signature (the JOSE form: raw R||S for ECDSA) over the
 * signing input with key k.
 * @return 0 if the signature is valid, -1 otherwise.
 */
int wwsf_key_verify(wwsf_key_t *k, epc_span_t signing_input,
		const unsigned char *sig, size_t siglen);

/**
 * Convert a JOSE ECDSA signature (R||S, each half n bytes) to DER.
 * @return the DER length, or -1 for an odd length, r or s equal to zero,
 *         or cap too small.
 */
int wwsf_ecdsa_raw_to_der(const unsigned char *raw, size_t rawlen,
		unsigned char *der, size_t cap);

#endif /* WWSF_KEY_H */
