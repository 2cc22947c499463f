/*
 * Unit tests: modules/wwsf_token/wwsf_ident.c (identity normalisation and
 * its fit with the registry's epc_wwsf_identity_allowed()), wwsf_authz.c (credentials, TNA, challenge) and
 * wwsf_replay.c (replay verdict, cache key, live-entry window).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epc_wwsf_registry.h"
#include "wwsf_authz.h"
#include "wwsf_ident.h"
#include "wwsf_replay.h"
#include "wwsf_token.h"

static void test_norm(void **state)
{
	static const struct
	{
		const char *in;
		const char *out; /* NULL: refused */
	} v[] = {
			{"sip:alice@ims.test", "sip:alice@ims.test"},
			{"SIP:alice@IMS.Test", "sip:alice@ims.test"},
			{"sips:alice@ims.test:5061;transport=tls?h=v",
					"sips:alice@ims.test"},
			{"sip:+15550100@ims.test;user=phone", "sip:+15550100@ims.test"},
			{"sip:%61lice@ims.test", "sip:alice@ims.test"},
			{"sip:a%40b@ims.test", "sip:a%40b@ims.test"}, /* reserved kept */
			{"sip:a%3bb@ims.test", "sip:a%3Bb@ims.test"},
			{"sip:a;b@ims.test", "sip:a;b@ims.test"},
			{"sip:alice@[2001:DB8::1]:5060", "sip:alice@[2001:db8::1]"},
			{"sip:alice@[2001:db8::1]", "sip:alice@[2001:db8::1]"},
			{"tel:+1-555-(01).00", "tel:+15550100"},
			{"tel:+15550100;phone-context=x", "tel:+15550100"},
			{"alice@IMS.test", "alice@ims.test"},
			{"alice.priv+x@ims.test", "alice.priv+x@ims.test"},
			{"a@b@ims.test", "a@b@ims.test"}, /* NAI realm after last @ */
			{"sip:ims.test", NULL},			  /* no user part */
			{"sip:alice:pw@ims.test", NULL},  /* password */
			{"sip:al ice@ims.test", NULL},
			{"sip:al\"ice@ims.test", NULL},
			{"sip:alice@ims.test:", NULL},
			{"sip:alice@ims.test:123456", NULL},
			{"sip:alice@ims_test", NULL},
			{"sip:alice@", NULL},
			{"sip:%4@ims.test", NULL},
			{"sip:a%0d@ims.test", "sip:a%0D@ims.test"},
			{"tel:15550100", NULL}, /* local numbers are not identities */
			{"tel:+", NULL},
			{"tel:+1x", NULL},
			{"mailto:alice@ims.test", NULL},
			{"http://ims.test", NULL},
			{"alice", NULL},
			{"@ims.test", NULL},
			{"alice@", NULL},
			{"ali\\ce@ims.test", NULL},
			{"", NULL},
	};
	char out[WWSF_IDENT_MAX];
	size_t i, n;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = wwsf_ident_norm(S(v[i].in), out, sizeof(out), &n);

		if(v[i].out == NULL) {
			if(rc != -1)
				fail_msg("%s accepted as %.*s", v[i].in, (int)n, out);
			continue;
		}
		if(rc != 0)
			fail_msg("%s refused", v[i].in);
		if(!epc_span_eq((epc_span_t){out, n}, S(v[i].out)))
			fail_msg("%s -> %.*s, want %s", v[i].in, (int)n, out, v[i].out);
	}
	assert_int_equal(wwsf_ident_norm(S("sip:alice@ims.test"), out, 5, &n), -1);
	assert_true(wwsf_ident_is_uri(S("tel:+1")));
	assert_false(wwsf_ident_is_uri(S("a@b")));
	assert_int_equal(wwsf_ident_impi_from_impu(
							 S("sips:alice@ims.test"), out, sizeof(out), &n),
			0);
	assert_true(epc_span_eq((epc_span_t){out, n}, S("alice@ims.test")));
	assert_int_equal(
			wwsf_ident_impi_from_impu(S("tel:+1555"), out, sizeof(out), &n),
			-1);
}

/* normalised identities are what the registry's rules expect */
static void test_norm_vs_registry_rules(void **state)
{
	static const epc_wwsf_idrule_t rules[] = {
			{EPC_WWSF_IMPU, EPC_WWSF_RULE_DOMAIN, EPC_SPAN_LIT("ims.test"), 1},
			{EPC_WWSF_IMPU, EPC_WWSF_RULE_PATTERN,
					EPC_SPAN_LIT("sip:guest-*@pool.test"), 2},
			{EPC_WWSF_IMPU, EPC_WWSF_RULE_TEL_PREFIX, EPC_SPAN_LIT("+1555"), 3},
			{EPC_WWSF_IMPI, EPC_WWSF_RULE_DOMAIN, EPC_SPAN_LIT("ims.test"), 4},
	};
	static const struct
	{
		int kind;
		const char *raw;
		int allowed;
	} v[] = {
			{EPC_WWSF_IMPU, "SIP:alice@IMS.TEST:5060;transport=ws", 1},
			{EPC_WWSF_IMPU, "sips:alice@ims.test", 1},
			{EPC_WWSF_IMPU, "sip:alice@evil.test", 0},
			{EPC_WWSF_IMPU, "sip:guest-42@POOL.test", 1},
			{EPC_WWSF_IMPU, "sip:admin@pool.test", 0},
			{EPC_WWSF_IMPU, "tel:+1-555-0100", 1},
			{EPC_WWSF_IMPU, "tel:+1-556-0100", 0},
			{EPC_WWSF_IMPI, "alice@IMS.test", 1},
			{EPC_WWSF_IMPI, "alice@evil.test", 0},
			{EPC_WWSF_IMPU, "sip:a;b@ims.test", 0}, /* ';' never allowed */
	};
	epc_wwsf_t w;
	char out[WWSF_IDENT_MAX];
	size_t i, n;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.rules = rules;
	w.n_rules = sizeof(rules) / sizeof(rules[0]);
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(wwsf_ident_norm(S(v[i].raw), out, sizeof(out), &n), 0);
		if(epc_wwsf_identity_allowed(&w, v[i].kind, (epc_span_t){out, n})
				!= v[i].allowed)
			fail_msg("%s -> %.*s", v[i].raw, (int)n, out);
	}
}

static void test_cred_parse(void **state)
{
	static const struct
	{
		const char *in;
		int rc, scheme;
		const char *token; /* Bearer token or Digest username */
		int integrity;
	} v[] = {
			{"Bearer eyJ.eyJ.sig", 0, WWSF_CRED_BEARER, "eyJ.eyJ.sig", 0},
			{"bearer  abc~+/==  ", 0, WWSF_CRED_BEARER, "abc~+/==", 0},
			{"Bearer access_token=\"eyJ.eyJ.sig\"", 0, WWSF_CRED_BEARER,
					"eyJ.eyJ.sig", 0},
			{"Bearer realm=\"x\", access_token=eyJ.eyJ.sig", 0,
					WWSF_CRED_BEARER, "eyJ.eyJ.sig", 0},
			{"Bearer\r\n access_token = \"t\"", 0, WWSF_CRED_BEARER, "t", 0},
			{"Bearer", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer ", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer a b", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer realm=\"x\"", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer access_token=\"a\", access_token=\"b\"", -1,
					WWSF_CRED_BEARER, NULL, 0},
			{"Bearer access_token=\"a\\\"b\"", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer access_token=\"\"", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer access_token=\"abc", -1, WWSF_CRED_BEARER, NULL, 0},
			{"Bearer=abc", -1, WWSF_CRED_OTHER, NULL, 0},
			{"Digest username=\"alice@ims.test\", realm=\"ims.test\", "
			 "nonce=\"\", uri=\"sip:ims.test\", response=\"\"",
					0, WWSF_CRED_DIGEST, "alice@ims.test", 0},
			{"Digest username=\"a\",integrity-protected=\"auth-done\"", 0,
					WWSF_CRED_DIGEST, "a", 1},
			{"Digest realm=x, Integrity-Protected=yes", 0, WWSF_CRED_DIGEST,
					NULL, 1},
			{"Digest username=\"a\", username=\"b\"", -1, WWSF_CRED_DIGEST,
					NULL, 0},
			{"Digest username=", -1, WWSF_CRED_DIGEST, NULL, 0},
			{"Digest ,", -1, WWSF_CRED_DIGEST, NULL, 0},
			{"Basic dXNlcjpwdw==", 0, WWSF_CRED_OTHER, NULL, 0},
			{"", -1, WWSF_CRED_OTHER, NULL, 0},
	};
	wwsf_cred_t c;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = wwsf_cred_parse(S(v[i].in), &c);

		if(rc != v[i].rc)
			fail_msg("%s -> %d", v[i].in, rc);
		if(rc < 0)
			continue;
		assert_int_equal(c.scheme, v[i].scheme);
		assert_int_equal(c.has_integrity, v[i].integrity);
		if(v[i].scheme == WWSF_CRED_BEARER)
			assert_true(epc_span_eq(c.token, S(v[i].token)));
		if(v[i].scheme == WWSF_CRED_DIGEST && v[i].token)
			assert_true(epc_span_eq(c.username, S(v[i].token)));
	}
}

static void test_cred_strip(void **state)
{
	char out[256];
	size_t n;

	(void)state;
	assert_int_equal(
			wwsf_cred_strip_param(S("Digest username=\"a\", "
									"integrity-protected=\"auth-done\", "
									"realm=\"r\",Integrity-Protected=yes"),
					S("integrity-protected"), out, sizeof(out), &n),
			2);
	assert_true(epc_span_eq(
			(epc_span_t){out, n}, S("Digest username=\"a\", realm=\"r\"")));
	assert_int_equal(wwsf_cred_strip_param(S("Digest username=\"a\""),
							 S("integrity-protected"), out, sizeof(out), &n),
			0);
	assert_int_equal(wwsf_cred_strip_param(S("Digest integrity-protected=yes"),
							 S("integrity-protected"), out, sizeof(out), &n),
			1);
	assert_true(epc_span_eq((epc_span_t){out, n}, S("Digest")));
	assert_int_equal(wwsf_cred_strip_param(S("Digest a="),
							 S("integrity-protected"), out, sizeof(out), &n),
			-1);
	assert_int_equal(wwsf_cred_strip_param(S("Digest username=\"abcdef\""),
							 S("x"), out, 10, &n),
			-1);
	assert_int_equal(wwsf_unquote(S("a\\\"b\\\\"), out, sizeof(out), &n), 0);
	assert_true(epc_span_eq((epc_span_t){out, n}, S("a\"b\\")));
	assert_int_equal(wwsf_unquote(S("abc"), out, 2, &n), -1);
}

static void test_tna_and_challenge(void **state)
{
	char out[512];
	size_t n;

	(void)state;
	assert_int_equal(
			wwsf_tna_credentials(S("user1_private@home1.net"), S("home1.net"),
					S("sip:home1.net"), 1, out, sizeof(out), &n),
			0);
	assert_true(epc_span_eq((epc_span_t){out, n},
			S("Digest username=\"user1_private@home1.net\", "
			  "realm=\"home1.net\", uri=\"sip:home1.net\", nonce=\"\", "
			  "response=\"\", integrity-protected=\"auth-done\"")));
	assert_int_equal(wwsf_tna_credentials(S("u@h"), S("h"), S("sip:h"), 0, out,
							 sizeof(out), &n),
			0);
	assert_true(epc_span_has_prefix((epc_span_t){out + n - 29, 29},
						S(", integrity-protected=auth-done"), 0)
				|| epc_span_eq((epc_span_t){out + n - 29, 29},
						S("integrity-protected=auth-done")));
	assert_int_equal(wwsf_tna_credentials(S("u\"@h"), S("h"), S("sip:h"), 1,
							 out, sizeof(out), &n),
			-1);
	assert_int_equal(wwsf_tna_credentials(S(""), S("h"), S("sip:h"), 1, out,
							 sizeof(out), &n),
			-1);
	assert_int_equal(
			wwsf_tna_credentials(S("u@h"), S("h"), S("sip:h"), 1, out, 20, &n),
			-1);
	assert_int_equal(wwsf_bearer_challenge(S("ims.test"),
							 S("https://wwsf.example/token"),
							 S("invalid_token"), out, sizeof(out), &n),
			0);
	assert_true(epc_span_eq((epc_span_t){out, n},
			S("Bearer realm=\"ims.test\", "
			  "authz_server=\"https://wwsf.example/token\", "
			  "error=\"invalid_token\"")));
	assert_int_equal(wwsf_bearer_challenge(S("ims.test"), EPC_SPAN_NULL,
							 EPC_SPAN_NULL, out, sizeof(out), &n),
			0);
	assert_true(
			epc_span_eq((epc_span_t){out, n}, S("Bearer realm=\"ims.test\"")));
	assert_int_equal(wwsf_bearer_challenge(S("a\r\nX: y"), EPC_SPAN_NULL,
							 EPC_SPAN_NULL, out, sizeof(out), &n),
			-1);
	assert_true(wwsf_quotable(S("caf\xc3\xa9")));
	assert_false(wwsf_quotable(S("a\\b")));
}

static void test_replay(void **state)
{
	char k1[WWSF_REPLAY_KEY_LEN + 1], k2[WWSF_REPLAY_KEY_LEN + 1];
	wwsf_rwin_t w;
	int i;

	(void)state;
	assert_int_equal(wwsf_replay_decide(0, 0, 7), WWSF_REPLAY_FIRST);
	assert_int_equal(wwsf_replay_decide(1, 7, 7), WWSF_REPLAY_SAME);
	assert_int_equal(wwsf_replay_decide(1, 7, 8), WWSF_REPLAY_OTHER);
	assert_int_equal(wwsf_replay_key(S("iss"), S("jti"), k1), 0);
	assert_int_equal(strlen(k1), WWSF_REPLAY_KEY_LEN);
	assert_int_equal(wwsf_replay_key(S("iss"), S("jti"), k2), 0);
	assert_string_equal(k1, k2);
	/* iss and jti are separated: "is"+"sjti" is another key */
	assert_int_equal(wwsf_replay_key(S("is"), S("sjti"), k2), 0);
	assert_string_not_equal(k1, k2);
	/* SHA-256("iss\0jti") prefix, checked independently with Python */
	assert_int_equal(wwsf_replay_key(S("a"), S("b"), k2), 0);
	assert_string_equal(k2, "59b271ae1bbcb1d31d41929817f4b16f");

	wwsf_rwin_init(&w, 3600);
	assert_int_equal(wwsf_rwin_live(&w, 1000), 0);
	for(i = 0; i < 100; i++)
		wwsf_rwin_add(&w, 1000 + 10 + i * 30, 1000);
	assert_int_equal(wwsf_rwin_live(&w, 1000), 100);
	/* half of them expire after 1500 s (upper bound: slot granularity) */
	assert_in_range(wwsf_rwin_live(&w, 1000 + 10 + 50 * 30), 50, 52);
	assert_int_equal(wwsf_rwin_live(&w, 1000 + 3600 + 100), 0);
	/* a slot re-used a full window later starts from zero */
	wwsf_rwin_add(&w, 9000 + 10, 9000);
	assert_int_equal(wwsf_rwin_live(&w, 9000), 1);
	/* expiries beyond the horizon or in the past are clamped */
	wwsf_rwin_add(&w, 9000 + 999999, 9000);
	wwsf_rwin_add(&w, 5, 9000);
	assert_int_equal(wwsf_rwin_live(&w, 9000), 3);
	assert_int_equal(wwsf_rwin_live(&w, 9000 + 3600 + 100), 0);
	wwsf_rwin_init(&w, 0);
	assert_int_equal(w.horizon, 1);
}

static void test_replay_seen(void **state)
{
	static wwsf_seen_t s; /* 96 KB: not on the stack */
	char k[WWSF_REPLAY_KEY_LEN + 1], k2[WWSF_REPLAY_KEY_LEN + 1];
	char many[64][WWSF_REPLAY_KEY_LEN + 1];
	int i, kept;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(wwsf_replay_key(S("iss"), S("jti-1"), k), 0);
	assert_int_equal(wwsf_replay_key(S("iss"), S("jti-2"), k2), 0);
	/* nothing confirmed yet */
	assert_int_equal(wwsf_seen_has(&s, k, S("0:7"), 1000), 0);
	wwsf_seen_add(&s, k, S("0:7"), 1600, 1000);
	/* the same token on the same connection, until it expires */
	assert_int_equal(wwsf_seen_has(&s, k, S("0:7"), 1000), 1);
	assert_int_equal(wwsf_seen_has(&s, k, S("0:7"), 1599), 1);
	assert_int_equal(wwsf_seen_has(&s, k, S("0:7"), 1600), 0);
	/* never for another connection or another token: those ask the
	 * shared cache (which says replay for the other connection) */
	assert_int_equal(wwsf_seen_has(&s, k, S("0:8"), 1000), 0);
	assert_int_equal(wwsf_seen_has(&s, k, S("1:7"), 1000), 0);
	assert_int_equal(wwsf_seen_has(&s, k2, S("0:7"), 1000), 0);
	/* an expired token is not remembered */
	wwsf_seen_add(&s, k2, S("0:7"), 900, 1000);
	assert_int_equal(wwsf_seen_has(&s, k2, S("0:7"), 1000), 0);
	/* more keys than fit in a set: misses only, never a wrong hit */
	memset(&s, 0, sizeof(s));
	for(i = 0; i < 64; i++) {
		char jti[16];

		snprintf(jti, sizeof(jti), "j%d", i);
		assert_int_equal(wwsf_replay_key(S("iss"), S(jti), many[i]), 0);
		/* all into one set: the set comes from the second half of the key */
		memcpy(many[i] + 16, k + 16, 16);
		wwsf_seen_add(&s, many[i], S("0:7"), 2000 + i, 1000);
	}
	for(i = 0, kept = 0; i < 64; i++) {
		kept += wwsf_seen_has(&s, many[i], S("0:7"), 1000);
		assert_int_equal(wwsf_seen_has(&s, many[i], S("0:9"), 1000), 0);
	}
	assert_int_equal(kept, 2); /* two ways */
	assert_int_equal(wwsf_seen_has(&s, many[63], S("0:7"), 1000), 1);
	assert_true(s.hits > 0 && s.misses > 0);
}

static void test_replay_key_after_fork(void **state)
{
	char k[WWSF_REPLAY_KEY_LEN + 1], kc[WWSF_REPLAY_KEY_LEN + 1];
	int st = 0;
	pid_t pid;

	(void)state;
	/* the parent's reused context must not be the child's */
	assert_int_equal(wwsf_replay_key(S("a"), S("b"), k), 0);
	pid = fork();
	if(pid == 0) {
		alarm(30);
		_exit(wwsf_replay_key(S("a"), S("b"), kc) == 0
								&& strcmp(kc,
										   "59b271ae1bbcb1d31d41929817f4b16f")
										   == 0
								&& wwsf_replay_key(S("a"), S("b"), kc) == 0
								&& strcmp(kc, k) == 0
						? 0
						: 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(wwsf_replay_key(S("a"), S("b"), kc), 0);
	assert_string_equal(kc, k);
}

static void test_contact_expires_within(void **state)
{
	(void)state;
	/* nothing to lower: no parse needed */
	assert_int_equal(wwsf_contact_expires_within(S("<sip:a@h;transport=ws>"
												   ";+sip.ice;reg-id=1"),
							 600),
			1);
	assert_int_equal(
			wwsf_contact_expires_within(
					S("<sip:a@h>;expires=600;+sip.instance=\"<urn:x>\""), 600),
			1);
	assert_int_equal(wwsf_contact_expires_within(
							 S("<sip:a@h>;EXPIRES = 0, <sip:b@h>"), 1),
			1);
	assert_int_equal(wwsf_contact_expires_within(S("<sip:a@h>;expires"), 5), 1);
	assert_int_equal(wwsf_contact_expires_within(S(""), 5), 1);
	/* above the limit, in any spelling SIP allows: parse */
	assert_int_equal(
			wwsf_contact_expires_within(S("<sip:a@h>;expires=601"), 600), 0);
	assert_int_equal(
			wwsf_contact_expires_within(S("<sip:a@h>;Expires =\t7200"), 600),
			0);
	assert_int_equal(
			wwsf_contact_expires_within(
					S("<sip:a@h>;expires=60, <sip:b@h>;expires=9000"), 600),
			0);
	assert_int_equal(
			wwsf_contact_expires_within(
					S("<sip:a@h>;expires=99999999999999999999999"), UINT32_MAX),
			0);
	/* a value the quick look cannot read: parse */
	assert_int_equal(
			wwsf_contact_expires_within(S("<sip:a@h>;expires=\"7\""), 600), 0);
	assert_int_equal(
			wwsf_contact_expires_within(S("<sip:a@h>;expires="), 600), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_norm),
			cmocka_unit_test(test_norm_vs_registry_rules),
			cmocka_unit_test(test_cred_parse),
			cmocka_unit_test(test_cred_strip),
			cmocka_unit_test(test_tna_and_challenge),
			cmocka_unit_test(test_replay),
			cmocka_unit_test(test_replay_seen),
			cmocka_unit_test(test_replay_key_after_fork),
			cmocka_unit_test(test_contact_expires_within),
	};
	return cmocka_run_group_tests_name("wwsf_ident", tests, NULL, NULL);
}
