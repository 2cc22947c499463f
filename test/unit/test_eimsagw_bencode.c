/*
 * Unit tests: modules/eimsagw_ctl/eimsagw_bencode.c (ng protocol encoding)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "eimsagw_bencode.h"

#define NODES 256

static int decode(const char *in, eimsagw_bnode_t *n, uint32_t *used)
{
	return eimsagw_bdecode(in, strlen(in), n, NODES, used);
}

static void test_decode_valid(void **state)
{
	static const struct
	{
		const char *in;
		uint32_t nodes;
		uint32_t type;
	} v[] = {
			{"i0e", 1, EIMSAGW_BT_INT},
			{"i-42e", 1, EIMSAGW_BT_INT},
			{"i9223372036854775807e", 1, EIMSAGW_BT_INT},
			{"0:", 1, EIMSAGW_BT_STR},
			{"4:spam", 1, EIMSAGW_BT_STR},
			{"le", 1, EIMSAGW_BT_LIST},
			{"de", 1, EIMSAGW_BT_DICT},
			{"l4:spami7ee", 3, EIMSAGW_BT_LIST},
			{"d3:cow3:moo4:spaml1:a1:bee", 7, EIMSAGW_BT_DICT},
			{"d6:result4:ponge", 3, EIMSAGW_BT_DICT},
			{"lllleeee", 4, EIMSAGW_BT_LIST},
	};
	eimsagw_bnode_t n[NODES];
	uint32_t used;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(decode(v[i].in, n, &used), EIMSAGW_BENC_OK);
		assert_int_equal(used, v[i].nodes);
		assert_int_equal(n[0].type, v[i].type);
		assert_int_equal(n[0].next, used);
	}
	assert_int_equal(decode("i-42e", n, &used), 0);
	assert_true(n[0].i == -42);
	assert_int_equal(decode("i9223372036854775807e", n, &used), 0);
	assert_true(n[0].i == INT64_MAX);
	assert_int_equal(decode("d3:cow3:moo4:spaml1:a1:bee", n, &used), 0);
	assert_int_equal(n[0].count, 2); /* pairs */
	assert_int_equal(n[4].type, EIMSAGW_BT_LIST);
	assert_int_equal(n[4].count, 2);
	assert_true(epc_span_eq(n[4].s, S("l1:a1:be")));
}

static void test_decode_invalid(void **state)
{
	static const struct
	{
		const char *in;
		int rc;
	} v[] = {
			{"", EIMSAGW_BENC_E_EMPTY},
			{"i", EIMSAGW_BENC_E_PARSE},
			{"ie", EIMSAGW_BENC_E_PARSE},
			{"i-e", EIMSAGW_BENC_E_PARSE},
			{"i-0e", EIMSAGW_BENC_E_PARSE},
			{"i01e", EIMSAGW_BENC_E_PARSE},
			{"i1x", EIMSAGW_BENC_E_PARSE},
			{"i9223372036854775808e", EIMSAGW_BENC_E_PARSE},
			{"i99999999999999999999e", EIMSAGW_BENC_E_PARSE},
			{"5:abc", EIMSAGW_BENC_E_PARSE},
			{"01:a", EIMSAGW_BENC_E_PARSE},
			{"-1:a", EIMSAGW_BENC_E_PARSE},
			{"1a", EIMSAGW_BENC_E_PARSE},
			{":", EIMSAGW_BENC_E_PARSE},
			{"l", EIMSAGW_BENC_E_PARSE},
			{"l4:spam", EIMSAGW_BENC_E_PARSE},
			{"d", EIMSAGW_BENC_E_PARSE},
			{"di1ei2ee", EIMSAGW_BENC_E_PARSE},	  /* int key */
			{"d3:keye", EIMSAGW_BENC_E_PARSE},	  /* key without value */
			{"dlee3:abce", EIMSAGW_BENC_E_PARSE}, /* list key */
			{"e", EIMSAGW_BENC_E_PARSE},
			{"x", EIMSAGW_BENC_E_PARSE},
			{"i1ei2e", EIMSAGW_BENC_E_TRAIL},
			{"lee", EIMSAGW_BENC_E_TRAIL},
			{"4:spam ", EIMSAGW_BENC_E_TRAIL},
	};
	eimsagw_bnode_t n[NODES];
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = decode(v[i].in, n, NULL);
		if(rc != v[i].rc)
			fail_msg("%s: got %d want %d", v[i].in, rc, v[i].rc);
	}
	assert_int_equal(
			eimsagw_bdecode(NULL, 1, n, NODES, NULL), EIMSAGW_BENC_E_ARG);
	assert_int_equal(eimsagw_bdecode("le", 2, n, 0, NULL), EIMSAGW_BENC_E_ARG);
}

/* Hostile nesting is refused by the depth cap, never by the C stack. */
static void test_decode_depth_and_nodes(void **state)
{
	char deep[4096];
	eimsagw_bnode_t n[NODES];
	int i, d;

	(void)state;
	for(d = EIMSAGW_BENC_DEPTH_MAX; d <= EIMSAGW_BENC_DEPTH_MAX + 1; d++) {
		for(i = 0; i < d; i++) {
			deep[i] = 'l';
			deep[d + i] = 'e';
		}
		deep[2 * d] = '\0';
		assert_int_equal(decode(deep, n, NULL), d <= EIMSAGW_BENC_DEPTH_MAX
														? EIMSAGW_BENC_OK
														: EIMSAGW_BENC_E_DEPTH);
	}
	memset(deep, 'l', 2000);
	deep[2000] = '\0';
	assert_int_equal(decode(deep, n, NULL), EIMSAGW_BENC_E_DEPTH);
	/* node capacity */
	assert_int_equal(eimsagw_bdecode("li1ei2ei3ee", 11, n, 3, NULL),
			EIMSAGW_BENC_E_NODES);
	assert_int_equal(eimsagw_bdecode("li1ei2ei3ee", 11, n, 4, NULL), 0);
}

static void test_dict_lookup(void **state)
{
	const char *in =
			"d6:result2:ok3:sdp5:v=0\r\n6:countsi3e4:tagsd1:ad1:xi1eeee";
	eimsagw_bnode_t n[NODES];
	epc_span_t s;
	int64_t v;
	long t, k;
	int keys = 0;

	(void)state;
	assert_int_equal(decode(in, n, NULL), 0);
	assert_int_equal(eimsagw_bdict_str(n, 0, S("result"), &s), 0);
	assert_true(epc_span_eq(s, S("ok")));
	assert_int_equal(eimsagw_bdict_str(n, 0, S("sdp"), &s), 0);
	assert_true(epc_span_eq(s, S("v=0\r\n")));
	assert_int_equal(eimsagw_bdict_int(n, 0, S("counts"), &v), 0);
	assert_true(v == 3);
	assert_int_equal(eimsagw_bdict_int(n, 0, S("result"), &v), -1);
	assert_int_equal(eimsagw_bdict_str(n, 0, S("nope"), &s), -1);
	t = eimsagw_bdict_get(n, 0, S("tags"));
	assert_true(t > 0);
	for(k = eimsagw_bfirst(n, (uint32_t)t); k >= 0;
			k = eimsagw_bnext(n, (uint32_t)t, n[k].next)) {
		assert_int_equal(n[k].type, EIMSAGW_BT_STR);
		keys++;
	}
	assert_int_equal(keys, 1);
	/* lookups on non-dictionaries fail cleanly */
	assert_int_equal(eimsagw_bdict_get(n, 1, S("x")), -1);
	assert_int_equal(eimsagw_bfirst(n, 1), -1);
}

static void test_encode(void **state)
{
	char buf[256];
	eimsagw_benc_t b;
	size_t len;

	(void)state;
	eimsagw_benc_init(&b, buf, sizeof(buf));
	eimsagw_benc_raw(&b, "ck ", 3);
	eimsagw_benc_dict(&b);
	eimsagw_benc_kv(&b, "command", S("ping"));
	eimsagw_benc_cstr(&b, "n");
	eimsagw_benc_int(&b, -12);
	eimsagw_benc_cstr(&b, "z");
	eimsagw_benc_int(&b, 0);
	eimsagw_benc_cstr(&b, "big");
	eimsagw_benc_int(&b, INT64_MIN);
	eimsagw_benc_cstr(&b, "l");
	eimsagw_benc_list(&b);
	eimsagw_benc_str(&b, S(""));
	eimsagw_benc_end(&b);
	eimsagw_benc_end(&b);
	assert_int_equal(eimsagw_benc_finish(&b, &len), 0);
	buf[len] = '\0';
	assert_string_equal(buf, "ck d7:command4:ping1:ni-12e1:zi0e3:bigi-"
							 "9223372036854775808e1:ll0:ee");
}

static void test_encode_errors(void **state)
{
	char buf[8];
	eimsagw_benc_t b;
	size_t len = 99;
	int i;

	(void)state;
	eimsagw_benc_init(&b, buf, sizeof(buf));
	eimsagw_benc_cstr(&b, "too long for it");
	assert_int_equal(eimsagw_benc_finish(&b, &len), EIMSAGW_BENC_E_SPACE);
	assert_int_equal(len, 99);

	eimsagw_benc_init(&b, buf, sizeof(buf));
	eimsagw_benc_list(&b);
	assert_int_equal(eimsagw_benc_finish(&b, &len), EIMSAGW_BENC_E_NEST);

	eimsagw_benc_init(&b, buf, sizeof(buf));
	eimsagw_benc_end(&b);
	assert_int_equal(eimsagw_benc_finish(&b, &len), EIMSAGW_BENC_E_NEST);

	{
		char big[128];
		eimsagw_benc_init(&b, big, sizeof(big));
		for(i = 0; i <= EIMSAGW_BENC_DEPTH_MAX; i++)
			eimsagw_benc_list(&b);
		assert_int_equal(eimsagw_benc_finish(&b, &len), EIMSAGW_BENC_E_DEPTH);
	}
	eimsagw_benc_init(&b, NULL, 0);
	assert_int_equal(eimsagw_benc_finish(&b, &len), EIMSAGW_BENC_E_ARG);
	assert_string_equal(eimsagw_benc_strerror(EIMSAGW_BENC_E_DEPTH),
			"bencode nested too deeply");
}

/* What the encoder writes, the decoder reads back. */
static void test_roundtrip(void **state)
{
	char buf[512];
	eimsagw_benc_t b;
	eimsagw_bnode_t n[NODES];
	size_t len;
	int64_t v;
	epc_span_t s;
	char bin[3] = {'a', '\0', 'e'};

	(void)state;
	eimsagw_benc_init(&b, buf, sizeof(buf));
	eimsagw_benc_dict(&b);
	eimsagw_benc_kv(&b, "bin", (epc_span_t){bin, 3});
	eimsagw_benc_cstr(&b, "int");
	eimsagw_benc_int(&b, 1234567890123LL);
	eimsagw_benc_end(&b);
	assert_int_equal(eimsagw_benc_finish(&b, &len), 0);
	assert_int_equal(eimsagw_bdecode(buf, len, n, NODES, NULL), 0);
	assert_int_equal(eimsagw_bdict_str(n, 0, S("bin"), &s), 0);
	assert_int_equal(s.len, 3);
	assert_memory_equal(s.s, bin, 3);
	assert_int_equal(eimsagw_bdict_int(n, 0, S("int"), &v), 0);
	assert_true(v == 1234567890123LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_decode_valid),
			cmocka_unit_test(test_decode_invalid),
			cmocka_unit_test(test_decode_depth_and_nodes),
			cmocka_unit_test(test_dict_lookup),
			cmocka_unit_test(test_encode),
			cmocka_unit_test(test_encode_errors),
			cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
