/*
 * Unit tests: modules/wwsf_token token verification (wwsf_token.c,
 * wwsf_key.c) with keys and tokens made at run time, the adversarial set
 * of the issue, and libjwt 1.10 as an independent reference.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jwt.h>
#include <openssl/x509.h>

#include "wwsf_testsign.h"
#include "wwsf_token.h"

#define ISS "https://wwsf.example"
#define AUD "sip:ep-cscf.ims.test"
#define NOW ((int64_t)1750000000)

enum
{
	K_ES1,
	K_ES2,
	K_RS,
	K_PS,
	K_ED,
	K_ES384,
	K_EVIL,
	K_COUNT
};
static const int key_alg[K_COUNT] = {WWSF_ALG_ES256, WWSF_ALG_ES256,
		WWSF_ALG_RS256, WWSF_ALG_PS256, WWSF_ALG_EDDSA, WWSF_ALG_ES384,
		WWSF_ALG_ES256};
static const char *key_kid[K_COUNT] = {
		"k1", "k2", "rsa1", "pss1", "ed1", "es384", "k1"};

static EVP_PKEY *priv[K_COUNT];
static char pem[K_COUNT][4096];
static wwsf_key_t keys[K_COUNT];
static size_t nkeys;
static epc_wwsf_registry_t *reg;
static epc_wwsf_t wcopy; /* the registry entry, tweaked by some tests */
static wwsf_policy_t pol;
static wwsf_opts_t opts;
static wwsf_token_t tok; /* 13 KB: not on the stack */
static char buf[32768];

/* the WWSF as a registry file would describe it */
static int load_registry(void)
{
	static char xml[65536];
	char err[EPC_WWSF_ERR_MAX];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(xml + n, sizeof(xml) - n,
			"<?xml version=\"1.0\"?>\n<wwsf-registry version=\"1\">\n"
			"<wwsf id=\"wwsf-a\"><origin>https://wwsf.example</origin>\n"
			"<token><issuer>" ISS "</issuer><audience>" AUD "</audience>\n"
			"<algorithms>ES256 RS256 PS256 EdDSA ES384</algorithms>\n"
			"<max-lifetime>3600</max-lifetime>\n"
			"<authz-server>https://wwsf.example/authorize</authz-server>\n");
	for(i = 0; i < K_EVIL; i++)
		n += (size_t)snprintf(xml + n, sizeof(xml) - n,
				"<key kid=\"%s\" alg=\"%s\">\n%s</key>\n", key_kid[i],
				wwsf_alg_name(key_alg[i]), pem[i]);
	n += (size_t)snprintf(xml + n, sizeof(xml) - n,
			"</token><identities><impu-domain>ims.test</impu-domain>"
			"<impi-domain>ims.test</impi-domain>"
			"<impu-tel-prefix>+1555</impu-tel-prefix></identities></wwsf>\n"
			"</wwsf-registry>\n");
	if(epc_wwsf_registry_load_mem(
			   xml, n, NULL, &epc_alloc_libc, &reg, err, sizeof(err))
			!= EPC_WWSF_OK) {
		print_error("registry: %s\n", err);
		return -1;
	}
	wcopy = reg->wwsf[0];
	if(wwsf_policy_load_keys(&wcopy, keys, K_COUNT, &nkeys, err, sizeof(err))
			!= 0) {
		print_error("keys: %s\n", err);
		return -1;
	}
	pol.w = &wcopy;
	pol.keys = keys;
	pol.nkeys = nkeys;
	return 0;
}

static int setup(void **state)
{
	int i;

	(void)state;
	for(i = 0; i < K_COUNT; i++) {
		priv[i] = ts_keygen(key_alg[i]);
		if(!priv[i] || !ts_pubpem(priv[i], pem[i], sizeof(pem[i])))
			return -1;
	}
	wwsf_opts_default(&opts);
	return load_registry();
}

static int teardown(void **state)
{
	int i;

	(void)state;
	wwsf_policy_free_keys(keys, nkeys);
	for(i = 0; i < K_COUNT; i++)
		EVP_PKEY_free(priv[i]);
	epc_wwsf_registry_free(reg, &epc_alloc_libc);
	return 0;
}

static char hdr_buf[512], clm_buf[16384];

static const char *hdr(const char *alg, const char *kid)
{
	if(kid)
		snprintf(hdr_buf, sizeof(hdr_buf),
				"{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	else
		snprintf(hdr_buf, sizeof(hdr_buf), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
				alg);
	return hdr_buf;
}

/* claims with times relative to NOW and a free extra member list */
static const char *claims(const char *iss, const char *aud, long iat, long exp,
		const char *impu, const char *extra)
{
	snprintf(clm_buf, sizeof(clm_buf),
			"{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"alice@ims.test\","
			"\"impu\":%s,\"iat\":%ld,\"exp\":%ld,\"jti\":\"j-1\"%s%s}",
			iss, aud, impu, (long)NOW + iat, (long)NOW + exp, extra ? "," : "",
			extra ? extra : "");
	return clm_buf;
}

static const char *good_claims(void)
{
	return claims(ISS, "\"" AUD "\"", -10, 600,
			"[\"sip:alice@ims.test\",\"tel:+15550100\"]", NULL);
}

static const char *sign(int k, int alg, const char *h, const char *c)
{
	size_t n = ts_token(buf, sizeof(buf), priv[k], alg, h, c);

	assert_true(n > 0);
	return buf;
}

static int check(const char *token, wwsf_ids_t *ids)
{
	const wwsf_policy_t *p;

	return wwsf_token_check(&tok, S(token), &pol, 1, &opts, NOW, ids, &p);
}

static void test_valid_all_algs(void **state)
{
	static const struct
	{
		int key;
		const char *alg;
	} v[] = {
			{K_ES1, "ES256"},
			{K_ES2, "ES256"},
			{K_RS, "RS256"},
			{K_PS, "PS256"},
			{K_ED, "EdDSA"},
			{K_ES384, "ES384"},
	};
	wwsf_ids_t ids;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *t = sign(v[i].key, key_alg[v[i].key],
				hdr(v[i].alg, key_kid[v[i].key]), good_claims());

		assert_int_equal(check(t, &ids), WWSF_OK);
		assert_int_equal(tok.alg, key_alg[v[i].key]);
		assert_int_equal(ids.nimpu, 2);
		assert_true(epc_span_eq((epc_span_t){ids.impu[0], ids.impu_len[0]},
				S("sip:alice@ims.test")));
		assert_true(epc_span_eq((epc_span_t){ids.impu[1], ids.impu_len[1]},
				S("tel:+15550100")));
		assert_true(epc_span_eq(
				(epc_span_t){ids.impi, ids.impi_len}, S("alice@ims.test")));
		assert_int_equal(wwsf_token_remaining(&tok, NOW), 600);
	}
}

/* The adversarial set of the issue, each with its detailed error. */
static void test_adversarial(void **state)
{
	wwsf_ids_t ids;
	char t2[16384];
	const char *t;
	char *dot;
	size_t n;

	(void)state;
	/* alg none: empty signature, and with a signature appended */
	n = ts_b64url("{\"alg\":\"none\"}", 14, t2);
	t2[n++] = '.';
	n += ts_b64url(good_claims(), strlen(good_claims()), t2 + n);
	t2[n++] = '.';
	t2[n] = '\0';
	assert_int_equal(check(t2, &ids), WWSF_E_ALG);
	memcpy(t2 + n, "AAAA", 5);
	assert_int_equal(check(t2, &ids), WWSF_E_ALG);
	/* "None", "NONE": alg names are case-sensitive, unknown = refused */
	n = ts_b64url("{\"alg\":\"NONE\"}", 14, t2);
	memcpy(t2 + n, ".e30.AAAA", 10);
	assert_int_equal(check(t2, &ids), WWSF_E_ALG);

	/* HS256 keyed with the WWSF's public key (RS and ES keys) */
	t = sign(K_RS, TS_HS256, hdr("HS256", "rsa1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_ALG);
	t = sign(K_ES1, TS_HS256, hdr("HS256", "k1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_ALG);

	/* wrong key: the attacker's own P-256 key under the WWSF's kid */
	t = sign(K_EVIL, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_SIGNATURE);

	/* tampered payload: other identity, original signature kept */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	strcpy(t2, t); /* checksrc: allow (test, sizes known) */
	dot = strchr(t2, '.');
	claims(ISS, "\"" AUD "\"", -10, 600, "\"sip:mallory@ims.test\"", NULL);
	n = ts_b64url(clm_buf, strlen(clm_buf), dot + 1);
	dot[1 + n] = '.';
	strcpy(dot + 2 + n, strrchr(t, '.') + 1); /* checksrc: allow */
	assert_int_equal(check(t2, &ids), WWSF_E_SIGNATURE);

	/* tampered header: kid k1 -> k2 (both keys known), signature kept */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	hdr("ES256", "k2");
	n = ts_b64url(hdr_buf, strlen(hdr_buf), t2);
	strcpy(t2 + n, strchr(t, '.')); /* checksrc: allow */
	assert_int_equal(check(t2, &ids), WWSF_E_SIGNATURE);

	/* truncated signature (a whole number of base64url quanta) */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	strcpy(t2, t); /* checksrc: allow */
	t2[strlen(t2) - 2] = 0;
	assert_int_equal(check(t2, &ids), WWSF_E_SIGNATURE);
	/* truncated inside the payload: no second dot */
	t2[strchr(t2, '.') - t2 + 10] = '\0';
	assert_int_equal(check(t2, &ids), WWSF_E_FORMAT);

	/* not base64url: '+' and '/', padding, whitespace */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	strcpy(t2, t); /* checksrc: allow */
	t2[strchr(t2, '.') - t2 + 5] = '+';
	assert_int_equal(check(t2, &ids), WWSF_E_FORMAT);
	strcpy(t2, t); /* checksrc: allow */
	t2[strchr(t2, '.') - t2 + 5] = ' ';
	assert_int_equal(check(t2, &ids), WWSF_E_FORMAT);
	snprintf(t2, sizeof(t2), "%s==", t);
	assert_int_equal(check(t2, &ids), WWSF_E_FORMAT);

	/* huge: over 8 KB */
	{
		static char big[9000], extra[7000];

		memset(extra, 'x', sizeof(extra) - 20);
		memcpy(extra, "\"pad\":\"", 7);
		strcpy(extra + sizeof(extra) - 20, "\""); /* checksrc: allow */
		t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
				claims(ISS, "\"" AUD "\"", -10, 600, "\"sip:alice@ims.test\"",
						extra));
		assert_true(strlen(t) > WWSF_TOKEN_MAX);
		assert_int_equal(check(t, &ids), WWSF_E_SIZE);
		memset(big, 'A', sizeof(big) - 1);
		assert_int_equal(check(big, &ids), WWSF_E_SIZE);
	}

	/* expired (beyond the 60 s leeway), within the leeway */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -700, -61, "\"sip:alice@ims.test\"",
					NULL));
	assert_int_equal(check(t, &ids), WWSF_E_EXPIRED);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -700, -30, "\"sip:alice@ims.test\"",
					NULL));
	assert_int_equal(check(t, &ids), WWSF_OK);
	assert_int_equal(wwsf_token_remaining(&tok, NOW), 1);

	/* not yet valid: nbf or iat in the future */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 600, "\"sip:alice@ims.test\"",
					"\"nbf\":1750000300"));
	assert_int_equal(check(t, &ids), WWSF_E_NOT_YET_VALID);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", 300, 600, "\"sip:alice@ims.test\"",
					NULL));
	assert_int_equal(check(t, &ids), WWSF_E_NOT_YET_VALID);

	/* lifetime above the WWSF's maximum (3600 s) */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 3700, "\"sip:alice@ims.test\"",
					NULL));
	assert_int_equal(check(t, &ids), WWSF_E_LIFETIME);

	/* wrong iss (no WWSF), wrong aud, aud array naming us */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims("https://evil.example", "\"" AUD "\"", -10, 600,
					"\"sip:alice@ims.test\"", NULL));
	assert_int_equal(check(t, &ids), WWSF_E_ISSUER);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"https://wwsf.example/app\"", -10, 600,
					"\"sip:alice@ims.test\"", NULL));
	assert_int_equal(check(t, &ids), WWSF_E_AUDIENCE);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "[\"x\",\"" AUD "\"]", -10, 600,
					"\"sip:alice@ims.test\"", NULL));
	assert_int_equal(check(t, &ids), WWSF_OK);

	/* kid unknown; kid of a key bound to another alg; no kid, two keys */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k9"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_KID);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "rsa1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_KID);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", NULL), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_KID);
	/* RS256 key used as PS256: the key is bound to RS256 */
	t = sign(K_RS, WWSF_ALG_PS256, hdr("PS256", "rsa1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_KID);
	/* no kid, one key of that alg: unambiguous */
	t = sign(K_RS, WWSF_ALG_RS256, hdr("RS256", NULL), good_claims());
	assert_int_equal(check(t, &ids), WWSF_OK);

	/* identity outside what the WWSF may allocate */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 600,
					"[\"sip:alice@ims.test\",\"sip:bob@evil.test\"]", NULL));
	assert_int_equal(check(t, &ids), WWSF_E_NOT_ALLOWED);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 600, "\"tel:+3312345\"", NULL));
	assert_int_equal(check(t, &ids), WWSF_E_NOT_ALLOWED);
}

static void test_header_claims_strict(void **state)
{
	wwsf_ids_t ids;
	const char *t;

	(void)state;
	t = sign(K_ES1, WWSF_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}",
			good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_HEADER);
	t = sign(K_ES1, WWSF_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"id_token+jwt\"}",
			good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_HEADER);
	t = sign(K_ES1, WWSF_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"at+JWT\"}",
			good_claims());
	assert_int_equal(check(t, &ids), WWSF_OK);
	t = sign(K_ES1, WWSF_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":7}",
			good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_HEADER);
	t = sign(K_ES1, WWSF_ALG_ES256,
			"{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"k1\"}",
			good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_JSON);
	/* escaped kid and iss still match */
	t = sign(K_ES1, WWSF_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"\\u006b1\"}",
			claims("https:\\/\\/wwsf.example", "\"" AUD "\"", -10, 600,
					"\"sip:alice@ims.test\"", NULL));
	assert_int_equal(check(t, &ids), WWSF_OK);
	/* repeated claim */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 600, "\"sip:alice@ims.test\"",
					"\"iss\":\"https://evil.example\""));
	assert_int_equal(check(t, &ids), WWSF_E_JSON);
	/* exp missing / a string; jti missing; impu not a URI */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"impu\":\"sip:a@ims."
			"test\",\"jti\":\"x\"}");
	assert_int_equal(check(t, &ids), WWSF_E_CLAIM);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"impu\":\"sip:a@ims."
			"test\",\"jti\":\"x\",\"exp\":\"1750000600\"}");
	assert_int_equal(check(t, &ids), WWSF_E_CLAIM);
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"impu\":\"sip:a@ims."
			"test\",\"exp\":1750000600}");
	assert_int_equal(check(t, &ids), WWSF_E_CLAIM);
	opts.require_jti = 0;
	assert_int_equal(check(t, &ids), WWSF_OK);
	opts.require_jti = 1;
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 600, "\"alice@ims.test\"", NULL));
	assert_int_equal(check(t, &ids), WWSF_E_CLAIM);
	/* JWE-like five parts */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	snprintf(clm_buf, sizeof(clm_buf), "%s.AAAA.BBBB", t);
	assert_int_equal(check(clm_buf, &ids), WWSF_E_FORMAT);
	/* non-integer and exponent NumericDates */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"impu\":\"sip:a@ims."
			"test\",\"jti\":\"x\",\"iat\":1.7499999995e9,"
			"\"exp\":1750000600.75}");
	assert_int_equal(check(t, &ids), WWSF_OK);
	assert_true(tok.exp == 1750000600 && tok.iat == 1749999999);
}

static void test_claim_names_configurable(void **state)
{
	wwsf_ids_t ids;
	const char *t;

	(void)state;
	opts.impi_claim = S("ims_impi");
	opts.impu_claim = S("ims_impus");
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"jti\":\"x\","
			"\"exp\":1750000600,\"ims_impi\":\"bob.priv@ims.test\","
			"\"ims_impus\":[\"sip:bob@IMS.Test;user=phone\"]}");
	assert_int_equal(check(t, &ids), WWSF_OK);
	assert_true(epc_span_eq(
			(epc_span_t){ids.impi, ids.impi_len}, S("bob.priv@ims.test")));
	assert_true(epc_span_eq(
			(epc_span_t){ids.impu[0], ids.impu_len[0]}, S("sip:bob@ims.test")));
	/* no IMPI claim: derived from the first IMPU, unless disabled */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"jti\":\"x\","
			"\"exp\":1750000600,\"ims_impus\":\"sip:carol@ims.test:5060\"}");
	assert_int_equal(check(t, &ids), WWSF_OK);
	assert_true(epc_span_eq(
			(epc_span_t){ids.impi, ids.impi_len}, S("carol@ims.test")));
	opts.impi_from_impu = 0;
	assert_int_equal(check(t, &ids), WWSF_E_CLAIM);
	wwsf_opts_default(&opts);
}

static void test_request_identities(void **state)
{
	wwsf_ids_t ids;
	wwsf_idreq_t req;
	const char *t;

	(void)state;
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_OK);
	memset(&req, 0, sizeof(req));
	req.nimpu = 2;
	req.impu[0] = S("sip:alice@IMS.TEST");
	req.impu[1] = S("sip:alice@ims.test;transport=ws");
	assert_int_equal(wwsf_ids_check_request(&ids, &req), WWSF_OK);
	req.impi = S("alice@ims.test");
	assert_int_equal(wwsf_ids_check_request(&ids, &req), WWSF_OK);
	req.impi = S("bob@ims.test");
	assert_int_equal(wwsf_ids_check_request(&ids, &req), WWSF_E_IDENTITY);
	req.impi = EPC_SPAN_NULL;
	req.impu[1] = S("sip:bob@ims.test"); /* From of a third party */
	assert_int_equal(wwsf_ids_check_request(&ids, &req), WWSF_E_IDENTITY);
	req.impu[1] = S("tel:+1-555-0100");
	assert_int_equal(wwsf_ids_check_request(&ids, &req), WWSF_OK);
	req.impu[1] = S("sip:Alice@ims.test"); /* user part is case-sensitive */
	assert_int_equal(wwsf_ids_check_request(&ids, &req), WWSF_E_IDENTITY);
}

static void test_policy_restrictions(void **state)
{
	wwsf_ids_t ids;
	const char *t;

	(void)state;
	/* an alg with a loaded key but not allowed for the WWSF */
	wcopy.algs = WWSF_ALG_BIT(WWSF_ALG_ES256);
	t = sign(K_RS, WWSF_ALG_RS256, hdr("RS256", "rsa1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_ALG);
	wcopy.algs = reg->wwsf[0].algs;
	/* no identity rules: nothing may be allocated */
	wcopy.n_rules = 0;
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"), good_claims());
	assert_int_equal(check(t, &ids), WWSF_E_NOT_ALLOWED);
	/* IMPU rules only: the IMPI is not covered */
	wcopy.n_rules = 1;
	assert_int_equal(check(t, &ids), WWSF_E_NOT_ALLOWED);
	wcopy.n_rules = reg->wwsf[0].n_rules;
	/* no audience configured: nothing is for us */
	wcopy.n_audiences = 0;
	assert_int_equal(check(t, &ids), WWSF_E_AUDIENCE);
	wcopy.n_audiences = 1;
	/* a WWSF without <token>: no token is its */
	wcopy.has_token = 0;
	assert_int_equal(check(t, &ids), WWSF_E_ISSUER);
	wcopy.has_token = 1;
	/* no lifetime limit */
	wcopy.max_lifetime = 0;
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			claims(ISS, "\"" AUD "\"", -10, 86400, "\"sip:alice@ims.test\"",
					NULL));
	assert_int_equal(check(t, &ids), WWSF_OK);
	wcopy.max_lifetime = 3600;
	/* no iat: the lifetime counts from now */
	t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "k1"),
			"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"impu\":\"sip:a@ims."
			"test\",\"jti\":\"x\",\"exp\":1750003700}");
	assert_int_equal(check(t, &ids), WWSF_E_LIFETIME);
}

static void test_key_loading(void **state)
{
	wwsf_key_t k;
	EVP_PKEY *small;
	char p[4096];
	X509 *x;
	BIO *b;
	char *data;
	long n;

	(void)state;
	/* key type must fit the alg */
	assert_int_equal(
			wwsf_key_load_pem(&k, S(pem[K_ES384]), WWSF_ALG_ES256, S("a")),
			WWSF_KEY_E_TYPE);
	assert_int_equal(
			wwsf_key_load_pem(&k, S(pem[K_ES1]), WWSF_ALG_RS256, S("a")),
			WWSF_KEY_E_TYPE);
	assert_int_equal(
			wwsf_key_load_pem(&k, S(pem[K_RS]), WWSF_ALG_EDDSA, S("a")),
			WWSF_KEY_E_TYPE);
	assert_int_equal(
			wwsf_key_load_pem(&k, S(pem[K_ED]), WWSF_ALG_ES256, S("a")),
			WWSF_KEY_E_TYPE);
	assert_int_equal(
			wwsf_key_load_pem(&k, S("garbage"), WWSF_ALG_ES256, S("a")),
			WWSF_KEY_E_PARSE);
	assert_int_equal(
			wwsf_key_load_pem(&k, S(pem[K_ES1]), WWSF_ALG_INVALID, S("a")),
			WWSF_KEY_E_ARG);
	assert_null(k.pkey);
	/* RSA below 2048 bits */
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(small);
	assert_true(ts_pubpem(small, p, sizeof(p)) > 0);
	assert_int_equal(wwsf_key_load_pem(&k, S(p), WWSF_ALG_RS256, S("a")),
			WWSF_KEY_E_WEAK);
	EVP_PKEY_free(small);
	/* an X.509 certificate carries the key too */
	x = X509_new();
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, priv[K_ES1]);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
			(const unsigned char *)"wwsf", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, priv[K_ES1], EVP_sha256()) > 0);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	assert_int_equal(wwsf_key_load_pem(&k, (epc_span_t){data, (size_t)n},
							 WWSF_ALG_ES256, S("cert")),
			WWSF_KEY_OK);
	BIO_free(b);
	X509_free(x);
	{
		wwsf_ids_t ids;
		const wwsf_policy_t *pp;
		wwsf_policy_t p1 = pol;
		const char *t;

		p1.keys = &k;
		p1.nkeys = 1;
		t = sign(K_ES1, WWSF_ALG_ES256, hdr("ES256", "cert"), good_claims());
		assert_int_equal(
				wwsf_token_check(&tok, S(t), &p1, 1, &opts, NOW, &ids, &pp),
				WWSF_OK);
	}
	wwsf_key_free(&k);
	wwsf_key_free(&k); /* twice is fine */
	/* kid longer than WWSF_KID_MAX */
	memset(p, 'k', 200);
	assert_int_equal(wwsf_key_load_pem(&k, S(pem[K_ES1]), WWSF_ALG_ES256,
							 (epc_span_t){p, 200}),
			WWSF_KEY_E_ARG);
}

/* A registry key OpenSSL refuses: all keys of the WWSF are refused. */
static void test_policy_keys(void **state)
{
	wwsf_key_t k2[4];
	epc_wwsf_key_t rk[2];
	epc_wwsf_t w = *pol.w;
	char err[256];
	size_t n = 99;

	(void)state;
	rk[0] = w.keys[0];
	rk[1] = w.keys[0];
	rk[1].kid = S("bad");
	rk[1].pem = S(pem[K_ES384]); /* a P-384 key declared ES256 */
	w.keys = rk;
	w.n_keys = 2;
	assert_int_equal(wwsf_policy_load_keys(&w, k2, 4, &n, err, sizeof(err)),
			WWSF_KEY_E_TYPE);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "key bad"));
	assert_non_null(strstr(err, "ES256"));
	w.n_keys = 1;
	assert_int_equal(wwsf_policy_load_keys(&w, k2, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	wwsf_policy_free_keys(k2, n);
	w.n_keys = 5;
	assert_int_equal(wwsf_policy_load_keys(&w, k2, 4, &n, err, sizeof(err)),
			WWSF_KEY_E_ARG);
	assert_string_equal(wwsf_key_strerror(WWSF_KEY_E_WEAK),
			"RSA key shorter than 2048 bits");
}

static void test_ecdsa_der(void **state)
{
	unsigned char raw[64], der[80];
	int n;

	(void)state;
	memset(raw, 0, sizeof(raw));
	/* r = 0 or s = 0: never valid */
	raw[63] = 1;
	assert_int_equal(wwsf_ecdsa_raw_to_der(raw, 64, der, sizeof(der)), -1);
	raw[0] = 0x80; /* high bit: a 0x00 is prepended */
	n = wwsf_ecdsa_raw_to_der(raw, 64, der, sizeof(der));
	assert_int_equal(n, 2 + 2 + 33 + 2 + 1);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[2], 0x02);
	assert_int_equal(der[3], 33);
	assert_int_equal(der[4], 0x00);
	assert_int_equal(der[37], 0x02);
	assert_int_equal(der[38], 1);
	assert_int_equal(wwsf_ecdsa_raw_to_der(raw, 63, der, sizeof(der)), -1);
	assert_int_equal(wwsf_ecdsa_raw_to_der(raw, 64, der, 10), -1);
	/* an all-zero ES256 signature never verifies */
	memset(raw, 0, sizeof(raw));
	assert_int_equal(wwsf_key_verify(&keys[K_ES1], S("a.b"), raw, 64), -1);
	/* no key: never "valid" */
	assert_int_equal(wwsf_key_verify(NULL, S("a.b"), raw, 64), -1);
}

/* The verify memo: a signature that verified is remembered by its exact
 * bytes; anything else is verified in full and never remembered. */
static void test_verify_memo(void **state)
{
	static const int ks[] = {K_ES1, K_RS, K_ED};
	unsigned char sa[600], sb[600], bad[600];
	size_t la, lb, lc, i;
	wwsf_key_t k;

	(void)state;
	for(i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		int alg = key_alg[ks[i]];

		assert_int_equal(
				wwsf_key_load_pem(&k, S(pem[ks[i]]), alg, S("m")), WWSF_KEY_OK);
		assert_int_equal(ts_sign(priv[ks[i]], alg, "h.a", 3, sa, &la), 0);
		assert_int_equal(ts_sign(priv[ks[i]], alg, "h.b", 3, sb, &lb), 0);
		/* no memo yet: every verify is a full one, nothing counted */
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(k.memo_hits + k.memo_misses, 0);
		assert_int_equal(wwsf_key_memo_init(&k, 3), WWSF_KEY_OK);
		assert_int_equal(k.memo_n, 4); /* a power of two */
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(k.memo_misses, 1);
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(k.memo_hits, 1);
		/* a remembered signature does not vouch for other bytes */
		assert_int_equal(wwsf_key_verify(&k, S("h.b"), sa, la), -1);
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la - 1), -1);
		memcpy(bad, sa, la);
		bad[la / 2] ^= 0x01;
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), bad, la), -1);
		/* a failure is never remembered: it fails again, in full */
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), bad, la), -1);
		assert_int_equal(k.memo_hits, 1);
		/* one set of two: A and B fit, a third evicts the older */
		assert_int_equal(wwsf_key_memo_init(&k, 1), WWSF_KEY_OK);
		assert_int_equal(k.memo_n, 2);
		k.memo_hits = k.memo_misses = 0;
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(wwsf_key_verify(&k, S("h.b"), sb, lb), 0);
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(wwsf_key_verify(&k, S("h.b"), sb, lb), 0);
		assert_int_equal(k.memo_hits, 2);
		assert_int_equal(k.memo_misses, 2);
		assert_int_equal(ts_sign(priv[ks[i]], alg, "h.c", 3, bad, &lc), 0);
		assert_int_equal(wwsf_key_verify(&k, S("h.c"), bad, lc), 0);
		/* C and B are held now; A is verified in full again, and valid */
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(k.memo_misses, 4);
		assert_int_equal(wwsf_key_verify(&k, S("h.c"), bad, lc), 0);
		assert_int_equal(k.memo_hits, 3);
		/* the memo of one key is no memo of another */
		if(ks[i] == K_ES1)
			assert_int_equal(
					wwsf_key_verify(&keys[K_ES2], S("h.a"), sa, la), -1);
		/* memo off again; the bound is enforced */
		assert_int_equal(wwsf_key_memo_init(&k, 0), WWSF_KEY_OK);
		assert_null(k.memo);
		assert_int_equal(wwsf_key_verify(&k, S("h.a"), sa, la), 0);
		assert_int_equal(
				wwsf_key_memo_init(&k, WWSF_MEMO_MAX * 4), WWSF_KEY_OK);
		assert_int_equal(k.memo_n, WWSF_MEMO_MAX);
		wwsf_key_free(&k);
	}
}

static void test_answers(void **state)
{
	static const struct
	{
		int err, result, status, challenge;
		const char *error;
	} v[] = {
			{WWSF_E_NOTOKEN, WWSF_R_NO_TOKEN, 401, 1, ""},
			{WWSF_E_CREDENTIALS, WWSF_R_MALFORMED, 400, 0, "invalid_request"},
			{WWSF_E_FORMAT, WWSF_R_MALFORMED, 401, 1, "invalid_token"},
			{WWSF_E_SIZE, WWSF_R_MALFORMED, 401, 1, "invalid_token"},
			{WWSF_E_ALG, WWSF_R_SIGNATURE, 401, 1, "invalid_token"},
			{WWSF_E_KID, WWSF_R_SIGNATURE, 401, 1, "invalid_token"},
			{WWSF_E_SIGNATURE, WWSF_R_SIGNATURE, 401, 1, "invalid_token"},
			{WWSF_E_EXPIRED, WWSF_R_EXPIRED, 401, 1, "invalid_token"},
			{WWSF_E_NOT_YET_VALID, WWSF_R_EXPIRED, 401, 1, "invalid_token"},
			{WWSF_E_LIFETIME, WWSF_R_EXPIRED, 401, 1, "invalid_token"},
			{WWSF_E_ISSUER, WWSF_R_ISSUER, 401, 1, "invalid_token"},
			{WWSF_E_AUDIENCE, WWSF_R_ISSUER, 401, 1, "invalid_token"},
			{WWSF_E_IDENTITY, WWSF_R_IDENTITY, 403, 0, ""},
			{WWSF_E_NOT_ALLOWED, WWSF_R_NOT_ALLOWED, 403, 0, ""},
			{WWSF_E_WWSF, WWSF_R_WWSF, 403, 0, ""},
			{WWSF_E_REPLAY, WWSF_R_REPLAY, 401, 1, "invalid_token"},
			{WWSF_E_INTERNAL, WWSF_R_INTERNAL, 500, 0, ""},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wwsf_answer_t a = wwsf_answer(v[i].err);

		assert_int_equal(wwsf_result_of(v[i].err), v[i].result);
		assert_int_equal(a.status, v[i].status);
		assert_int_equal(a.challenge, v[i].challenge);
		assert_string_equal(a.error, v[i].error);
		assert_string_not_equal(wwsf_strerror(v[i].err), "unknown error");
	}
	assert_string_equal(wwsf_result_name(WWSF_R_OK), "ok");
	assert_string_equal(wwsf_result_name(WWSF_R_REPLAY), "replay");
	assert_string_equal(wwsf_result_name(99), "unknown");
	assert_string_equal(wwsf_strerror(-99), "unknown error");
	assert_int_equal(wwsf_expires_cap(3600, 600), 600);
	assert_int_equal(wwsf_expires_cap(300, 600), 300);
	assert_int_equal(wwsf_expires_cap(0, 600), 0);
}

static void test_alg_names(void **state)
{
	unsigned m;

	(void)state;
	assert_int_equal(wwsf_alg_from_name(S("ES256")), WWSF_ALG_ES256);
	assert_int_equal(wwsf_alg_from_name(S("EdDSA")), WWSF_ALG_EDDSA);
	assert_int_equal(wwsf_alg_from_name(S("es256")), WWSF_ALG_INVALID);
	assert_int_equal(wwsf_alg_from_name(S("none")), WWSF_ALG_INVALID);
	assert_int_equal(wwsf_alg_from_name(S("HS256")), WWSF_ALG_INVALID);
	assert_string_equal(wwsf_alg_name(WWSF_ALG_PS512), "PS512");
	assert_string_equal(wwsf_alg_name(42), "?");
	assert_int_equal(wwsf_alg_from_bit(EPC_JWS_PS256), WWSF_ALG_PS256);
	assert_int_equal(wwsf_alg_from_bit(EPC_JWS_ES256 | EPC_JWS_RS256), 0);
	m = WWSF_ALG_BIT(WWSF_ALG_EDDSA);
	assert_int_equal(m, EPC_JWS_EDDSA);
}

/*
 * libjwt 1.10 as an independent reference for what it supports (ES256,
 * RS256), and the pitfall that rules out its parse-without-key mode: a
 * NULL key "decodes" a signed token without verifying anything.
 */
static void test_libjwt_reference(void **state)
{
	static const int ks[] = {K_ES1, K_RS};
	static const char *an[] = {"ES256", "RS256"};
	wwsf_ids_t ids;
	jwt_t *j = NULL;
	char t2[16384];
	size_t i;

	(void)state;
	for(i = 0; i < 2; i++) {
		const char *t = sign(ks[i], key_alg[ks[i]], hdr(an[i], key_kid[ks[i]]),
				claims(ISS, "\"" AUD "\"", -10, 600, "\"sip:alice@ims.test\"",
						NULL));

		strcpy(t2, t); /* checksrc: allow */
		assert_int_equal(check(t2, &ids), WWSF_OK);
		assert_int_equal(jwt_decode(&j, t2, (const unsigned char *)pem[ks[i]],
								 (int)strlen(pem[ks[i]])),
				0);
		jwt_free(j);
		j = NULL;
		/* flip one signature bit: both refuse */
		t2[strlen(t2) - 3] = t2[strlen(t2) - 3] == 'A' ? 'B' : 'A';
		assert_int_equal(check(t2, &ids), WWSF_E_SIGNATURE);
		assert_int_not_equal(
				jwt_decode(&j, t2, (const unsigned char *)pem[ks[i]],
						(int)strlen(pem[ks[i]])),
				0);
		jwt_free(j);
		j = NULL;
		/* the pitfall: no key, "success" for a forged signature */
		assert_int_equal(jwt_decode(&j, t2, NULL, 0), 0);
		jwt_free(j);
		j = NULL;
	}
	/* PS256 and EdDSA are not libjwt 1.10 algorithms at all */
	assert_int_equal(jwt_str_alg("PS256"), JWT_ALG_INVAL);
	assert_int_equal(jwt_str_alg("EdDSA"), JWT_ALG_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_valid_all_algs),
			cmocka_unit_test(test_adversarial),
			cmocka_unit_test(test_header_claims_strict),
			cmocka_unit_test(test_claim_names_configurable),
			cmocka_unit_test(test_request_identities),
			cmocka_unit_test(test_policy_restrictions),
			cmocka_unit_test(test_key_loading),
			cmocka_unit_test(test_policy_keys),
			cmocka_unit_test(test_ecdsa_der),
			cmocka_unit_test(test_verify_memo),
			cmocka_unit_test(test_answers),
			cmocka_unit_test(test_alg_names),
			cmocka_unit_test(test_libjwt_reference),
	};
	return cmocka_run_group_tests_name("wwsf_token", tests, setup, teardown);
}
