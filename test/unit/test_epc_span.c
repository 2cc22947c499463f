/*
 * Unit tests: lib/epc_span.c
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"

static void test_eq(void **state)
{
	(void)state;
	assert_true(epc_span_eq(S("abc"), S("abc")));
	assert_false(epc_span_eq(S("abc"), S("abC")));
	assert_false(epc_span_eq(S("abc"), S("ab")));
	assert_true(epc_span_eq(S(""), EPC_SPAN_NULL));
	assert_true(epc_span_eq_nocase(S("HtTpS"), S("https")));
	assert_false(epc_span_eq_nocase(S("https"), S("http")));
	/* no locale folding: only ASCII letters fold */
	assert_false(epc_span_eq_nocase(S("\xc3\xa9"), S("\xc3\x89")));
	assert_false(epc_span_eq_nocase(S("@"), S("`")));
}

static void test_prefix_trim(void **state)
{
	(void)state;
	assert_true(epc_span_has_prefix(S("Bearer xyz"), S("bearer"), 1));
	assert_false(epc_span_has_prefix(S("Bearer xyz"), S("bearer"), 0));
	assert_false(epc_span_has_prefix(S("Bear"), S("bearer"), 1));
	assert_true(epc_span_eq(epc_span_trim(S(" \t a b\r\n")), S("a b")));
	assert_int_equal(epc_span_trim(S(" \t\r\n")).len, 0);
}

static void test_find_sub_split(void **state)
{
	epc_span_t h, r;

	(void)state;
	assert_int_equal(epc_span_find_byte(S("a:b"), ':'), 1);
	assert_int_equal(epc_span_find_byte(S("ab"), ':'), -1);
	assert_int_equal(epc_span_find_byte(EPC_SPAN_NULL, ':'), -1);
	assert_true(epc_span_eq(epc_span_sub(S("abcdef"), 2, 3), S("cde")));
	assert_true(epc_span_eq(epc_span_sub(S("abc"), 2, 99), S("c")));
	assert_int_equal(epc_span_sub(S("abc"), 99, 1).len, 0);

	assert_int_equal(epc_span_split(S("host:443"), ':', &h, &r), 1);
	assert_true(epc_span_eq(h, S("host")));
	assert_true(epc_span_eq(r, S("443")));
	assert_int_equal(epc_span_split(S("host"), ':', &h, &r), 0);
	assert_true(epc_span_eq(h, S("host")));
	assert_int_equal(r.len, 0);
	assert_int_equal(epc_span_split(S(":"), ':', &h, &r), 1);
	assert_int_equal(h.len + r.len, 0);
}

static void test_to_u64(void **state)
{
	static const struct
	{
		const char *in;
		uint64_t max;
		int rc;
		uint64_t want;
	} v[] = {
			{"0", 10, 0, 0},
			{"0443", 65535, 0, 443},
			{"65535", 65535, 0, 65535},
			{"65536", 65535, -1, 0},
			{"7", 5, -1, 0},
			{"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
			{"18446744073709551616", UINT64_MAX, -1, 0},
			{"", 10, -1, 0},
			{"+1", 10, -1, 0},
			{"-1", 10, -1, 0},
			{" 1", 10, -1, 0},
			{"1a", 10, -1, 0},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t out = 12345;
		int rc = epc_span_to_u64(S(v[i].in), v[i].max, &out);

		assert_int_equal(rc, v[i].rc);
		if(rc == 0)
			assert_true(out == v[i].want);
		else
			assert_true(out == 12345); /* untouched on error */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_eq),
			cmocka_unit_test(test_prefix_trim),
			cmocka_unit_test(test_find_sub_split),
			cmocka_unit_test(test_to_u64),
	};
	return cmocka_run_group_tests_name("epc_span", tests, NULL, NULL);
}
