/*
 * libFuzzer target: the whole wwsf_token verification chain (parse, policy
 * by iss, alg/kid/signature, claims, identities) on arbitrary tokens.
 *
 * Invariant beyond "no crash, no leak": nothing the fuzzer makes may
 * verify unless it is a token signed with the fixed Ed25519 test key whose
 * (deterministic) signature is exactly the one that key makes; the ES256
 * key is fresh every run, so an accepted ES256 token is a forgery. Seeds
 * (corpus/fuzz_wwsf_token/) come from gen_wwsf_seeds.py with the same key.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wwsf_token.h"

#define NOW ((int64_t)1750000000)

static wwsf_key_t keys[2];
static EVP_PKEY *ed_priv;
static const epc_span_t aud = EPC_SPAN_LIT("sip:ep-cscf.ims.test");
static const epc_wwsf_idrule_t rules[] = {
		{EPC_WWSF_IMPU, EPC_WWSF_RULE_DOMAIN, EPC_SPAN_LIT("ims.test"), 0},
		{EPC_WWSF_IMPU, EPC_WWSF_RULE_TEL_PREFIX, EPC_SPAN_LIT("+1555"), 0},
		{EPC_WWSF_IMPI, EPC_WWSF_RULE_DOMAIN, EPC_SPAN_LIT("ims.test"), 0},
};
static epc_wwsf_t wwsf;
static wwsf_policy_t pol;
static wwsf_opts_t opts;
static wwsf_token_t tok;
static wwsf_ids_t ids;

static void pub_pem(EVP_PKEY *k, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	if(!b || !PEM_write_bio_PUBKEY(b, k))
		abort();
	n = BIO_get_mem_data(b, &p);
	if(n <= 0 || (size_t)n >= cap)
		abort();
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
}

static void init(void)
{
	unsigned char seed[32];
	char pem[1024];
	EVP_PKEY *es;
	int i;

	for(i = 0; i < 32; i++)
		seed[i] = (unsigned char)i; /* gen_wwsf_seeds.py: bytes(range(32)) */
	ed_priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	es = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if(!ed_priv || !es)
		abort();
	pub_pem(ed_priv, pem, sizeof(pem));
	if(wwsf_key_load_pem(
			   &keys[0], epc_span_cstr(pem), WWSF_ALG_EDDSA, EPC_SPAN_LIT("fz"))
			!= WWSF_KEY_OK)
		abort();
	pub_pem(es, pem, sizeof(pem));
	if(wwsf_key_load_pem(
			   &keys[1], epc_span_cstr(pem), WWSF_ALG_ES256, EPC_SPAN_LIT("k1"))
			!= WWSF_KEY_OK)
		abort();
	EVP_PKEY_free(es);
	/* the EdDSA key (its signatures are in the seeds) verifies through a
	 * two-entry memo: hits, misses and evictions are all fuzzed */
	if(wwsf_key_memo_init(&keys[0], 2) != WWSF_KEY_OK)
		abort();
	wwsf.id = EPC_SPAN_LIT("fuzz");
	wwsf.has_token = 1;
	wwsf.issuer = EPC_SPAN_LIT("https://wwsf.example");
	wwsf.audiences = &aud;
	wwsf.n_audiences = 1;
	wwsf.algs = EPC_JWS_EDDSA | EPC_JWS_ES256;
	wwsf.max_lifetime = 3600;
	wwsf.rules = rules;
	wwsf.n_rules = sizeof(rules) / sizeof(rules[0]);
	pol.w = &wwsf;
	pol.keys = keys;
	pol.nkeys = 2;
	wwsf_opts_default(&opts);
}

/* the token must be exactly what the test key signs */
static void check_genuine(void)
{
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if(tok.alg != WWSF_ALG_EDDSA)
		abort(); /* a forged ES256 token */
	if(!c || EVP_DigestSignInit(c, NULL, NULL, NULL, ed_priv) != 1
			|| EVP_DigestSign(c, sig, &siglen,
					   (const unsigned char *)tok.signing_input.s,
					   tok.signing_input.len)
					   != 1)
		abort();
	EVP_MD_CTX_free(c);
	if(siglen != tok.siglen || memcmp(sig, tok.sig, siglen) != 0)
		abort(); /* a second signature accepted for the same input */
}

/* every normalised identity is a fixed point of the normaliser */
static void check_ids(void)
{
	char n[WWSF_IDENT_MAX];
	size_t len, i;

	if(ids.nimpu == 0 || ids.nimpu > WWSF_IMPU_MAX || ids.impi_len == 0)
		abort();
	for(i = 0; i < ids.nimpu; i++) {
		if(wwsf_ident_norm((epc_span_t){ids.impu[i], ids.impu_len[i]}, n,
				   sizeof(n),
				   &len) < 0
				|| len != ids.impu_len[i] || memcmp(n, ids.impu[i], len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const wwsf_policy_t *p;
	char *copy;
	int rc;

	if(!ed_priv)
		init();
	if(size > WWSF_TOKEN_MAX + 16)
		return 0;
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);
	rc = wwsf_token_check(
			&tok, (epc_span_t){copy, size}, &pol, 1, &opts, NOW, &ids, &p);
	if(rc == WWSF_OK) {
		check_genuine();
		check_ids();
	} else if(tok.iss && tok.impu) {
		/* the claims of any parsed token through the identity step (no
		 * signature needed to reach it here) */
		if(wwsf_token_identities(&tok, &pol, &opts, &ids) == WWSF_OK)
			check_ids();
	}
	if(wwsf_result_of(rc) < 0 || wwsf_result_of(rc) >= WWSF_R_COUNT)
		abort();
	if(rc != WWSF_OK && wwsf_answer(rc).status < 400)
		abort();
	free(copy);
	return 0;
}
