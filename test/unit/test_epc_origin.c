/*
 * Unit tests: lib/epc_origin.c (RFC 6454 origins, RFC 6455 sec 10.2 check)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"

#include "epc_origin.h"

/* parse + canonical form */
static void test_parse_valid(void **state)
{
	static const struct
	{
		const char *in;
		const char *canon;
		int host_type;
	} v[] = {
			{"https://webrtc.operator.example",
					"https://webrtc.operator.example", EPC_ORIGIN_HOST_NAME},
			/* RFC 6454 sec 4: the default port is not part of the
			 * serialisation; an explicit one is normalised away */
			{"https://a.example:443", "https://a.example", 0},
			{"http://a.example:80", "http://a.example", 0},
			{"http://a.example:443", "http://a.example:443", 0},
			{"https://a.example:8443", "https://a.example:8443", 0},
			{"https://a.example:65535", "https://a.example:65535", 0},
			/* case-insensitive scheme and host (stored lower case) */
			{"HTTPS://WebRTC.Operator.EXAMPLE",
					"https://webrtc.operator.example", 0},
			{"https://127.0.0.1:8443", "https://127.0.0.1:8443",
					EPC_ORIGIN_HOST_IPV4},
			{"https://0.0.0.0", "https://0.0.0.0", EPC_ORIGIN_HOST_IPV4},
			{"https://[::1]:8443", "https://[::1]:8443", EPC_ORIGIN_HOST_IPV6},
			/* RFC 5952 text form */
			{"https://[2001:DB8:0:0:0:0:0:1]", "https://[2001:db8::1]",
					EPC_ORIGIN_HOST_IPV6},
			{"https://[::ffff:192.0.2.1]", "https://[::ffff:192.0.2.1]",
					EPC_ORIGIN_HOST_IPV6},
			{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example",
					0},
			{"https://a_b.example", "https://a_b.example", 0},
			{"https://localhost", "https://localhost", 0},
			{"https://1a.example", "https://1a.example", 0},
			{"chrome-extension://abcdef", "chrome-extension://abcdef", 0},
			{"wss://a.example:443", "wss://a.example", 0},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		epc_origin_t o;
		char buf[EPC_ORIGIN_FMT_MAX];
		int rc = epc_origin_parse(S(v[i].in), &o);
		if(rc != 0)
			fail_msg("%s: rc %d (%s)", v[i].in, rc, epc_origin_strerror(rc));
		assert_int_equal(epc_origin_format(&o, buf, sizeof(buf)),
				(int)strlen(v[i].canon));
		assert_string_equal(buf, v[i].canon);
		assert_int_equal(o.host_type, v[i].host_type);
		assert_int_equal(o.wildcard, 0);
	}
}

static void test_parse_invalid(void **state)
{
	char longhost[400], label64[80];
	static const struct
	{
		const char *in;
		int rc;
	} v[] = {
			{"", EPC_ORIGIN_E_EMPTY},
			{"null", EPC_ORIGIN_E_NULL},
			{"NULL", EPC_ORIGIN_E_NULL},
			/* whitespace, lists, controls, non-ASCII */
			{" https://a.example", EPC_ORIGIN_E_CHAR},
			{"https://a.example ", EPC_ORIGIN_E_CHAR},
			{"https://a .example", EPC_ORIGIN_E_CHAR},
			{"https://a.example\t", EPC_ORIGIN_E_CHAR},
			{"https://a.example, https://b.example", EPC_ORIGIN_E_CHAR},
			{"https://a.example,https://b.example", EPC_ORIGIN_E_CHAR},
			{"https://a.example\r\nX: y", EPC_ORIGIN_E_CHAR},
			{"https://b\xc3\xbc"
			 "cher.example",
					EPC_ORIGIN_E_CHAR},
			{"https://a.example\\", EPC_ORIGIN_E_CHAR},
			{"https://<a>.example", EPC_ORIGIN_E_CHAR},
			/* scheme */
			{"a.example", EPC_ORIGIN_E_SCHEME},
			{"://a.example", EPC_ORIGIN_E_SCHEME},
			{"https:a.example", EPC_ORIGIN_E_SCHEME},
			{"https:/a.example", EPC_ORIGIN_E_SCHEME},
			{"1https://a.example", EPC_ORIGIN_E_SCHEME},
			{"ht_tps://a.example", EPC_ORIGIN_E_SCHEME},
			{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa://a.example",
					EPC_ORIGIN_E_SCHEME},
			/* anything after the authority */
			{"https://a.example/", EPC_ORIGIN_E_PATH},
			{"https://a.example/wic", EPC_ORIGIN_E_PATH},
			{"https://a.example?x", EPC_ORIGIN_E_PATH},
			{"https://a.example#x", EPC_ORIGIN_E_PATH},
			{"https://a.example:443/", EPC_ORIGIN_E_PATH},
			{"https:///a.example", EPC_ORIGIN_E_PATH},
			/* userinfo */
			{"https://user@a.example", EPC_ORIGIN_E_USERINFO},
			{"https://u:p@a.example", EPC_ORIGIN_E_USERINFO},
			{"https://a.example@evil.example", EPC_ORIGIN_E_USERINFO},
			/* host */
			{"https://", EPC_ORIGIN_E_HOST},
			{"https://:443", EPC_ORIGIN_E_HOST},
			{"https://a..example", EPC_ORIGIN_E_HOST},
			{"https://.a.example", EPC_ORIGIN_E_HOST},
			{"https://a.example.", EPC_ORIGIN_E_HOST},
			{"https://a%2eexample", EPC_ORIGIN_E_HOST},
			{"https://*.a.example", EPC_ORIGIN_E_HOST},
			{"https://a*.example", EPC_ORIGIN_E_HOST},
			{"https://a!.example", EPC_ORIGIN_E_HOST},
			{"https://127.0.0.01", EPC_ORIGIN_E_HOST},
			{"https://127.1", EPC_ORIGIN_E_HOST},
			{"https://256.0.0.1", EPC_ORIGIN_E_HOST},
			{"https://1.2.3.4.5", EPC_ORIGIN_E_HOST},
			{"https://a.0x7f", EPC_ORIGIN_E_HOST},
			{"https://2130706433", EPC_ORIGIN_E_HOST},
			{"https://[::1", EPC_ORIGIN_E_HOST},
			{"https://[::g]", EPC_ORIGIN_E_HOST},
			{"https://[fe80::1%25eth0]", EPC_ORIGIN_E_HOST},
			{"https://[]", EPC_ORIGIN_E_HOST},
			{"https://[::1]x", EPC_ORIGIN_E_HOST},
			{"https://[1.2.3.4]", EPC_ORIGIN_E_HOST},
			/* port */
			{"https://a.example:", EPC_ORIGIN_E_PORT},
			{"https://a.example:0", EPC_ORIGIN_E_PORT},
			{"https://a.example:0443", EPC_ORIGIN_E_PORT},
			{"https://a.example:65536", EPC_ORIGIN_E_PORT},
			{"https://a.example:123456", EPC_ORIGIN_E_PORT},
			{"https://a.example:-1", EPC_ORIGIN_E_PORT},
			{"https://a.example:44a", EPC_ORIGIN_E_PORT},
			{"https://a.example:443:443", EPC_ORIGIN_E_PORT},
			{"https://[::1]:", EPC_ORIGIN_E_PORT},
	};
	epc_origin_t o;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = epc_origin_parse(S(v[i].in), &o);
		if(rc != v[i].rc)
			fail_msg("'%s': rc %d (%s), want %d (%s)", v[i].in, rc,
					epc_origin_strerror(rc), v[i].rc,
					epc_origin_strerror(v[i].rc));
	}

	/* embedded NUL */
	assert_int_equal(
			epc_origin_parse((epc_span_t){"https://a\0.example", 18}, &o),
			EPC_ORIGIN_E_CHAR);
	/* over-long value, label and name */
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost, "https://", 8);
	assert_int_equal(epc_origin_parse((epc_span_t){longhost, 301}, &o),
			EPC_ORIGIN_E_TOOLONG);
	memset(label64, 'b', sizeof(label64));
	memcpy(label64, "https://", 8);
	assert_int_equal(epc_origin_parse((epc_span_t){label64, 8 + 64}, &o),
			EPC_ORIGIN_E_HOST);
	assert_int_equal(
			epc_origin_parse((epc_span_t){label64, 8 + 63}, &o), EPC_ORIGIN_OK);
	{
		/* 254-byte name of 63-byte labels */
		char n[300];
		size_t k = 8;
		memcpy(n, "https://", 8);
		while(k < 8 + 254) {
			size_t l = (8 + 254 - k) > 63 ? 63 : (8 + 254 - k);
			memset(n + k, 'c', l);
			k += l;
			if(k < 8 + 254)
				n[k++] = '.';
		}
		assert_int_equal(
				epc_origin_parse((epc_span_t){n, k}, &o), EPC_ORIGIN_E_HOST);
	}
}

static void test_patterns(void **state)
{
	static const struct
	{
		const char *in;
		int rc;
		const char *canon;
	} v[] = {
			{"https://*.operator.example", 0, "https://*.operator.example"},
			{"https://*.Portal.Operator.Example:8443", 0,
					"https://*.portal.operator.example:8443"},
			{"https://*.a.example:443", 0, "https://*.a.example"},
			{"https://webrtc.operator.example", 0,
					"https://webrtc.operator.example"},
			/* too broad, misplaced, or on an address */
			{"https://*.example", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://*", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://*.*.example", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://a.*.example", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://*a.example", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://*.0.0.1", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://[*::1]", EPC_ORIGIN_E_WILDCARD, NULL},
			{"https://*.a.example/", EPC_ORIGIN_E_PATH, NULL},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		epc_origin_t o;
		char buf[EPC_ORIGIN_FMT_MAX];
		int rc = epc_origin_parse_pattern(S(v[i].in), &o);
		if(rc != v[i].rc)
			fail_msg("'%s': rc %d (%s), want %d", v[i].in, rc,
					epc_origin_strerror(rc), v[i].rc);
		if(rc == 0) {
			epc_origin_format(&o, buf, sizeof(buf));
			assert_string_equal(buf, v[i].canon);
		}
	}
}

/* RFC 6455 sec 10.2: exact comparison of the serialised origin */
static void test_match(void **state)
{
	static const struct
	{
		const char *pattern;
		const char *origin;
		int want;
	} v[] = {
			{"https://webrtc.operator.example",
					"https://webrtc.operator.example", 1},
			{"https://webrtc.operator.example",
					"HTTPS://WEBRTC.OPERATOR.EXAMPLE", 1},
			{"https://webrtc.operator.example",
					"https://webrtc.operator.example:443", 1},
			/* wrong scheme, wrong port */
			{"https://webrtc.operator.example",
					"http://webrtc.operator.example", 0},
			{"https://webrtc.operator.example",
					"https://webrtc.operator.example:8443", 0},
			{"https://webrtc.operator.example:8443",
					"https://webrtc.operator.example", 0},
			/* look-alikes */
			{"https://operator.example", "https://evil-operator.example", 0},
			{"https://operator.example", "https://operator.example.evil.com",
					0},
			{"https://operator.example", "https://xoperator.example", 0},
			{"https://operator.example", "https://a.operator.example", 0},
			/* wildcard: any depth of subdomain, never the apex, label
			 * boundary only */
			{"https://*.operator.example", "https://a.operator.example", 1},
			{"https://*.operator.example", "https://A.B.Operator.Example", 1},
			{"https://*.operator.example", "https://operator.example", 0},
			{"https://*.operator.example", "https://evil-operator.example", 0},
			{"https://*.operator.example", "https://aoperator.example", 0},
			{"https://*.operator.example",
					"https://a.operator.example.evil.com", 0},
			{"https://*.operator.example", "https://a.operator.example:8443",
					0},
			{"https://*.operator.example", "http://a.operator.example", 0},
			{"https://*.operator.example:8443",
					"https://a.operator.example:8443", 1},
			{"https://*.0.example", "https://a.0.example", 1},
			/* addresses */
			{"https://127.0.0.1:8443", "https://127.0.0.1:8443", 1},
			{"https://127.0.0.1:8443", "https://127.0.0.1", 0},
			{"https://[::1]", "https://[0:0::1]", 1},
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		epc_origin_t p, o;
		assert_int_equal(epc_origin_parse_pattern(S(v[i].pattern), &p), 0);
		assert_int_equal(epc_origin_parse(S(v[i].origin), &o), 0);
		if(epc_origin_match(&p, &o) != v[i].want)
			fail_msg("%s vs %s: want %d", v[i].pattern, v[i].origin, v[i].want);
	}
}

static void test_equal_format(void **state)
{
	epc_origin_t a, b, w;
	char small[10];

	(void)state;
	assert_int_equal(epc_origin_parse(S("https://a.example:443"), &a), 0);
	assert_int_equal(epc_origin_parse(S("HTTPS://A.example"), &b), 0);
	assert_true(epc_origin_equal(&a, &b));
	assert_int_equal(epc_origin_parse_pattern(S("https://*.a.example"), &w), 0);
	assert_false(epc_origin_equal(&a, &w));
	/* a pattern never matches as an origin */
	assert_false(epc_origin_match(&a, &w));
	assert_int_equal(epc_origin_format(&a, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(epc_origin_format(&a, small, 0), -1);
	assert_int_equal(epc_origin_default_port(S("https")), 443);
	assert_int_equal(epc_origin_default_port(S("ws")), 80);
	assert_int_equal(epc_origin_default_port(S("ftp")), 0);
	assert_string_equal(
			epc_origin_strerror(EPC_ORIGIN_E_NULL), "opaque origin (null)");
	assert_string_equal(epc_origin_strerror(-99), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_parse_valid),
			cmocka_unit_test(test_parse_invalid),
			cmocka_unit_test(test_patterns),
			cmocka_unit_test(test_match),
			cmocka_unit_test(test_equal_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
