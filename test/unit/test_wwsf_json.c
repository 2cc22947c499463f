/*
 * Unit tests: modules/wwsf_token/wwsf_b64.c and wwsf_json.c (strict
 * base64url and JSON for JOSE headers and JWT claims).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"

#include <stdio.h>

#include "wwsf_b64.h"
#include "wwsf_json.h"

static void test_b64url(void **state)
{
	static const struct
	{
		const char *in;
		int rc;
		const char *out;
	} v[] = {
			{"", 0, ""},
			{"Zg", 0, "f"},
			{"Zm8", 0, "fo"},
			{"Zm9v", 0, "foo"},
			{"Zm9vYg", 0, "foob"},
			{"Zm9vYmE", 0, "fooba"},
			{"Zm9vYmFy", 0, "foobar"},
			{"_-8", 0, "\xff\xef"},
			{"Zg==", -1, NULL},	  /* padding */
			{"Zm9v\n", -1, NULL}, /* whitespace */
			{"Z", -1, NULL},	  /* 4k+1 */
			{"Zh", -1, NULL},	  /* non-zero pad bits: 2nd encoding of "f" */
			{"Zm9", -1, NULL},	  /* ditto for "fo" */
			{"+/8", -1, NULL},	  /* base64, not base64url */
			{"Zm\x00v", -1, NULL},
	};
	unsigned char out[16];
	size_t i, n;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		epc_span_t in = S(v[i].in);

		if(i == sizeof(v) / sizeof(v[0]) - 1)
			in.len = 4; /* embedded NUL */
		n = 99;
		assert_int_equal(wwsf_b64url_decode(in, out, sizeof(out), &n), v[i].rc);
		if(v[i].rc == 0) {
			assert_int_equal(n, strlen(v[i].out));
			assert_memory_equal(out, v[i].out, n);
		}
	}
	/* output capacity is respected */
	assert_int_equal(wwsf_b64url_decode(S("Zm9vYmFy"), out, 5, &n), -1);
	assert_int_equal(wwsf_b64url_decode(S("Zm9vYmFy"), out, 6, &n), 0);
	assert_int_equal(wwsf_b64url_decode(S("Zm9vYg"), out, 3, &n), -1);
}

static void test_json_valid_invalid(void **state)
{
	static const struct
	{
		const char *doc;
		int rc;
		size_t members;
	} v[] = {
			{"{}", 0, 0}, {" \t\r\n{ } \n", 0, 0}, {"{\"a\":1}", 0, 1},
			{"{\"a\":[1,2,{\"b\":[]}],\"c\":null,\"d\":true,\"e\":false}", 0,
					4},
			{"{\"a\":-0.5e+10,\"b\":0,\"c\":1E3}", 0, 3},
			{"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}", 0, 1},
			{"{\"a\":\"\\ud83d\\ude00\",\"\xc3\xa9\":\"\xf0\x9f\x98\x80\"}", 0,
					2},
			/* nested repeated names are not looked at */
			{"{\"a\":{\"x\":1,\"x\":2}}", 0, 1}, {"", -1, 0}, {"[]", -1, 0},
			{"\"a\"", -1, 0}, {"{", -1, 0}, {"{\"a\":1,}", -1, 0},
			{"{\"a\":1}{}", -1, 0}, {"{\"a\":1} x", -1, 0}, {"{'a':1}", -1, 0},
			{"{\"a\":01}", -1, 0}, {"{\"a\":1.}", -1, 0}, {"{\"a\":.5}", -1, 0},
			{"{\"a\":+1}", -1, 0}, {"{\"a\":1e}", -1, 0},
			{"{\"a\":tru}", -1, 0}, {"{\"a\":NaN}", -1, 0},
			{"{\"a\":\"x\ny\"}", -1, 0},			 /* raw control character */
			{"{\"a\":\"\\x\"}", -1, 0},				 /* unknown escape */
			{"{\"a\":\"\\u12G4\"}", -1, 0},			 /* bad hex */
			{"{\"a\":\"\\u0000\"}", -1, 0},			 /* NUL */
			{"{\"a\":\"\\ud83d\"}", -1, 0},			 /* lone high surrogate */
			{"{\"a\":\"\\ude00\"}", -1, 0},			 /* lone low surrogate */
			{"{\"a\":\"\xc3\"}", -1, 0},			 /* truncated UTF-8 */
			{"{\"a\":\"\xc0\xaf\"}", -1, 0},		 /* overlong */
			{"{\"a\":\"\xed\xa0\x80\"}", -1, 0},	 /* UTF-8 surrogate */
			{"{\"a\":\"\xf4\x90\x80\x80\"}", -1, 0}, /* > U+10FFFF */
			{"{\"a\":\"\xff\"}", -1, 0},
			{"{\"a\":1,\"a\":2}", -1, 0},		/* repeated name */
			{"{\"a\":1,\"\\u0061\":2}", -1, 0}, /* repeated after decoding */
			{"{\"a\" 1}", -1, 0}, {"{\"a\":[1 2]}", -1, 0},
			{"{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}", -1,
					0}, /* depth */
	};
	wwsf_json_obj_t o;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = wwsf_json_parse_object(S(v[i].doc), &o);

		if(rc != v[i].rc)
			fail_msg("case %zu: %s -> %d", i, v[i].doc, rc);
		if(rc == 0)
			assert_int_equal(o.n, v[i].members);
		else
			assert_int_equal(o.n, 0);
	}
}

static void test_json_member_limit(void **state)
{
	char doc[4096];
	wwsf_json_obj_t o;
	size_t n = 0, i;

	(void)state;
	doc[n++] = '{';
	for(i = 0; i < WWSF_JSON_MAX_MEMBERS + 1; i++)
		n += (size_t)snprintf(
				doc + n, sizeof(doc) - n, "%s\"m%zu\":%zu", i ? "," : "", i, i);
	doc[n++] = '}';
	assert_int_equal(wwsf_json_parse_object((epc_span_t){doc, n}, &o), -1);
	/* one member less fits */
	n = 0;
	doc[n++] = '{';
	for(i = 0; i < WWSF_JSON_MAX_MEMBERS; i++)
		n += (size_t)snprintf(
				doc + n, sizeof(doc) - n, "%s\"m%zu\":%zu", i ? "," : "", i, i);
	doc[n++] = '}';
	assert_int_equal(wwsf_json_parse_object((epc_span_t){doc, n}, &o), 0);
	assert_int_equal(o.n, WWSF_JSON_MAX_MEMBERS);
}

static void test_json_strings(void **state)
{
	wwsf_json_obj_t o;
	const wwsf_json_val_t *v;
	char b[64];
	size_t n;

	(void)state;
	assert_int_equal(
			wwsf_json_parse_object(S("{\"iss\":\"https:\\/\\/w.example\","
									 "\"s\\u0075b\":\"caf\\u00e9\",\"e\":\"\","
									 "\"n\":5}"),
					&o),
			0);
	v = wwsf_json_get(&o, S("iss"));
	assert_non_null(v);
	assert_int_equal(v->type, WWSF_JSON_STRING);
	assert_false(v->plain);
	assert_true(wwsf_json_str_eq(v, S("https://w.example")));
	assert_false(wwsf_json_str_eq(v, S("https://w.example/")));
	assert_false(wwsf_json_str_eq(v, S("https://w.exampl")));
	assert_int_equal(wwsf_json_str_decode(v, b, sizeof(b), &n), 0);
	assert_true(epc_span_eq((epc_span_t){b, n}, S("https://w.example")));
	assert_int_equal(wwsf_json_str_decode(v, b, 5, &n), -1);
	v = wwsf_json_get(&o, S("sub")); /* name decoded before comparing */
	assert_non_null(v);
	assert_true(wwsf_json_str_eq(v, S("caf\xc3\xa9")));
	v = wwsf_json_get(&o, S("e"));
	assert_true(wwsf_json_str_eq(v, S("")));
	assert_int_equal(wwsf_json_str_decode(v, b, 0, &n), 0);
	assert_int_equal(n, 0);
	v = wwsf_json_get(&o, S("n"));
	assert_false(wwsf_json_str_eq(v, S("5")));
	assert_int_equal(wwsf_json_str_decode(v, b, sizeof(b), &n), -1);
	assert_null(wwsf_json_get(&o, S("nope")));
}

static void test_json_arrays(void **state)
{
	wwsf_json_obj_t o;
	wwsf_json_iter_t it;
	wwsf_json_val_t e;
	const wwsf_json_val_t *v;

	(void)state;
	assert_int_equal(
			wwsf_json_parse_object(
					S("{\"a\":[ \"x\" , {\"k\":[1]} ,3 ],\"b\":[]}"), &o),
			0);
	v = wwsf_json_get(&o, S("a"));
	assert_int_equal(wwsf_json_iter_init(&it, v), 0);
	assert_int_equal(wwsf_json_iter_next(&it, &e), 1);
	assert_true(wwsf_json_str_eq(&e, S("x")));
	assert_int_equal(wwsf_json_iter_next(&it, &e), 1);
	assert_int_equal(e.type, WWSF_JSON_OBJECT);
	assert_true(epc_span_eq(e.raw, S("{\"k\":[1]}")));
	assert_int_equal(wwsf_json_iter_next(&it, &e), 1);
	assert_int_equal(e.type, WWSF_JSON_NUMBER);
	assert_int_equal(wwsf_json_iter_next(&it, &e), 0);
	assert_int_equal(wwsf_json_iter_next(&it, &e), 0);
	assert_int_equal(wwsf_json_iter_init(&it, wwsf_json_get(&o, S("b"))), 0);
	assert_int_equal(wwsf_json_iter_next(&it, &e), 0);
	assert_int_equal(wwsf_json_iter_init(&it, &e), -1); /* a number */
}

static void test_json_time(void **state)
{
	static const struct
	{
		const char *num;
		int rc;
		int64_t want;
	} v[] = {
			{"0", 0, 0},
			{"1750000000", 0, 1750000000},
			{"1750000000.999", 0, 1750000000},
			{"1.75e9", 0, 1750000000},
			{"1.75E+9", 0, 1750000000},
			{"175000000000e-2", 0, 1750000000},
			{"17500000001234567890123e-13", 0, 1750000000},
			{"1750000000.12345678901234567890", 0, 1750000000},
			{"1e-400", 0, 0},
			{"9007199254740992", 0, 9007199254740992LL},
			{"9007199254740993", -1, 0},
			{"1e300", -1, 0},
			{"1e999999999999", -1, 0},
			{"-1", -1, 0},
			{"-0.5", -1, 0},
	};
	wwsf_json_val_t val;
	size_t i;
	int64_t t;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char doc[128];
		wwsf_json_obj_t o;

		snprintf(doc, sizeof(doc), "{\"t\":%s}", v[i].num);
		assert_int_equal(wwsf_json_parse_object(S(doc), &o), 0);
		t = -7;
		if(wwsf_json_to_time(wwsf_json_get(&o, S("t")), &t) != v[i].rc)
			fail_msg("case %s", v[i].num);
		if(v[i].rc == 0 && t != v[i].want)
			fail_msg("case %s: %lld", v[i].num, (long long)t);
	}
	val.type = WWSF_JSON_STRING;
	val.raw = S("1");
	assert_int_equal(wwsf_json_to_time(&val, &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_b64url),
			cmocka_unit_test(test_json_valid_invalid),
			cmocka_unit_test(test_json_member_limit),
			cmocka_unit_test(test_json_strings),
			cmocka_unit_test(test_json_arrays),
			cmocka_unit_test(test_json_time),
	};
	return cmocka_run_group_tests_name("wwsf_json", tests, NULL, NULL);
}
