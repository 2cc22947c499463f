/*
 * Unit tests: lib/epc_sdp.c (RFC 8866 model)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"
#include "sdp_corpus.h"

#include "epc_sdp.h"

#define HDR "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

/* exact-size heap copy, so ASan sees reads past the end */
static int parse_str(const char *s, epc_sdp_t *sdp, epc_sdp_err_t *err)
{
	size_t n = strlen(s);
	char *b = malloc(n ? n : 1);
	int rc;

	memcpy(b, s, n);
	rc = epc_sdp_parse_alloc((epc_span_t){b, n}, &epc_alloc_libc, sdp, err);
	if(rc == 0) {
		/* keep b alive with the model: tests free both */
		return 0;
	}
	free(b);
	return rc;
}

static void release(epc_sdp_t *sdp)
{
	char *b = (char *)sdp->src.s;
	epc_sdp_free(sdp, &epc_alloc_libc);
	free(b);
}

static void rt_one(const char *rel, void *ctx)
{
	size_t n, m;
	char *b = corpus_read(rel, &n), *out;
	epc_sdp_t sdp;
	epc_sdp_err_t err = {0, 0};
	int rc;

	(void)ctx;
	assert_non_null(b);
	rc = epc_sdp_parse_alloc((epc_span_t){b, n}, &epc_alloc_libc, &sdp, &err);
	if(rc != 0)
		fail_msg("%s: %s at %zu", rel, epc_sdp_strerror(rc), err.offset);
	assert_true(sdp.nmedia >= 1);
	out = malloc(n + 1);
	m = epc_sdp_print(&sdp, out, n + 1);
	assert_int_equal(m, n);
	if(memcmp(out, b, n) != 0)
		fail_msg("%s: round trip differs", rel);
	/* truncated print reports the needed size and writes no further */
	assert_int_equal(epc_sdp_print(&sdp, out, 10), n);
	free(out);
	epc_sdp_free(&sdp, &epc_alloc_libc);
	free(b);
}

static void test_corpus_round_trip(void **state)
{
	(void)state;
	assert_true(corpus_each(rt_one, NULL) >= 60);
}

static void test_line_ends(void **state)
{
	static const char *ok[] = {
			"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\n",
			HDR "m=audio 9 RTP/AVP 0",			/* no final line end */
			HDR "m=audio 9 RTP/AVP 0\r\n\r\n",	/* trailing blank line */
			HDR "m=audio 9 RTP/AVP 0\r\na=x\n", /* mixed */
			HDR "a=tool:\xc3\xa9t\xc3\xa9\r\n", /* UTF-8 value */
	};
	epc_sdp_t sdp;
	char out[512];
	size_t i, n;

	(void)state;
	for(i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_str(ok[i], &sdp, NULL), 0);
		n = epc_sdp_print(&sdp, out, sizeof(out));
		assert_int_equal(n, strlen(ok[i]));
		assert_memory_equal(out, ok[i], n);
		release(&sdp);
	}
	assert_int_equal(parse_str(ok[0], &sdp, NULL), 0);
	assert_int_equal(sdp.crlf, 0);
	assert_int_equal(sdp.nmedia, 1);
	assert_int_equal(sdp.sess_end, 4);
	release(&sdp);
	assert_int_equal(parse_str(ok[2], &sdp, NULL), 0);
	assert_int_equal(sdp.tail.len, 2);
	release(&sdp);
}

static void test_malformed(void **state)
{
	static const struct
	{
		const char *in;
		int code;
		size_t off;
	} bad[] = {
			{"", EPC_SDP_E_EMPTY, 0},
			{"x=0\r\n", EPC_SDP_E_VERSION, 0},
			{"v=1\r\n", EPC_SDP_E_VERSION, 0},
			{"\r\nv=0\r\n", EPC_SDP_E_VERSION, 0},
			{"v=0\r\ns=-\r\n", EPC_SDP_E_ORIGIN, 0},
			{"v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n", EPC_SDP_E_ORIGIN, 5},
			{HDR "o=- 1 1 IN IP4 1.1.1.1\r\n", EPC_SDP_E_ORIGIN, 43},
			{"v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\n", EPC_SDP_E_SESSION, 0},
			{HDR "s=again\r\n", EPC_SDP_E_SESSION, 43},
			{HDR "v=0\r\n", EPC_SDP_E_VERSION, 43},
			{HDR "m=audio\r\n", EPC_SDP_E_MLINE, 43},
			{HDR "m=audio 9 RTP/AVP\r\n", EPC_SDP_E_MLINE, 43},
			{HDR "m=audio 70000 RTP/AVP 0\r\n", EPC_SDP_E_MLINE, 43},
			{HDR "m=audio x9 RTP/AVP 0\r\n", EPC_SDP_E_MLINE, 43},
			{HDR "m=audio 9/ RTP/AVP 0\r\n", EPC_SDP_E_MLINE, 43},
			{HDR "c=IN IP4\r\n", EPC_SDP_E_CLINE, 43},
			{HDR "c=IN IP4 1.1.1.1 extra\r\n", EPC_SDP_E_CLINE, 43},
			{HDR "a=:x\r\n", EPC_SDP_E_ATTR, 43},
			{HDR "a=\r\n", EPC_SDP_E_ATTR, 43},
			{HDR "a=sp ace\r\n", EPC_SDP_E_ATTR, 43},
			{HDR "A=x\r\n", EPC_SDP_E_LINE, 43},
			{HDR "a=x\rb=y\r\n", EPC_SDP_E_LINE, 43},
			{HDR "a=x\r", EPC_SDP_E_LINE, 43},
			{HDR "a=x\r\n\r\na=y\r\n", EPC_SDP_E_BLANK, 48},
			{HDR "junk\r\n", EPC_SDP_E_LINE, 43},
			{HDR "m=audio 9 RTP/AVP 0\r\no=- 1 1 IN IP4 1.1.1.1\r\n",
					EPC_SDP_E_ORIGIN, 64},
	};
	epc_sdp_t sdp;
	epc_sdp_err_t err;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.code = 0;
		err.offset = 999;
		if(parse_str(bad[i].in, &sdp, &err) != bad[i].code)
			fail_msg("vector %zu: got %d want %d", i, err.code, bad[i].code);
		assert_int_equal(err.code, bad[i].code);
		if(err.offset != bad[i].off)
			fail_msg("vector %zu: offset %zu want %zu", i, err.offset,
					bad[i].off);
		assert_non_null(epc_sdp_strerror(bad[i].code));
	}
	/* NUL inside */
	{
		char b[] = HDR "a=x\0y\r\n";
		assert_int_equal(epc_sdp_parse_alloc((epc_span_t){b, sizeof(b) - 1},
								 &epc_alloc_libc, &sdp, &err),
				EPC_SDP_E_LINE);
	}
}

static void test_accessors(void **state)
{
	const char *s = HDR "c=IN IP4 10.0.0.1\r\n"
						"m=audio 49170/2 RTP/AVP 0 8 101\r\n"
						"a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp-mux\r\n"
						"m=video 0 RTP/AVPF 96\r\na=mid:v\r\n";
	epc_sdp_t sdp;
	epc_sdp_mline_t m;
	epc_sdp_cline_t c;
	epc_span_t n, v;
	long i;

	(void)state;
	assert_int_equal(parse_str(s, &sdp, NULL), 0);
	assert_int_equal(sdp.nmedia, 2);
	assert_int_equal(epc_sdp_parse_mline(
							 epc_sdp_value(&sdp.lines[sdp.media[0].first]), &m),
			0);
	assert_true(epc_span_eq(m.media, S("audio")));
	assert_int_equal(m.port_n, 49170);
	assert_true(epc_span_eq(m.nports, S("2")));
	assert_true(epc_span_eq(m.proto, S("RTP/AVP")));
	assert_true(epc_span_eq(m.fmts, S("0 8 101")));
	assert_int_equal(epc_sdp_parse_cline(epc_sdp_value(&sdp.lines[4]), &c), 0);
	assert_true(epc_span_eq(c.addr, S("10.0.0.1")));
	i = epc_sdp_find_attr(
			&sdp, sdp.media[0].first + 1, sdp.media[0].end, S("rtpmap"));
	assert_true(i > 0);
	epc_sdp_attr(&sdp.lines[i], &n, &v);
	assert_true(epc_span_eq(n, S("rtpmap")));
	assert_true(epc_span_eq(v, S("0 PCMU/8000")));
	i = epc_sdp_find_attr(
			&sdp, sdp.media[0].first + 1, sdp.media[0].end, S("rtcp"));
	assert_int_equal(i, -1); /* rtcp-mux is not rtcp */
	assert_true(epc_sdp_find_attr(&sdp, sdp.media[0].first + 1,
						sdp.media[0].end, S("sendrecv"))
				> 0);
	assert_int_equal(epc_sdp_find_attr(&sdp, sdp.media[0].first + 1,
							 sdp.media[0].end, S("mid")),
			-1);
	assert_true(epc_sdp_find_attr(&sdp, sdp.media[1].first + 1,
						sdp.media[1].end, S("mid"))
				> 0);
	release(&sdp);
}

static void test_caller_storage_limits(void **state)
{
	const char *s = HDR "m=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\n";
	epc_sdp_line_t lines[6];
	epc_sdp_media_t media[1];
	epc_sdp_t sdp;
	epc_sdp_err_t err;

	(void)state;
	assert_int_equal(epc_sdp_parse(S(s), lines, 6, media, 1, &sdp, &err),
			EPC_SDP_E_TOOMANY);
	assert_int_equal(epc_sdp_parse(S(s), lines, 5, media, 2, &sdp, &err),
			EPC_SDP_E_TOOMANY);
	{
		epc_sdp_media_t m2[2];
		assert_int_equal(epc_sdp_parse(S(s), lines, 6, m2, 2, &sdp, &err), 0);
		assert_int_equal(sdp.nmedia, 2);
	}
}

static void *fail_alloc(void *ctx, size_t n)
{
	(void)ctx;
	(void)n;
	return NULL;
}

static void fail_free(void *ctx, void *p)
{
	(void)ctx;
	(void)p;
}

static void test_nomem(void **state)
{
	const epc_alloc_t a = {fail_alloc, fail_free, NULL};
	epc_sdp_t sdp;
	epc_sdp_err_t err;

	(void)state;
	assert_int_equal(
			epc_sdp_parse_alloc(S(HDR), &a, &sdp, &err), EPC_SDP_E_NOMEM);
	epc_sdp_free(NULL, &a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_corpus_round_trip),
			cmocka_unit_test(test_line_ends),
			cmocka_unit_test(test_malformed),
			cmocka_unit_test(test_accessors),
			cmocka_unit_test(test_caller_storage_limits),
			cmocka_unit_test(test_nomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
