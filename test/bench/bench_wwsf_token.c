/*
 * Benchmark: wwsf_token verification core against a bare OpenSSL verify
 * of the same signature, in one run (the ratios are what matter; absolute
 * figures depend on the machine).
 *
 * For each algorithm (ES256 first: the target is the full token check
 * within 1.2x of a bare P-256 verify):
 *   bare-digestverify  EVP_DigestVerifyInit + EVP_DigestVerify over the
 *                      signing input with an already parsed EVP_PKEY and the
 *                      signature already in OpenSSL's form (DER for ECDSA):
 *                      what any careful OpenSSL caller pays per token;
 *   bare-pkeyverify    EVP_PKEY_verify on a prepared context over a
 *                      precomputed digest: the public-key operation alone;
 *   wwsf-verify        wwsf_token_parse + wwsf_token_verify (split, base64url,
 *                      strict JSON of header and claims, kid, signature,
 *                      iss/aud/exp/nbf/iat/lifetime);
 *   wwsf-check         wwsf_token_check: the above plus the policy lookup by
 *                      iss and the identities (normalised, checked
 *                      against the WWSF's registry rules) - what the module runs per REGISTER;
 *   wwsf-check-memo    wwsf_token_check with the key's verify memo (module
 *                      parameter verify_memo) holding this token: what a
 *                      refresh or any later request with the same token
 *                      costs;
 *   libjwt-pem         libjwt 1.10 jwt_decode() with the PEM key (reference:
 *                      re-parses the key every call).
 * Usage: bench_wwsf_token [rounds]   (default 7; the median round counts)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jwt.h>

#include "wwsf_b64.h"
#include "wwsf_testsign.h"
#include "wwsf_token.h"

#define NOW ((int64_t)1750000000)

typedef struct bench_ctx
{
	int alg;
	const char *name;
	EVP_PKEY *priv, *pub;
	char pem[4096];
	wwsf_key_t key;
	wwsf_key_t key_memo; /* the same key with a verify memo */
	epc_wwsf_t w;
	wwsf_policy_t pol;
	wwsf_policy_t pol_memo;
	char token[4096];
	size_t toklen;
	unsigned char sig[600]; /* OpenSSL form */
	size_t siglen;
	unsigned char dgst[64];
	unsigned int dlen;
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *mctx;
} bench_ctx_t;

static wwsf_opts_t opts;
static wwsf_token_t tok;
static wwsf_ids_t ids;
static const epc_span_t aud = EPC_SPAN_LIT("sip:ep-cscf.ims.test");
static const epc_wwsf_idrule_t rules[] = {
		{EPC_WWSF_IMPU, EPC_WWSF_RULE_DOMAIN, EPC_SPAN_LIT("ims.test"), 0},
		{EPC_WWSF_IMPU, EPC_WWSF_RULE_TEL_PREFIX, EPC_SPAN_LIT("+1555"), 0},
		{EPC_WWSF_IMPI, EPC_WWSF_RULE_DOMAIN, EPC_SPAN_LIT("ims.test"), 0},
};
static volatile int sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_wwsf_token: %s failed\n", what);
	exit(1);
}

static void setup(bench_ctx_t *b)
{
	const char *hdr_fmt = "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
	/* a realistic WWSF token: two IMPUs, IMPI, RFC 9068 claims */
	const char *claims =
			"{\"iss\":\"https://wwsf.example\",\"sub\":\"alice@ims.test\","
			"\"aud\":\"sip:ep-cscf.ims.test\",\"client_id\":\"wic\","
			"\"impu\":[\"sip:alice@ims.test\",\"tel:+15550100\"],"
			"\"iat\":1749999990,\"exp\":1750000590,\"jti\":"
			"\"6f1c2a0e-6d0b-4b8e-9d7e-2a5c1f0b9e44\",\"scope\":\"sip\"}";
	char hdr[128];
	const char *dot;
	unsigned char raw[600];
	size_t rawlen;

	b->priv = ts_keygen(b->alg);
	if(!b->priv || !ts_pubpem(b->priv, b->pem, sizeof(b->pem)))
		die("keygen");
	if(wwsf_key_load_pem(
			   &b->key, epc_span_cstr(b->pem), b->alg, EPC_SPAN_LIT("k1"))
			!= WWSF_KEY_OK)
		die("key load");
	b->pub = b->key.pkey;
	if(wwsf_key_load_pem(
			   &b->key_memo, epc_span_cstr(b->pem), b->alg, EPC_SPAN_LIT("k1"))
					!= WWSF_KEY_OK
			|| wwsf_key_memo_init(&b->key_memo, 4096) != WWSF_KEY_OK)
		die("key load (memo)");
	snprintf(hdr, sizeof(hdr), hdr_fmt, b->name);
	b->toklen =
			ts_token(b->token, sizeof(b->token), b->priv, b->alg, hdr, claims);
	if(!b->toklen)
		die("sign");
	memset(&b->w, 0, sizeof(b->w));
	b->w.id = EPC_SPAN_LIT("bench");
	b->w.has_token = 1;
	b->w.issuer = EPC_SPAN_LIT("https://wwsf.example");
	b->w.audiences = &aud;
	b->w.n_audiences = 1;
	b->w.algs = WWSF_ALG_BIT(b->alg);
	b->w.max_lifetime = 3600;
	b->w.rules = rules;
	b->w.n_rules = sizeof(rules) / sizeof(rules[0]);
	b->pol.w = &b->w;
	b->pol.keys = &b->key;
	b->pol.nkeys = 1;
	b->pol_memo = b->pol;
	b->pol_memo.keys = &b->key_memo;
	/* the same signature in OpenSSL's form, and its digest */
	dot = strrchr(b->token, '.');
	if(wwsf_b64url_decode(epc_span_cstr(dot + 1), raw, sizeof(raw), &rawlen)
			< 0)
		die("decode");
	if(b->alg == WWSF_ALG_ES256) {
		int n = wwsf_ecdsa_raw_to_der(raw, rawlen, b->sig, sizeof(b->sig));
		if(n < 0)
			die("der");
		b->siglen = (size_t)n;
	} else {
		memcpy(b->sig, raw, rawlen);
		b->siglen = rawlen;
	}
	b->mctx = EVP_MD_CTX_new();
	if(b->alg != WWSF_ALG_EDDSA) {
		if(!EVP_Digest(b->token, (size_t)(dot - b->token), b->dgst, &b->dlen,
				   EVP_sha256(), NULL))
			die("digest");
		b->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, b->pub, NULL);
		if(!b->pctx || EVP_PKEY_verify_init(b->pctx) <= 0
				|| EVP_PKEY_CTX_set_signature_md(b->pctx, EVP_sha256()) <= 0)
			die("pkey ctx");
	}
}

static int run_bare_digestverify(bench_ctx_t *b)
{
	size_t silen = (size_t)(strrchr(b->token, '.') - b->token);
	const EVP_MD *md = b->alg == WWSF_ALG_EDDSA ? NULL : EVP_sha256();

	return EVP_DigestVerifyInit(b->mctx, NULL, md, NULL, b->pub) == 1
		   && EVP_DigestVerify(b->mctx, b->sig, b->siglen,
					  (const unsigned char *)b->token, silen)
					  == 1;
}

static int run_bare_pkeyverify(bench_ctx_t *b)
{
	if(!b->pctx)
		return run_bare_digestverify(b); /* EdDSA has no prehash form */
	return EVP_PKEY_verify(b->pctx, b->sig, b->siglen, b->dgst, b->dlen) == 1;
}

static int run_wwsf_verify(bench_ctx_t *b)
{
	return wwsf_token_parse(&tok, (epc_span_t){b->token, b->toklen}, &opts)
				   == WWSF_OK
		   && wwsf_token_verify(&tok, &b->pol, &opts, NOW) == WWSF_OK;
}

static int run_wwsf_check(bench_ctx_t *b)
{
	const wwsf_policy_t *p;

	return wwsf_token_check(&tok, (epc_span_t){b->token, b->toklen}, &b->pol, 1,
				   &opts, NOW, &ids, &p)
		   == WWSF_OK;
}

static int run_wwsf_check_memo(bench_ctx_t *b)
{
	const wwsf_policy_t *p;

	return wwsf_token_check(&tok, (epc_span_t){b->token, b->toklen},
				   &b->pol_memo, 1, &opts, NOW, &ids, &p)
		   == WWSF_OK;
}

static int run_libjwt(bench_ctx_t *b)
{
	jwt_t *j = NULL;
	int ok = jwt_decode(&j, b->token, (const unsigned char *)b->pem,
					 (int)strlen(b->pem))
			 == 0;

	jwt_free(j);
	return ok;
}

typedef int (*bench_fn)(bench_ctx_t *);

/* ns per call of fn, n calls */
static double measure(bench_fn fn, bench_ctx_t *b, int n)
{
	double t0 = now_ns();
	int i, ok = 1;

	for(i = 0; i < n; i++)
		ok &= fn(b);
	if(!ok)
		die("a verification in the timed loop");
	sink += ok;
	return (now_ns() - t0) / n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define NVAR 6
#define MAXROUNDS 31

static void bench_alg(bench_ctx_t *b, int rounds, int primary)
{
	static const char *vname[NVAR] = {"bare-digestverify", "bare-pkeyverify",
			"wwsf-verify", "wwsf-check", "wwsf-check-memo", "libjwt-pem"};
	static const bench_fn vfn[NVAR] = {run_bare_digestverify,
			run_bare_pkeyverify, run_wwsf_verify, run_wwsf_check,
			run_wwsf_check_memo, run_libjwt};
	double t[NVAR][MAXROUNDS], med[NVAR];
	int v, r, nv, iters;
	double probe;

	/* libjwt 1.10 has no EdDSA/PS*: reference only where it applies */
	nv = (b->alg == WWSF_ALG_ES256 || b->alg == WWSF_ALG_RS256) ? NVAR
																: NVAR - 1;
	for(v = 0; v < nv; v++)
		(void)measure(vfn[v], b, 20); /* warm up, and check all verify */
	probe = measure(vfn[0], b, 50);
	iters = (int)(60e6 / probe); /* ~60 ms per variant and round */
	if(iters < 50)
		iters = 50;
	for(r = 0; r < rounds; r++) {
		/* interleaved: every variant sees the same machine state */
		for(v = 0; v < nv; v++)
			t[v][r] = measure(vfn[v], b, v == NVAR - 1 ? iters / 8 + 1 : iters);
	}
	for(v = 0; v < nv; v++) {
		qsort(t[v], (size_t)rounds, sizeof(double), cmp_d);
		med[v] = t[v][rounds / 2];
	}
	printf("%s (token %zu bytes, %d rounds x %d)\n", b->name, b->toklen, rounds,
			iters);
	for(v = 0; v < nv; v++)
		printf("  %-18s %9.2f us/op %10.0f ops/s\n", vname[v], med[v] / 1e3,
				1e9 / med[v]);
	printf("  ratio wwsf-check / bare-digestverify  %.3f%s\n", med[3] / med[0],
			primary ? "   (target <= 1.2)" : "");
	printf("  ratio wwsf-check / bare-pkeyverify    %.3f\n", med[3] / med[1]);
	printf("  ratio wwsf-verify / bare-digestverify %.3f\n", med[2] / med[0]);
	printf("  ratio wwsf-check-memo / wwsf-check    %.3f  (a token seen "
		   "before: refreshes, later requests)\n",
			med[4] / med[3]);
	if(nv == NVAR)
		printf("  ratio libjwt-pem / wwsf-check         %.1f\n",
				med[5] / med[3]);
	if(primary)
		printf("SUMMARY ES256 wwsf-check %.2f us, bare P-256 verify %.2f us, "
			   "ratio %.3f, wwsf-check-memo %.2f us\n",
				med[3] / 1e3, med[0] / 1e3, med[3] / med[0], med[4] / 1e3);
}

int main(int argc, char **argv)
{
	static bench_ctx_t b[3] = {{.alg = WWSF_ALG_ES256, .name = "ES256"},
			{.alg = WWSF_ALG_RS256, .name = "RS256"},
			{.alg = WWSF_ALG_EDDSA, .name = "EdDSA"}};
	int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 7;
	size_t i;

	if(rounds < 1 || rounds > MAXROUNDS)
		rounds = 7;
	wwsf_opts_default(&opts);
	printf("%s, libjwt 1.10, one thread\n", OpenSSL_version(OPENSSL_VERSION));
	for(i = 0; i < 3; i++) {
		setup(&b[i]);
		bench_alg(&b[i], rounds, i == 0);
	}
	return 0;
}
