/*
 * Unit tests: lib/epc_wwsf_registry.c (WWSF trust registry loader, lookups)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "epc_wwsf_registry.h"

#ifndef EPC_TOP
#error EPC_TOP (the repository root) must be defined by the Makefile
#endif

#define EC_PEM                                                           \
	"-----BEGIN PUBLIC KEY-----\n"                                       \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7vxhuTeFvgrWa6ygZczgrVkLXBFx\n" \
	"E16nqER/qqIXNwp95sZwGFJ8GtIVd7tjAkKD5Uj4IObV9rnUZBtk+VbcbQ==\n"     \
	"-----END PUBLIC KEY-----\n"

static epc_wwsf_schema_t *schema;

/* allocator that counts, and fails after a budget when asked */
typedef struct counting
{
	long allocs, frees, budget;
} counting_t;

static void *c_alloc(void *ctx, size_t n)
{
	counting_t *c = ctx;
	if(c->budget >= 0 && c->allocs >= c->budget)
		return NULL;
	c->allocs++;
	return test_malloc(n);
}

static void c_free(void *ctx, void *p)
{
	counting_t *c = ctx;
	c->frees++;
	test_free(p);
}

static int setup(void **state)
{
	char err[EPC_WWSF_ERR_MAX];
	(void)state;
	return epc_wwsf_schema_new(&schema, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	epc_wwsf_schema_free(schema);
	schema = NULL;
	return 0;
}

static int load(const char *xml, const char *key_dir, epc_wwsf_registry_t **r,
		char *err, size_t errlen)
{
	epc_wwsf_load_opts_t o = {"reg.xml", key_dir, schema};
	return epc_wwsf_registry_load_mem(
			xml, strlen(xml), &o, &epc_alloc_libc, r, err, errlen);
}

/* a registry around one <wwsf> body */
static char *doc1(const char *wwsf_attrs, const char *body)
{
	static char buf[16384];
	snprintf(buf, sizeof(buf),
			"<?xml version=\"1.0\"?>\n"
			"<wwsf-registry version=\"1\">\n"
			"<wwsf id=\"w1\"%s>\n%s\n</wwsf>\n"
			"</wwsf-registry>\n",
			wwsf_attrs, body);
	return buf;
}

static void test_example_file(void **state)
{
	char err[EPC_WWSF_ERR_MAX];
	epc_wwsf_registry_t *r = NULL;
	const epc_wwsf_t *w;
	const epc_wwsf_origin_t *which;
	epc_origin_t o;
	int rc;

	(void)state;
	rc = epc_wwsf_registry_load_file(EPC_TOP
			"/kamailio-cfg/ep-cscf/wwsf-registry.xml",
			schema, &epc_alloc_libc, &r, err, sizeof(err));
	if(rc != 0)
		fail_msg("example registry: %s", err);
	assert_int_equal(r->n_wwsf, 3);
	assert_int_equal(r->n_origins, 4);
	assert_true(r->bytes > 0);
	assert_non_null(strstr(r->source.s, "wwsf-registry.xml"));

	w = epc_wwsf_registry_find(r, S("operator-portal"));
	assert_non_null(w);
	assert_string_equal(w->description.s, "Operator WebRTC portal");
	assert_true(w->enabled);
	assert_int_equal(w->max_connections, 50000);
	assert_true(w->has_token);
	assert_string_equal(w->issuer.s, "https://webrtc.operator.example");
	assert_int_equal(w->n_audiences, 1);
	assert_true(epc_wwsf_has_audience(w, S("sip:ep-cscf.operator.example")));
	assert_false(epc_wwsf_has_audience(w, S("sip:other")));
	assert_int_equal(w->algs, EPC_JWS_ES256 | EPC_JWS_EDDSA);
	assert_int_equal(w->max_lifetime, 3600);
	assert_string_equal(
			w->authz_server.s, "https://webrtc.operator.example/oauth2/token");
	assert_int_equal(w->n_keys, 2);
	assert_non_null(epc_wwsf_find_key(w, S("portal-2026-02")));
	assert_int_equal(
			epc_wwsf_find_key(w, S("portal-2026-02"))->alg, EPC_JWS_EDDSA);
	assert_null(epc_wwsf_find_key(w, S("nope")));
	assert_string_equal(w->keys[0].pem.s, EC_PEM);
	assert_int_equal(w->keys[0].file.len, 0);
	assert_int_equal(w->n_rules, 3);

	w = epc_wwsf_registry_find(r, S("ims-auth-client"));
	assert_non_null(w);
	assert_false(w->has_token);
	assert_int_equal(w->n_rules, 0);
	assert_string_equal(w->issuer.s, "");
	assert_null(epc_wwsf_registry_find(r, S("Operator-portal")));

	assert_int_equal(
			epc_origin_parse(S("https://a.b.portal.operator.example"), &o), 0);
	w = epc_wwsf_registry_match_origin(r, &o, &which);
	assert_non_null(w);
	assert_string_equal(w->id.s, "operator-portal");
	assert_string_equal(which->text.s, "https://*.portal.operator.example");
	assert_int_equal(
			epc_origin_parse(S("https://portal.operator.example"), &o), 0);
	assert_null(epc_wwsf_registry_match_origin(r, &o, &which));
	assert_null(which);
	epc_wwsf_registry_free(r, &epc_alloc_libc);
}

/* the compiled-in schema is the shipped .xsd */
static void test_schema_in_sync(void **state)
{
	FILE *f = fopen(EPC_TOP "/kamailio-cfg/schema/wwsf-registry.xsd", "rb");
	char *buf;
	size_t n, len;
	const char *text = epc_wwsf_schema_text(&len);

	(void)state;
	assert_non_null(f);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	if(n != len || memcmp(buf, text, len) != 0)
		fail_msg("lib/epc_wwsf_schema.c differs from wwsf-registry.xsd: run "
				 "scripts/embed-schema.py");
	free(buf);
}

static const char *TOKEN_OK =
		"<token><issuer>https://iss.example</issuer>"
		"<audience>sip:epc.example</audience><audience>epc2</audience>"
		"<algorithms>ES256 RS256</algorithms>"
		"<max-lifetime>600</max-lifetime>"
		"<key kid=\"k1\" alg=\"ES256\">" EC_PEM "</key></token>";

static void test_minimal_and_defaults(void **state)
{
	char err[EPC_WWSF_ERR_MAX];
	epc_wwsf_registry_t *r = NULL;

	(void)state;
	assert_int_equal(
			load("<wwsf-registry version=\"1\"/>", NULL, &r, err, sizeof(err)),
			0);
	assert_int_equal(r->n_wwsf, 0);
	assert_string_equal(r->source.s, "reg.xml");
	epc_wwsf_registry_free(r, &epc_alloc_libc);

	assert_int_equal(load(doc1(" enabled=\"false\" max-connections=\"7\"",
								  "<origin> https://A.example </origin>"
								  "<origin allow-insecure=\"true\">"
								  "http://b.example:8080</origin>"),
							 NULL, &r, err, sizeof(err)),
			0);
	assert_false(r->wwsf[0].enabled);
	assert_int_equal(r->wwsf[0].max_connections, 7);
	assert_string_equal(r->wwsf[0].origins[0].text.s, "https://a.example");
	assert_false(r->wwsf[0].origins[0].insecure);
	assert_true(r->wwsf[0].origins[1].insecure);
	assert_int_equal(r->wwsf[0].origins[1].line, 4);
	assert_false(r->wwsf[0].has_token);
	epc_wwsf_registry_free(r, &epc_alloc_libc);

	assert_int_equal(load(doc1("", "<origin>https://a.example</origin>"), NULL,
							 &r, err, sizeof(err)),
			0);
	assert_true(r->wwsf[0].enabled);
	assert_int_equal(r->wwsf[0].max_connections, 0);
	epc_wwsf_registry_free(r, &epc_alloc_libc);

	assert_int_equal(load(doc1("", "<origin>https://a.example</origin>"), NULL,
							 &r, err, sizeof(err)),
			0);
	epc_wwsf_registry_free(r, &epc_alloc_libc);
	{
		char body[4096];
		snprintf(body, sizeof(body), "<origin>https://a.example</origin>%s",
				TOKEN_OK);
		assert_int_equal(load(doc1("", body), NULL, &r, err, sizeof(err)), 0);
		assert_int_equal(r->wwsf[0].n_audiences, 2);
		assert_int_equal(r->wwsf[0].algs, EPC_JWS_ES256 | EPC_JWS_RS256);
		assert_string_equal(r->wwsf[0].authz_server.s, "");
		epc_wwsf_registry_free(r, &epc_alloc_libc);
	}
}

/* every bad file: the code, and a message with file:line */
static void test_bad_documents(void **state)
{
	static const struct
	{
		const char *xml;
		int rc;
		const char *msg; /* substring of the error */
	} v[] = {
			{"", EPC_WWSF_E_XML, "reg.xml:1: XML: "},
			{"<wwsf-registry version=\"1\">\n<wwsf id=\"a\">\n", EPC_WWSF_E_XML,
					"reg.xml:3: XML: "},
			{"<wwsf-registry version=\"1\"><wwsf></wwsf-registry>",
					EPC_WWSF_E_XML, "reg.xml:1: XML: "},
			{"<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"b\">]>\n"
			 "<wwsf-registry version=\"1\"/>",
					EPC_WWSF_E_XML, "DOCTYPE is not allowed"},
			{"<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"http://x/y.dtd\">\n"
			 "<wwsf-registry version=\"1\"/>",
					EPC_WWSF_E_XML, "DOCTYPE"},
			{"<registry/>", EPC_WWSF_E_SCHEMA, "reg.xml:1: schema: "},
			{"<wwsf-registry version=\"2\"/>", EPC_WWSF_E_SCHEMA,
					"reg.xml:1: schema: "},
			{"<wwsf-registry version=\"1\">\n<wwsf id=\"a\"/>\n"
			 "</wwsf-registry>",
					EPC_WWSF_E_SCHEMA, "reg.xml:2: schema: "},
			/* duplicate id: xs:unique */
			{"<wwsf-registry version=\"1\">\n"
			 "<wwsf id=\"a\"><origin>https://a.example</origin></wwsf>\n"
			 "<wwsf id=\"a\"><origin>https://b.example</origin></wwsf>\n"
			 "</wwsf-registry>",
					EPC_WWSF_E_SCHEMA, "reg.xml:3: schema: "},
			{"<wwsf-registry version=\"1\">\n"
			 "<wwsf id=\"bad id\"><origin>https://a.example</origin></wwsf>\n"
			 "</wwsf-registry>",
					EPC_WWSF_E_SCHEMA, ":2: schema:"},
			{"<wwsf-registry version=\"1\"><wwsf id=\"a\" enabled=\"maybe\">"
			 "<origin>https://a.example</origin></wwsf></wwsf-registry>",
					EPC_WWSF_E_SCHEMA, "schema:"},
			{"<wwsf-registry version=\"1\"><wwsf id=\"a\">"
			 "<origin>https://a.example</origin><bogus/></wwsf>"
			 "</wwsf-registry>",
					EPC_WWSF_E_SCHEMA, "schema:"},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char err[EPC_WWSF_ERR_MAX];
		epc_wwsf_registry_t *r = (void *)1;
		int rc = load(v[i].xml, NULL, &r, err, sizeof(err));
		if(rc != v[i].rc || strstr(err, v[i].msg) == NULL)
			fail_msg("case %zu: rc %d '%s', want %d '%s'", i, rc, err, v[i].rc,
					v[i].msg);
		assert_null(r);
	}
}

/* what the schema lets through and the loader refuses */
static void test_semantic_errors(void **state)
{
	static const struct
	{
		const char *body;
		const char *msg;
	} v[] = {
			{"<origin>https://*.example</origin>",
					"reg.xml:4: origin 'https://*.example': invalid wildcard"},
			{"<origin>https://a.example:0443</origin>", "invalid port"},
			{"<origin>https://a..example</origin>", "invalid host"},
			{"<origin>http://a.example</origin>",
					"reg.xml:4: origin 'http://a.example' is not https"},
			{"<origin>https://a.example</origin>\n"
			 "<origin>https://A.example:443</origin>",
					"reg.xml:5: origin 'https://a.example' is already listed "
					"at line 4 (WWSF 'w1')"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>\n"
			 "<key kid=\"k\" alg=\"RS256\">" EC_PEM "</key></token>",
					"reg.xml:5: key 'k': alg 'RS256' is not in <algorithms>"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\">" EC_PEM "</key>\n"
			 "<key kid=\"k\" alg=\"ES256\">" EC_PEM "</key></token>",
					"kid 'k' already used at line"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\">-----BEGIN PRIVATE KEY-----\n"
			 "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
			 "-----END PRIVATE KEY-----</key></token>",
					"is a private key"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\">-----BEGIN CERTIFICATE-----\n"
			 "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
			 "-----END CERTIFICATE-----</key></token>",
					"is not a PEM PUBLIC KEY"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\">" EC_PEM EC_PEM "</key></token>",
					"has bytes other than base64"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\">MFkwEwYHKoZIzj0CAQYI</key></token>",
					"is not PEM"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\">-----BEGIN PUBLIC KEY-----\n"
			 "-----END PUBLIC KEY-----</key></token>",
					"has no key data"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\"/></token>",
					"is not PEM"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\" file=\"k.pem\">" EC_PEM
			 "</key></token>",
					"not both"},
			{"<origin>https://a.example</origin><token><issuer>i</issuer>"
			 "<audience>a</audience><algorithms>ES256</algorithms>"
			 "<max-lifetime>60</max-lifetime>"
			 "<key kid=\"k\" alg=\"ES256\" file=\"k.pem\"/></token>",
					"key files are not allowed here"},
			{"<origin>https://a.example</origin><identities>\n"
			 "<impu>sip:a@b@c</impu></identities>",
					"schema:"},
			{"<origin>https://a.example</origin><identities>\n"
			 "<impu>sip:*********@a.example</impu></identities>",
					"reg.xml:5: identity pattern 'sip:*********@a.example' has "
					"more than 8"},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char err[EPC_WWSF_ERR_MAX];
		epc_wwsf_registry_t *r = (void *)1;
		int rc = load(doc1("", v[i].body), NULL, &r, err, sizeof(err));
		if(rc >= 0 || strstr(err, v[i].msg) == NULL)
			fail_msg("case %zu: rc %d '%s', want '%s'", i, rc, err, v[i].msg);
		assert_null(r);
	}
}

/* duplicate origins across WWSFs, and most-specific match */
static void test_registry_origins(void **state)
{
	char err[EPC_WWSF_ERR_MAX];
	epc_wwsf_registry_t *r = NULL;
	const epc_wwsf_origin_t *which;
	epc_origin_t o;
	int rc;

	(void)state;
	rc = load("<wwsf-registry version=\"1\">\n"
			  "<wwsf id=\"a\"><origin>https://*.op.example</origin></wwsf>\n"
			  "<wwsf id=\"b\"><origin>https://*.x.op.example</origin></wwsf>\n"
			  "<wwsf id=\"c\"><origin>https://y.x.op.example</origin></wwsf>\n"
			  "</wwsf-registry>",
			NULL, &r, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(epc_origin_parse(S("https://y.x.op.example"), &o), 0);
	assert_string_equal(epc_wwsf_registry_match_origin(r, &o, NULL)->id.s, "c");
	assert_int_equal(epc_origin_parse(S("https://z.x.op.example"), &o), 0);
	assert_string_equal(
			epc_wwsf_registry_match_origin(r, &o, &which)->id.s, "b");
	assert_string_equal(which->text.s, "https://*.x.op.example");
	assert_int_equal(epc_origin_parse(S("https://z.op.example"), &o), 0);
	assert_string_equal(epc_wwsf_registry_match_origin(r, &o, NULL)->id.s, "a");
	assert_int_equal(epc_origin_parse(S("https://op.example"), &o), 0);
	assert_null(epc_wwsf_registry_match_origin(r, &o, NULL));
	epc_wwsf_registry_free(r, &epc_alloc_libc);

	rc = load("<wwsf-registry version=\"1\">\n"
			  "<wwsf id=\"a\"><origin>https://*.op.example</origin></wwsf>\n"
			  "<wwsf id=\"b\"><origin>https://*.OP.example:443</origin>"
			  "</wwsf>\n</wwsf-registry>",
			NULL, &r, err, sizeof(err));
	assert_int_equal(rc, EPC_WWSF_E_INVALID);
	assert_string_equal(err, "reg.xml:3: origin 'https://*.op.example' is "
							 "already listed at line 2 (WWSF 'a')");
	assert_null(epc_wwsf_registry_match_origin(NULL, &o, NULL));
}

static void test_identities(void **state)
{
	static const struct
	{
		epc_wwsf_idkind_t kind;
		const char *id;
		int want;
	} v[] = {
			{EPC_WWSF_IMPU, "sip:alice@ims.example", 1},
			{EPC_WWSF_IMPU, "SIP:alice@IMS.Example", 1},
			{EPC_WWSF_IMPU, "sips:alice@ims.example", 1},
			{EPC_WWSF_IMPU, "sip:@ims.example", 0},
			{EPC_WWSF_IMPU, "sip:alice@ims.example.evil", 0},
			{EPC_WWSF_IMPU, "sip:alice@evil-ims.example", 0},
			{EPC_WWSF_IMPU, "sip:alice@sub.ims.example", 0},
			{EPC_WWSF_IMPU, "sip:a@b@ims.example", 0},
			{EPC_WWSF_IMPU, "tel:alice@ims.example", 0},
			{EPC_WWSF_IMPU, "sip:ims.example", 0},
			{EPC_WWSF_IMPU, "sip:alice:pw@ims.example", 0},
			{EPC_WWSF_IMPU, "sip:alice@ims.example;user=phone", 0},
			{EPC_WWSF_IMPU, "sip:alice@ims.example ", 0},
			{EPC_WWSF_IMPU, "<sip:alice@ims.example>", 0},
			/* pattern sip:guest-*@guests.example: user exact, host nocase */
			{EPC_WWSF_IMPU, "sip:guest-17@guests.example", 1},
			{EPC_WWSF_IMPU, "sip:guest-@GUESTS.example", 1},
			{EPC_WWSF_IMPU, "sip:Guest-17@guests.example", 0},
			{EPC_WWSF_IMPU, "sip:guest-17@x.guests.example", 0},
			{EPC_WWSF_IMPU, "sip:guest-1@2@guests.example", 0},
			{EPC_WWSF_IMPU, "sips:guest-17@guests.example", 0},
			/* tel */
			{EPC_WWSF_IMPU, "tel:+3312345678", 1},
			{EPC_WWSF_IMPU, "TEL:+3312345", 1},
			{EPC_WWSF_IMPU, "tel:+331234", 0},
			{EPC_WWSF_IMPU, "tel:+33123-45678", 0},
			{EPC_WWSF_IMPU, "tel:+3312345678901234", 0},
			{EPC_WWSF_IMPU, "tel:3312345678", 0},
			{EPC_WWSF_IMPU, "tel:+4412345", 0},
			{EPC_WWSF_IMPU, "tel:+49301", 1}, /* tel pattern */
			{EPC_WWSF_IMPU, "tel:+49402", 0},
			/* IMPI */
			{EPC_WWSF_IMPI, "alice@ims.example", 1},
			{EPC_WWSF_IMPI, "alice@IMS.EXAMPLE", 1},
			{EPC_WWSF_IMPI, "@ims.example", 0},
			{EPC_WWSF_IMPI, "alice@other.example", 0},
			{EPC_WWSF_IMPI, "sip:alice@ims.example", 0},
			{EPC_WWSF_IMPI, "guest-9@pool.example", 1},
			{EPC_WWSF_IMPI, "guest-9@x.pool.example", 0},
			{EPC_WWSF_IMPI, "", 0},
			/* kinds do not mix */
			{EPC_WWSF_IMPI, "sip:guest-17@guests.example", 0},
	};
	char err[EPC_WWSF_ERR_MAX];
	epc_wwsf_registry_t *r = NULL;
	size_t i;

	(void)state;
	assert_int_equal(load(doc1("", "<origin>https://a.example</origin>"
								   "<identities>"
								   "<impu-domain>IMS.example</impu-domain>"
								   "<impu>SIP:guest-*@Guests.Example</impu>"
								   "<impu-tel-prefix>+3312345</impu-tel-prefix>"
								   "<impu>tel:+49*01</impu>"
								   "<impi-domain>ims.example</impi-domain>"
								   "<impi>guest-*@pool.example</impi>"
								   "</identities>"),
							 NULL, &r, err, sizeof(err)),
			0);
	assert_int_equal(r->wwsf[0].n_rules, 6);
	assert_string_equal(r->wwsf[0].rules[0].value.s, "ims.example");
	assert_string_equal(
			r->wwsf[0].rules[1].value.s, "sip:guest-*@guests.example");
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if(epc_wwsf_identity_allowed(&r->wwsf[0], v[i].kind, S(v[i].id))
				!= v[i].want)
			fail_msg("%s: want %d", v[i].id, v[i].want);
	}
	assert_false(epc_wwsf_identity_allowed(NULL, EPC_WWSF_IMPU, S("x")));
	epc_wwsf_registry_free(r, &epc_alloc_libc);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_key_files(void **state)
{
	char dir[] = "/tmp/epc-wwsf-XXXXXX", path[256], body[2048];
	char err[EPC_WWSF_ERR_MAX];
	epc_wwsf_registry_t *r = NULL;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k1.pem", dir);
	write_file(path, "\n\n" EC_PEM "\n");
	snprintf(body, sizeof(body),
			"<origin>https://a.example</origin><token><issuer>i</issuer>"
			"<audience>a</audience><algorithms>ES256</algorithms>"
			"<max-lifetime>60</max-lifetime>"
			"<key kid=\"rel\" alg=\"ES256\" file=\"k1.pem\"/>"
			"<key kid=\"abs\" alg=\"ES256\" file=\"%s\"/>\n"
			"<key kid=\"missing\" alg=\"ES256\" file=\"nope.pem\"/>"
			"</token>",
			path);
	snprintf(path, sizeof(path), "%s/reg.xml", dir);
	write_file(path, doc1("", body));
	rc = epc_wwsf_registry_load_file(
			path, schema, &epc_alloc_libc, &r, err, sizeof(err));
	assert_int_equal(rc, EPC_WWSF_E_IO);
	assert_non_null(strstr(err, "reg.xml:5: key file '"));
	assert_non_null(strstr(err, "nope.pem': No such file"));

	/* without the missing one it loads; the path is recorded */
	snprintf(body, sizeof(body),
			"<origin>https://a.example</origin><token><issuer>i</issuer>"
			"<audience>a</audience><algorithms>ES256</algorithms>"
			"<max-lifetime>60</max-lifetime>"
			"<key kid=\"rel\" alg=\"ES256\" file=\"k1.pem\"/></token>");
	write_file(path, doc1("", body));
	rc = epc_wwsf_registry_load_file(
			path, schema, &epc_alloc_libc, &r, err, sizeof(err));
	if(rc != 0)
		fail_msg("%s", err);
	assert_string_equal(r->wwsf[0].keys[0].pem.s, EC_PEM);
	assert_non_null(strstr(r->wwsf[0].keys[0].file.s, "/k1.pem"));
	epc_wwsf_registry_free(r, &epc_alloc_libc);

	/* a directory is not a key file; an empty one is no key */
	snprintf(body, sizeof(body),
			"<origin>https://a.example</origin><token><issuer>i</issuer>"
			"<audience>a</audience><algorithms>ES256</algorithms>"
			"<max-lifetime>60</max-lifetime>"
			"<key kid=\"d\" alg=\"ES256\" file=\".\"/></token>");
	write_file(path, doc1("", body));
	rc = epc_wwsf_registry_load_file(
			path, schema, &epc_alloc_libc, &r, err, sizeof(err));
	assert_int_equal(rc, EPC_WWSF_E_IO);
	assert_non_null(strstr(err, "not a regular file"));

	/* missing registry, directory as registry */
	rc = epc_wwsf_registry_load_file("/nonexistent/reg.xml", schema,
			&epc_alloc_libc, &r, err, sizeof(err));
	assert_int_equal(rc, EPC_WWSF_E_IO);
	assert_string_equal(err, "/nonexistent/reg.xml: No such file or directory");
	rc = epc_wwsf_registry_load_file(
			dir, schema, &epc_alloc_libc, &r, err, sizeof(err));
	assert_int_equal(rc, EPC_WWSF_E_IO);

	unlink(path);
	snprintf(path, sizeof(path), "%s/k1.pem", dir);
	unlink(path);
	rmdir(dir);
}

/* every allocation failure is reported and nothing leaks */
static void test_alloc_failures(void **state)
{
	counting_t c;
	epc_alloc_t a = {c_alloc, c_free, &c};
	epc_wwsf_load_opts_t o = {"reg.xml", NULL, schema};
	char err[EPC_WWSF_ERR_MAX], *xml;
	epc_wwsf_registry_t *r;
	long budget;
	int rc = -1;
	FILE *f = fopen(EPC_TOP "/kamailio-cfg/ep-cscf/wwsf-registry.xml", "rb");
	size_t n;

	(void)state;
	assert_non_null(f);
	xml = malloc(65536);
	n = fread(xml, 1, 65536, f);
	fclose(f);
	for(budget = 0; budget < 100 && rc != 0; budget++) {
		memset(&c, 0, sizeof(c));
		c.budget = budget;
		r = NULL;
		rc = epc_wwsf_registry_load_mem(xml, n, &o, &a, &r, err, sizeof(err));
		if(rc != 0) {
			assert_int_equal(rc, EPC_WWSF_E_NOMEM);
			assert_string_equal(err, "reg.xml: out of memory");
			assert_null(r);
		} else {
			assert_int_equal(r->n_wwsf, 3);
			epc_wwsf_registry_free(r, &a);
		}
		assert_int_equal(c.allocs, c.frees);
	}
	assert_int_equal(rc, 0);
	assert_true(budget > 1);
	free(xml);
}

static void test_args_and_names(void **state)
{
	char err[EPC_WWSF_ERR_MAX];
	epc_wwsf_registry_t *r;
	char big[16];

	(void)state;
	assert_int_equal(epc_wwsf_registry_load_mem(
							 "x", 1, NULL, &epc_alloc_libc, NULL, err, 8),
			EPC_WWSF_E_ARG);
	assert_int_equal(epc_wwsf_registry_load_mem(
							 NULL, 1, NULL, &epc_alloc_libc, &r, err, 8),
			EPC_WWSF_E_ARG);
	assert_int_equal(
			epc_wwsf_registry_load_mem(big, (size_t)EPC_WWSF_MAX_FILE + 1, NULL,
					&epc_alloc_libc, &r, err, sizeof(err)),
			EPC_WWSF_E_TOOBIG);
	assert_non_null(strstr(err, "<memory>: registry is "));
	/* without a precompiled schema, one is made for the call */
	assert_int_equal(
			epc_wwsf_registry_load_mem("<wwsf-registry version=\"1\"/>", 28,
					NULL, &epc_alloc_libc, &r, NULL, 0),
			0);
	epc_wwsf_registry_free(r, &epc_alloc_libc);
	epc_wwsf_registry_free(NULL, &epc_alloc_libc);

	assert_int_equal(epc_jws_alg_from_name(S("ES256")), EPC_JWS_ES256);
	assert_int_equal(epc_jws_alg_from_name(S("EdDSA")), EPC_JWS_EDDSA);
	assert_int_equal(epc_jws_alg_from_name(S("es256")), 0);
	assert_int_equal(epc_jws_alg_from_name(S("none")), 0);
	assert_int_equal(epc_jws_alg_from_name(S("HS256")), 0);
	assert_string_equal(epc_jws_alg_name(EPC_JWS_PS512), "PS512");
	assert_null(epc_jws_alg_name(EPC_JWS_ES256 | EPC_JWS_ES384));
	assert_string_equal(
			epc_wwsf_strerror(EPC_WWSF_E_SCHEMA), "not valid per the schema");
	assert_string_equal(epc_wwsf_strerror(1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_example_file),
			cmocka_unit_test(test_schema_in_sync),
			cmocka_unit_test(test_minimal_and_defaults),
			cmocka_unit_test(test_bad_documents),
			cmocka_unit_test(test_semantic_errors),
			cmocka_unit_test(test_registry_origins),
			cmocka_unit_test(test_identities),
			cmocka_unit_test(test_key_files),
			cmocka_unit_test(test_alloc_failures),
			cmocka_unit_test(test_args_and_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
