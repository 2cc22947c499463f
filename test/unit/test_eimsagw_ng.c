/*
 * Unit tests: modules/eimsagw_ctl/eimsagw_ng.c (ng flags profiles, request
 * building, reply parsing). Reply vectors in vectors/rtpengine105-*.bencode
 * are real rtpengine 10.5.3.5 replies (cookie replaced by "ck").
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "eimsagw_ng.h"

#define NODES 1024

static size_t load(const char *name, char *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "vectors/%s", name);
	f = fopen(path, "rb");
	if(!f)
		fail_msg("cannot open %s (run from test/unit)", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void build(const eimsagw_ngreq_t *r, char *out, size_t cap)
{
	size_t len = 0;
	int rc = eimsagw_ng_build(r, S("ck"), out, cap - 1, &len);

	if(rc != 0)
		fail_msg("build failed: %s", eimsagw_ng_strerror(rc));
	out[len] = '\0';
}

static void test_profile_words(void **state)
{
	eimsagw_profile_t p;
	epc_span_t err;

	(void)state;
	assert_int_equal(eimsagw_profile_parse(S("  ICE=remove\tDTLS=off "
											 "RTP/AVP rtcp-mux-demux "
											 "replace-origin replace=session-"
											 "connection strip-extmap "
											 "codec-strip-opus codec-mask=PCMA "
											 "direction=ext internal "
											 "TOS=184 SDES-off T38-decode"),
							 &p, &err),
			0);
	assert_int_equal(p.n, 14);
	assert_int_equal(p.items[0].kind, EIMSAGW_NGI_KV);
	assert_true(epc_span_eq(p.items[2].key, S("transport-protocol")));
	assert_true(epc_span_eq(p.items[2].val, S("RTP/AVP")));
	assert_int_equal(p.items[3].kind, EIMSAGW_NGI_LIST);
	assert_true(epc_span_eq(p.items[3].key, S("rtcp-mux")));
	assert_true(epc_span_eq(p.items[3].val, S("demux")));
	assert_int_equal(p.items[6].kind, EIMSAGW_NGI_FLAG);
	assert_int_equal(p.items[7].kind, EIMSAGW_NGI_CODEC);
	assert_true(epc_span_eq(p.items[7].key, S("strip")));
	assert_true(epc_span_eq(p.items[7].val, S("opus")));
	assert_true(epc_span_eq(p.items[8].val, S("PCMA")));
	assert_true(epc_span_eq(p.items[10].key, S("direction")));
	assert_int_equal(p.items[11].kind, EIMSAGW_NGI_INT);
	assert_true(p.items[11].ival == 184);
	assert_true(epc_span_eq(p.items[13].key, S("T.38")));
	assert_int_equal(p.rx_side, EIMSAGW_SIDE_AUTO);

	assert_int_equal(eimsagw_profile_parse(
							 S("rx-side=W2 codec-transcode-AMR-WB"), &p, NULL),
			0);
	assert_int_equal(p.rx_side, EIMSAGW_SIDE_W2);
	assert_true(epc_span_eq(p.items[0].val, S("AMR-WB")));
	assert_int_equal(eimsagw_profile_parse(S(""), &p, NULL), 0);
	assert_int_equal(p.n, 0);
}

static void test_profile_errors(void **state)
{
	static const struct
	{
		const char *in;
		int rc;
		const char *bad;
	} v[] = {
			{"ICE=", EIMSAGW_NG_E_FLAGS, "ICE="},
			{"=x", EIMSAGW_NG_E_FLAGS, "=x"},
			{"ok call-id=x", EIMSAGW_NG_E_RESERVED, "call-id=x"},
			{"from-tag=a", EIMSAGW_NG_E_RESERVED, "from-tag=a"},
			{"sdp", EIMSAGW_NG_E_RESERVED, "sdp"},
			{"rx-side=ims", EIMSAGW_NG_E_FLAGS, "rx-side=ims"},
			{"codec-bogus-PCMA", EIMSAGW_NG_E_FLAGS, "codec-bogus-PCMA"},
			{"codec-strip", EIMSAGW_NG_E_FLAGS, "codec-strip"},
			{"TOS=high", EIMSAGW_NG_E_FLAGS, "TOS=high"},
			{"delete-delay=-1", EIMSAGW_NG_E_FLAGS, "delete-delay=-1"},
	};
	eimsagw_profile_t p;
	epc_span_t err;
	size_t i;
	char many[EIMSAGW_PROFILE_MAX * 3 + 8];

	(void)state;
	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(eimsagw_profile_parse(S(v[i].in), &p, &err), v[i].rc);
		assert_true(epc_span_eq(err, S(v[i].bad)));
	}
	for(i = 0; i <= EIMSAGW_PROFILE_MAX; i++)
		memcpy(many + 2 * i, "x ", 2);
	many[2 * i] = '\0';
	assert_int_equal(
			eimsagw_profile_parse(S(many), &p, NULL), EIMSAGW_NG_E_TOOMANY);
}

/* The exact bytes for the verified browser->IMS offer profile. */
static void test_build_offer(void **state)
{
	eimsagw_profile_t p;
	eimsagw_ngreq_t r;
	char out[2048];

	(void)state;
	assert_int_equal(eimsagw_profile_parse(S("ICE=remove DTLS=off "
											 "transport-protocol=RTP/AVP "
											 "rtcp-mux-demux replace-origin "
											 "replace-session-connection"),
							 &p, NULL),
			0);
	memset(&r, 0, sizeof(r));
	r.cmd = EIMSAGW_NG_OFFER;
	r.call_id = S("abc@x");
	r.from_tag = S("ft");
	r.via_branch = S("eimsagw");
	r.rcv_addr = S("127.0.0.1");
	r.sdp = S("v=0\r\n");
	r.profile = &p;
	r.delete_delay = 0; /* ignored for an offer */
	build(&r, out, sizeof(out));
	assert_string_equal(out,
			"ck d7:command5:offer7:call-id5:abc@x8:from-tag2:ft"
			"10:via-branch7:eimsagw13:received-froml3:IP49:127.0.0.1e"
			"8:supportsl10:load limite"
			"3:ICE6:remove4:DTLS3:off18:transport-protocol7:RTP/AVP"
			"8:rtcp-muxl5:demuxe7:replacel6:origin18:session-connectione"
			"3:sdp5:v=0\r\ne");
}

/* Per-call flags override key=value entries and extend lists. */
static void test_build_merge(void **state)
{
	eimsagw_profile_t p, x;
	eimsagw_ngreq_t r;
	char out[2048];

	(void)state;
	assert_int_equal(eimsagw_profile_parse(S("ICE=remove strip-extmap "
											 "replace-origin codec-strip-opus "
											 "TOS=1"),
							 &p, NULL),
			0);
	assert_int_equal(eimsagw_profile_parse(S("ICE=force generate-RTCP "
											 "strip-extmap replace-origin "
											 "replace-zero-address TOS=184 "
											 "codec-strip-G722 "
											 "codec-transcode-PCMA"),
							 &x, NULL),
			0);
	memset(&r, 0, sizeof(r));
	r.cmd = EIMSAGW_NG_ANSWER;
	r.call_id = S("c");
	r.from_tag = S("f");
	r.to_tag = S("t");
	r.sdp = S("v=0");
	r.profile = &p;
	r.extra = &x;
	build(&r, out, sizeof(out));
	assert_string_equal(out,
			"ck d7:command6:answer7:call-id1:c8:from-tag1:f6:to-tag1:t"
			"8:supportsl10:load limite"
			"3:ICE5:force5:flagsl12:strip-extmap13:generate-RTCPe"
			"7:replacel6:origin12:zero-addresse"
			"5:codecd5:stripl4:opus4:G722e9:transcodel4:PCMAee"
			"3:TOSi184e3:sdp3:v=0e");
}

static void test_build_others(void **state)
{
	eimsagw_ngreq_t r;
	char out[256];
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.cmd = EIMSAGW_NG_PING;
	build(&r, out, sizeof(out));
	assert_string_equal(out, "ck d7:command4:pinge");
	r.cmd = EIMSAGW_NG_LIST;
	build(&r, out, sizeof(out));
	assert_string_equal(out, "ck d7:command4:liste");
	r.cmd = EIMSAGW_NG_DELETE;
	r.call_id = S("c");
	r.from_tag = S("f");
	r.delete_delay = 0;
	build(&r, out, sizeof(out));
	assert_string_equal(out, "ck d7:command6:delete7:call-id1:c8:from-tag1:f"
							 "12:delete-delayi0ee");
	r.delete_delay = -1;
	build(&r, out, sizeof(out));
	assert_string_equal(out, "ck d7:command6:delete7:call-id1:c8:from-tag1:fe");
	r.cmd = EIMSAGW_NG_QUERY;
	r.from_tag = EPC_SPAN_NULL;
	build(&r, out, sizeof(out));
	assert_string_equal(out, "ck d7:command5:query7:call-id1:ce");

	/* missing identifiers, oversized, bad cookie */
	r.cmd = EIMSAGW_NG_OFFER;
	r.from_tag = S("f");
	assert_int_equal(eimsagw_ng_build(&r, S("ck"), out, sizeof(out), &len),
			EIMSAGW_NG_E_ARG); /* no SDP */
	r.sdp = S("v=0");
	r.call_id = EPC_SPAN_NULL;
	assert_int_equal(eimsagw_ng_build(&r, S("ck"), out, sizeof(out), &len),
			EIMSAGW_NG_E_ARG);
	r.call_id = S("c");
	assert_int_equal(
			eimsagw_ng_build(&r, S("ck"), out, 20, &len), EIMSAGW_NG_E_SPACE);
	assert_int_equal(
			eimsagw_ng_build(&r, EPC_SPAN_NULL, out, sizeof(out), &len),
			EIMSAGW_NG_E_ARG);
	r.cmd = (eimsagw_ngcmd_t)99;
	assert_int_equal(eimsagw_ng_build(&r, S("ck"), out, sizeof(out), &len),
			EIMSAGW_NG_E_ARG);
}

static void test_reply_simple(void **state)
{
	eimsagw_bnode_t n[NODES];
	eimsagw_ngreply_t rp;
	char buf[4096];
	size_t len;

	(void)state;
	len = load("rtpengine105-ping.bencode", buf, sizeof(buf));
	assert_int_equal(
			eimsagw_ng_parse_reply(buf, len, S("ck"), n, NODES, &rp), 0);
	assert_int_equal(rp.result, EIMSAGW_NGR_PONG);
	assert_int_equal(
			eimsagw_ng_parse_reply(buf, len, S("other"), n, NODES, &rp),
			EIMSAGW_NG_E_COOKIE);

	len = load("rtpengine105-error.bencode", buf, sizeof(buf));
	assert_int_equal(
			eimsagw_ng_parse_reply(buf, len, S("ck"), n, NODES, &rp), 0);
	assert_int_equal(rp.result, EIMSAGW_NGR_ERROR);
	assert_true(epc_span_eq(rp.error_reason, S("Failed to parse SDP")));
	assert_int_equal(rp.overloaded, 0);

	{
		static const char *ll = "ck d6:result10:load limit7:message4:busye";
		static const char *sl = "ck d6:result5:error12:error-reason"
								"30:Parallel session limit reachede";
		static const char *ok = "ck d6:result2:ok3:sdp3:v=07:warning2:hme";
		assert_int_equal(
				eimsagw_ng_parse_reply(ll, strlen(ll), S("ck"), n, NODES, &rp),
				0);
		assert_int_equal(rp.result, EIMSAGW_NGR_LOAD_LIMIT);
		assert_true(epc_span_eq(rp.error_reason, S("busy")));
		assert_int_equal(rp.overloaded, 1);
		assert_int_equal(
				eimsagw_ng_parse_reply(sl, strlen(sl), S("ck"), n, NODES, &rp),
				0);
		assert_int_equal(rp.overloaded, 1);
		assert_int_equal(
				eimsagw_ng_parse_reply(ok, strlen(ok), S("ck"), n, NODES, &rp),
				0);
		assert_true(epc_span_eq(rp.sdp, S("v=0")));
		assert_true(epc_span_eq(rp.warning, S("hm")));
	}
}

static void test_reply_invalid(void **state)
{
	static const char *bad[] = {"", "ck", "nocookie", "ck d6:result3:mehe",
			"ck l6:resulte", "ck d3:sdp3:v=0e", "ck d6:resulti1ee", "ck de",
			"ck d6:result2:ok", NULL};
	eimsagw_bnode_t n[NODES];
	eimsagw_ngreply_t rp;
	int i;

	(void)state;
	for(i = 0; bad[i]; i++) {
		int rc = eimsagw_ng_parse_reply(
				bad[i], strlen(bad[i]), S("ck"), n, NODES, &rp);
		if(rc >= 0)
			fail_msg("accepted %s", bad[i]);
	}
	assert_int_equal(eimsagw_ng_parse_reply(NULL, 0, S("ck"), n, NODES, &rp),
			EIMSAGW_NG_E_REPLY);
}

static void test_query(void **state)
{
	eimsagw_bnode_t n[NODES];
	eimsagw_ngreply_t rp;
	eimsagw_ngtotals_t t;
	eimsagw_ngstream_t st[8];
	char buf[4096];
	size_t len;
	uint32_t ns, i, rtp_ims = 0;

	(void)state;
	len = load("rtpengine105-query.bencode", buf, sizeof(buf));
	assert_int_equal(
			eimsagw_ng_parse_reply(buf, len, S("ck"), n, NODES, &rp), 0);
	assert_int_equal(rp.result, EIMSAGW_NGR_OK);
	assert_int_equal(eimsagw_ng_query_totals(n, &t), 0);
	assert_true(t.rtp_packets == 5);
	assert_true(t.rtp_bytes == 860);
	assert_true(t.rtcp_packets == 0);
	assert_int_equal(t.tags, 2);
	assert_int_equal(t.streams, 3); /* one browser-side stream has no port */
	assert_true(t.created > 1700000000);
	ns = eimsagw_ng_query_streams(n, st, 8);
	assert_int_equal(ns, 4);
	for(i = 0; i < ns; i++) {
		if(epc_span_eq(st[i].tag, S("tB")) && !st[i].rtcp) {
			rtp_ims++;
			assert_true(st[i].packets == 5);
			assert_true(epc_span_eq(st[i].protocol, S("RTP/AVP")));
			assert_true(epc_span_eq(st[i].media_type, S("audio")));
			assert_true(epc_span_eq(st[i].endpoint, S("127.0.0.1")));
			assert_true(st[i].endpoint_port == 30000);
			assert_true(st[i].local_port > 0);
		}
	}
	assert_int_equal(rtp_ims, 1);
	/* only max stored, all counted */
	assert_int_equal(eimsagw_ng_query_streams(n, st, 1), 4);
	assert_int_equal(eimsagw_ng_query_streams(n, NULL, 0), 4);

	len = load("rtpengine105-list.bencode", buf, sizeof(buf));
	assert_int_equal(
			eimsagw_ng_parse_reply(buf, len, S("ck"), n, NODES, &rp), 0);
	assert_int_equal(eimsagw_ng_query_totals(n, &t), -1);
	assert_int_equal(eimsagw_ng_query_streams(n, st, 8), 0);
}

static void test_sanitize(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(
			eimsagw_sanitize(S("a\"b\\c\r\n\x80z"), out, sizeof(out)), 9);
	assert_string_equal(out, "a'b/c???z");
	assert_int_equal(eimsagw_sanitize(S("0123456789abcdefXYZ"), out, 8), 7);
	assert_string_equal(out, "0123456");
	assert_int_equal(eimsagw_sanitize(S("x"), out, 0), 0);
	assert_string_equal(eimsagw_ng_cmd_name(EIMSAGW_NG_QUERY), "query");
	assert_null(eimsagw_ng_cmd_name((eimsagw_ngcmd_t)0));
	assert_string_equal(eimsagw_ng_strerror(EIMSAGW_NG_E_COOKIE),
			"ng reply for another request");
	assert_string_equal(
			eimsagw_ng_strerror(EIMSAGW_BENC_E_PARSE), "malformed bencode");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_profile_words),
			cmocka_unit_test(test_profile_errors),
			cmocka_unit_test(test_build_offer),
			cmocka_unit_test(test_build_merge),
			cmocka_unit_test(test_build_others),
			cmocka_unit_test(test_reply_simple),
			cmocka_unit_test(test_reply_invalid),
			cmocka_unit_test(test_query),
			cmocka_unit_test(test_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
