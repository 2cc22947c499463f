/*
 * Unit tests: modules/sdp_unbundle/sdpu.c, one rule at a time. Every check
 * parses the output again and asserts its structure (never a stored blob).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include "unit.h"
#include "sdp_corpus.h"

#include "epc_sdp.h"
#include "sdpu.h"

#define OUTSZ 65536

typedef struct xf
{
	char *in; /* input bytes (malloc) */
	size_t inlen;
	epc_sdp_t src; /* parsed input */
	char out[OUTSZ];
	size_t outlen;
	epc_sdp_t res; /* parsed output */
	sdpu_stats_t st;
	sdpu_map_t map;
	int rc;
} xf_t;

static xf_t X, Y; /* big: static */

static void load_buf(xf_t *x, const char *s, size_t n)
{
	epc_sdp_err_t err;
	int rc;

	memset(&x->src, 0, sizeof(x->src));
	x->in = malloc(n ? n : 1);
	memcpy(x->in, s, n);
	x->inlen = n;
	rc = epc_sdp_parse_alloc(
			(epc_span_t){x->in, n}, &epc_alloc_libc, &x->src, &err);
	if(rc)
		fail_msg("input: %s at %zu", epc_sdp_strerror(rc), err.offset);
}

static void load(xf_t *x, const char *rel)
{
	size_t n;
	char *b = corpus_read(rel, &n);

	if(!b)
		fail_msg("no corpus file %s", rel);
	load_buf(x, b, n);
	free(b);
}

static void parse_out(xf_t *x)
{
	epc_sdp_err_t err;
	int rc = epc_sdp_parse_alloc(
			(epc_span_t){x->out, x->outlen}, &epc_alloc_libc, &x->res, &err);
	if(rc)
		fail_msg("output does not parse: %s at %zu:\n%.*s",
				epc_sdp_strerror(rc), err.offset, (int)x->outlen, x->out);
}

static void done(xf_t *x)
{
	epc_sdp_free(&x->src, &epc_alloc_libc);
	epc_sdp_free(&x->res, &epc_alloc_libc);
	free(x->in);
	x->in = NULL;
}

static void policy(sdpu_policy_t *p, const char *flags)
{
	sdpu_policy_default(p);
	assert_int_equal(sdpu_policy_flags(p, S(flags), NULL), 0);
}

static void mw(xf_t *x, const char *flags, int offer, const sdpu_map_t *prev)
{
	sdpu_policy_t p;

	policy(&p, flags);
	x->rc = sdpu_to_mw(&x->src, &p, offer, prev, &x->map, x->out, OUTSZ,
			&x->outlen, &x->st);
	assert_int_equal(x->rc, 0);
	parse_out(x);
}

static void w2(xf_t *x, const char *flags, int offer, const sdpu_map_t *map)
{
	sdpu_policy_t p;

	policy(&p, flags);
	x->rc = sdpu_to_w2(
			&x->src, &p, offer, map, x->out, OUTSZ, &x->outlen, &x->st);
	assert_int_equal(x->rc, 0);
	parse_out(x);
}

/* ---- structure queries on a parsed SDP ---- */

static epc_sdp_mline_t mline(const epc_sdp_t *s, uint32_t i)
{
	epc_sdp_mline_t m;
	assert_true(i < s->nmedia);
	assert_int_equal(epc_sdp_parse_mline(
							 epc_sdp_value(&s->lines[s->media[i].first]), &m),
			0);
	return m;
}

/* attributes named name: in media i, or in the session part (i < 0) */
static int nattr(const epc_sdp_t *s, int i, const char *name)
{
	uint32_t from = i < 0 ? 0 : s->media[i].first + 1;
	uint32_t end = i < 0 ? s->sess_end : s->media[i].end;
	int n = 0;
	long k;

	while((k = epc_sdp_find_attr(s, from, end, S(name))) >= 0) {
		n++;
		from = (uint32_t)k + 1;
	}
	return n;
}

static int nattr_all(const epc_sdp_t *s, const char *name)
{
	int n = nattr(s, -1, name);
	uint32_t i;
	for(i = 0; i < s->nmedia; i++)
		n += nattr(s, (int)i, name);
	return n;
}

static epc_span_t attr_val(const epc_sdp_t *s, int i, const char *name)
{
	uint32_t from = i < 0 ? 0 : s->media[i].first + 1;
	uint32_t end = i < 0 ? s->sess_end : s->media[i].end;
	long k = epc_sdp_find_attr(s, from, end, S(name));
	epc_span_t n, v = EPC_SPAN_NULL;
	if(k >= 0)
		epc_sdp_attr(&s->lines[k], &n, &v);
	return v;
}

static int has_fmt(epc_sdp_mline_t m, const char *fmt)
{
	epc_span_t rest = m.fmts, t;
	while(epc_sdp_token(&rest, &t)) {
		if(epc_span_eq(t, S(fmt)))
			return 1;
	}
	return 0;
}

/* a=rtpmap with this encoding name in media i */
static int has_codec(const epc_sdp_t *s, int i, const char *enc)
{
	uint32_t k;
	epc_span_t n, v;
	for(k = s->media[i].first + 1; k < s->media[i].end; k++) {
		if(!epc_sdp_is_attr(&s->lines[k], S("rtpmap")))
			continue;
		epc_sdp_attr(&s->lines[k], &n, &v);
		if(epc_span_has_prefix(
				   epc_span_sub(
						   v, (size_t)epc_span_find_byte(v, ' ') + 1, v.len),
				   S(enc), 1))
			return 1;
	}
	return 0;
}

static const char *webrtc_only[] = {"group", "bundle-only", "mid", "rtcp-mux",
		"rtcp-mux-only", "rtcp-rsize", "ice-ufrag", "ice-pwd", "ice-options",
		"ice-lite", "candidate", "end-of-candidates", "fingerprint", "setup",
		"tls-id", "extmap", "extmap-allow-mixed", "msid", "msid-semantic",
		"ssrc", "ssrc-group", "rid", "simulcast", "sctp-port",
		"max-message-size"};

static void assert_clean_for_ims(const epc_sdp_t *s)
{
	size_t k;
	uint32_t i;
	for(k = 0; k < sizeof(webrtc_only) / sizeof(webrtc_only[0]); k++) {
		if(nattr_all(s, webrtc_only[k]) != 0)
			fail_msg("a=%s left toward Mw", webrtc_only[k]);
	}
	for(i = 0; i < s->nmedia; i++) {
		epc_sdp_mline_t m = mline(s, i);
		if(!epc_span_eq(m.proto, S("RTP/AVP")))
			fail_msg("m-line %u proto %.*s", i, (int)m.proto.len, m.proto.s);
		assert_int_equal(nattr(s, (int)i, "rtcp-fb"), 0);
	}
}

/* ---- Mw: Chromium ---- */

static void test_mw_chromium_balanced_avd(void **state)
{
	epc_sdp_mline_t a, v;

	(void)state;
	load(&X, "chromium/offer-balanced-avd.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(X.src.nmedia, 3);
	/* data channel taken out, audio and video kept in order */
	assert_int_equal(X.res.nmedia, 2);
	a = mline(&X.res, 0);
	v = mline(&X.res, 1);
	assert_true(epc_span_eq(a.media, S("audio")));
	assert_true(epc_span_eq(v.media, S("video")));
	/* each stream its own port, both real */
	assert_true(a.port_n != 0 && v.port_n != 0 && a.port_n != v.port_n);
	assert_int_equal(a.port_n, mline(&X.src, 0).port_n);
	assert_clean_for_ims(&X.res);
	/* codecs kept, FEC/RTX/RED gone from fmt list and rtpmap */
	assert_true(has_fmt(a, "111") && has_fmt(a, "0") && has_fmt(a, "8"));
	assert_true(has_codec(&X.res, 0, "opus") && has_codec(&X.res, 0, "PCMU"));
	assert_false(has_codec(&X.res, 0, "red"));
	assert_false(has_fmt(a, "63"));
	assert_true(has_codec(&X.res, 1, "VP8") && has_codec(&X.res, 1, "H264"));
	assert_false(has_codec(&X.res, 1, "rtx"));
	assert_false(has_fmt(v, "97"));
	/* direction and codec parameters untouched */
	assert_int_equal(nattr(&X.res, 0, "sendrecv"), 1);
	assert_true(epc_span_eq(
			attr_val(&X.res, 0, "fmtp"), S("111 minptime=10;useinbandfec=1")));
	/* a=rtcp:9 IN IP4 0.0.0.0 (dummy) is gone */
	assert_int_equal(nattr_all(&X.res, "rtcp"), 0);
	/* the map knows all three m-lines of the offer */
	assert_int_equal(X.map.n, 3);
	assert_string_equal(X.map.m[0].mid, "0");
	assert_string_equal(X.map.m[2].mid, "2");
	assert_int_equal(X.map.m[0].removed + X.map.m[1].removed, 0);
	assert_int_equal(X.map.m[2].removed, 1);
	assert_string_equal(X.map.m[2].media, "application");
	assert_string_equal(X.map.m[2].proto, "UDP/DTLS/SCTP");
	assert_true(X.map.m[0].in_bundle && X.map.m[0].rtcp_mux);
	assert_int_equal(X.st.removed, 1);
	assert_int_equal(X.st.dc_rejected, 1);
	assert_int_equal(X.st.usable, 2);
	assert_true(X.st.changed);
	done(&X);
}

static void test_mw_chromium_max_bundle(void **state)
{
	(void)state;
	/* Chromium max-bundle: video has port 9, no candidates: cannot work
	 * without BUNDLE, taken out (answered with port 0 toward W2) */
	load(&X, "chromium/offer-max-bundle-av.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(X.res.nmedia, 1);
	assert_true(epc_span_eq(mline(&X.res, 0).media, S("audio")));
	assert_int_equal(X.st.bundle_rejected, 1);
	assert_int_equal(X.map.m[1].removed, 1);
	assert_clean_for_ims(&X.res);
	done(&X);
	/* with bundle-only=pass (an AGW gives it a port) it stays */
	load(&X, "chromium/offer-max-bundle-av.sdp");
	mw(&X, "bundle-only=pass", 1, NULL);
	assert_int_equal(X.res.nmedia, 2);
	done(&X);
}

static void test_mw_chromium_balanced_two_video(void **state)
{
	uint32_t i;
	(void)state;
	load(&X, "chromium/offer-max-compat-av2.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(X.res.nmedia, 3);
	for(i = 0; i < 3; i++)
		assert_int_equal(mline(&X.res, i).port_n, mline(&X.src, i).port_n);
	assert_clean_for_ims(&X.res);
	done(&X);
}

/* ---- Mw: Firefox bundle-only ---- */

static void test_mw_firefox_bundle_only(void **state)
{
	(void)state;
	load(&X, "firefox/offer-balanced-av2.sdp");
	assert_int_equal(nattr(&X.src, 2, "bundle-only"), 1);
	assert_int_equal(mline(&X.src, 2).port_n, 0);
	mw(&X, "", 1, NULL);
	/* second video is bundle-only with port 0: out */
	assert_int_equal(X.res.nmedia, 2);
	assert_int_equal(X.st.bundle_rejected, 1);
	assert_int_equal(X.map.m[2].removed, 1);
	assert_clean_for_ims(&X.res);
	done(&X);

	load(&X, "firefox/offer-max-bundle-avd.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(X.res.nmedia, 1);
	assert_int_equal(X.st.bundle_rejected, 1);
	assert_int_equal(X.st.dc_rejected, 1);
	done(&X);
}

static void test_mw_rtcp_rule(void **state)
{
	const char *s =
			"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
			"m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\na=rtcp:4001\r\n"
			"m=audio 5000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\na=rtcp:6001 IN IP4 "
			"10.0.0.1\r\n"
			"m=audio 7000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\na=rtcp:7000\r\n"
			"m=audio 8000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\na=rtcp:9 IN IP4 "
			"0.0.0.0\r\n";
	(void)state;
	load_buf(&X, s, strlen(s));
	mw(&X, "", 1, NULL);
	/* auto: default port+1, mux leftover and dummy go; a real other port stays */
	assert_int_equal(nattr(&X.res, 0, "rtcp"), 0);
	assert_true(epc_span_eq(
			attr_val(&X.res, 1, "rtcp"), S("6001 IN IP4 10.0.0.1")));
	assert_int_equal(nattr(&X.res, 2, "rtcp"), 0);
	assert_int_equal(nattr(&X.res, 3, "rtcp"), 0);
	done(&X);
	load_buf(&X, s, strlen(s));
	mw(&X, "rtcp=keep", 1, NULL);
	assert_int_equal(nattr(&X.res, 0, "rtcp"), 1);
	assert_int_equal(nattr(&X.res, 1, "rtcp"), 1);
	assert_int_equal(nattr(&X.res, 3, "rtcp"), 0);
	done(&X);
	load_buf(&X, s, strlen(s));
	mw(&X, "rtcp=strip", 1, NULL);
	assert_int_equal(nattr_all(&X.res, "rtcp"), 0);
	done(&X);
}

static void test_mw_switches(void **state)
{
	epc_sdp_mline_t v;
	uint32_t k;
	epc_span_t n, val;

	(void)state;
	load(&X, "chromium/offer-balanced-avd.sdp");
	mw(&X, "keep-mid,keep-ssrc,keep-fec,proto=avpf,dc=pass", 1, NULL);
	assert_int_equal(X.res.nmedia, 3);
	assert_true(epc_span_eq(attr_val(&X.res, 0, "mid"), S("0")));
	assert_true(nattr(&X.res, 0, "ssrc") > 0);
	assert_true(has_codec(&X.res, 0, "red"));
	v = mline(&X.res, 1);
	assert_true(epc_span_eq(v.proto, S("RTP/AVPF")));
	assert_true(has_fmt(v, "97"));
	/* AVPF keeps rtcp-fb except the browser-only goog-remb / transport-cc */
	assert_true(nattr(&X.res, 1, "rtcp-fb") > 0);
	for(k = X.res.media[1].first; k < X.res.media[1].end; k++) {
		if(!epc_sdp_is_attr(&X.res.lines[k], S("rtcp-fb")))
			continue;
		epc_sdp_attr(&X.res.lines[k], &n, &val);
		assert_null(memmem(val.s, val.len, "goog-remb", 9));
		assert_null(memmem(val.s, val.len, "transport-cc", 12));
	}
	/* ICE / DTLS / extmap still stripped */
	assert_int_equal(nattr_all(&X.res, "candidate"), 0);
	assert_int_equal(nattr_all(&X.res, "fingerprint"), 0);
	assert_int_equal(nattr_all(&X.res, "extmap"), 0);
	assert_int_equal(nattr_all(&X.res, "group"), 0);
	done(&X);

	load(&X, "chromium/offer-balanced-av.sdp");
	mw(&X, "keep-ice,keep-dtls,keep-rtcp-mux,keep-extmap,keep-msid,proto=keep",
			1, NULL);
	assert_true(nattr(&X.res, 0, "candidate") > 0);
	assert_int_equal(nattr(&X.res, 0, "fingerprint"), 1);
	assert_int_equal(nattr(&X.res, 0, "rtcp-mux"), 1);
	assert_true(nattr(&X.res, 0, "extmap") > 0);
	assert_int_equal(nattr(&X.res, 0, "msid"), 1);
	assert_true(epc_span_eq(mline(&X.res, 0).proto, S("UDP/TLS/RTP/SAVPF")));
	assert_int_equal(nattr_all(&X.res, "group"), 0);
	assert_int_equal(nattr_all(&X.res, "mid"), 0);
	done(&X);
}

static void test_mw_tra_untouched(void **state)
{
	uint32_t i, j = 0;

	(void)state;
	load(&X, "ims/ims-tra-mpo-offer.sdp");
	mw(&X, "", 1, NULL);
	/* every tra-* line of the input is in the output, same bytes, same order */
	for(i = 0; i < X.src.nlines; i++) {
		const epc_sdp_line_t *l = &X.src.lines[i];
		if(l->len < 6 || memcmp(l->s, "a=tra-", 6) != 0)
			continue;
		while(j < X.res.nlines
				&& !(X.res.lines[j].len == l->len
						&& memcmp(X.res.lines[j].s, l->s, l->len) == 0))
			j++;
		if(j == X.res.nlines)
			fail_msg("tra line %u lost or reordered", i);
	}
	assert_int_equal(nattr(&X.res, 0, "tra-att"), 3);
	done(&X);
}

static void test_mw_ims_sdp_passes(void **state)
{
	(void)state;
	/* IMS SDP is left alone apart from the default-port a=rtcp */
	load(&X, "ims/volte-amrwb-offer.sdp");
	mw(&X, "rtcp=keep", 1, NULL);
	assert_false(X.st.changed);
	assert_int_equal(X.outlen, X.inlen);
	done(&X);
	load(&X, "ims/volte-video-avpf-offer.sdp");
	mw(&X, "rtcp=keep,keep-extmap", 1, NULL);
	assert_false(X.st.changed);
	done(&X);
	load(&X, "ims/volte-evs-offer.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(nattr(&X.res, 0, "rtcp"), 0);
	assert_int_equal(nattr(&X.res, 0, "rtcp-fb"), 2); /* AVPF keeps ccm tmmbr */
	assert_int_equal(nattr(&X.res, 0, "rtcp-xr"), 1);
	assert_int_equal(X.st.stripped, 1);
	done(&X);
}

static void test_mw_answer_keeps_mlines(void **state)
{
	(void)state;
	/* an answer never loses m-lines (RFC 3264 sec 6): rejected = port 0 */
	load(&X, "chromium/answer-balanced-avd.sdp");
	mw(&X, "", 0, NULL);
	assert_int_equal(X.res.nmedia, 3);
	assert_int_equal(mline(&X.res, 2).port_n, 0);
	assert_true(epc_span_eq(mline(&X.res, 2).media, S("application")));
	assert_true(mline(&X.res, 0).port_n != 0);
	/* Chromium's answer bundles video (port 9, no candidates of its own):
	 * without the group toward Mw it has no transport: port 0 too */
	assert_int_equal(mline(&X.res, 1).port_n, 0);
	assert_int_equal(X.st.removed, 0);
	assert_int_equal(X.st.rejected, 2);
	assert_int_equal(X.st.bundle_rejected, 1);
	assert_int_equal(X.st.dc_rejected, 1);
	done(&X);
}

static void test_mw_nothing_usable(void **state)
{
	const char *s = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
					"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
					"c=IN IP4 0.0.0.0\r\na=mid:0\r\na=sctp-port:5000\r\n";
	(void)state;
	load_buf(&X, s, strlen(s));
	mw(&X, "", 1, NULL);
	assert_int_equal(X.st.usable, 0);
	assert_int_equal(X.res.nmedia, 0);
	done(&X);
}

static void test_mw_reoffer_keeps_decision(void **state)
{
	sdpu_map_t prev;
	(void)state;
	load(&X, "chromium/offer-balanced-av.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(X.res.nmedia, 2);
	prev = X.map;
	prev.m[1].removed = 1; /* as if video had been taken out before */
	done(&X);
	load(&X, "chromium/offer-balanced-av.sdp");
	mw(&X, "", 1, &prev);
	assert_int_equal(X.res.nmedia, 1);
	assert_int_equal(X.map.m[1].removed, 1);
	done(&X);
}

/* ---- W2 ---- */

/* The IMS side's answer to what went to Mw: same m-lines, own ports,
 * RTP/AVP, no mid/mux/group (built from the Mw offer, not from a blob). */
static size_t ims_answer(
		const epc_sdp_t *mwoffer, char *buf, size_t size, int same_port)
{
	epc_sdp_out_t o;
	uint32_t i;
	char port[16];

	epc_sdp_out_init(&o, buf, size, 1);
	epc_sdp_out_new(&o, S("v=0"), EPC_SPAN_NULL, EPC_SPAN_NULL);
	epc_sdp_out_new(
			&o, S("o=- 5 5 IN IP4 10.9.9.9"), EPC_SPAN_NULL, EPC_SPAN_NULL);
	epc_sdp_out_new(&o, S("s=-"), EPC_SPAN_NULL, EPC_SPAN_NULL);
	epc_sdp_out_new(&o, S("c=IN IP4 10.9.9.9"), EPC_SPAN_NULL, EPC_SPAN_NULL);
	epc_sdp_out_new(&o, S("t=0 0"), EPC_SPAN_NULL, EPC_SPAN_NULL);
	for(i = 0; i < mwoffer->nmedia; i++) {
		epc_sdp_mline_t m = mline(mwoffer, i);
		epc_span_t rest = m.fmts, f;
		epc_sdp_token(&rest, &f);
		snprintf(port, sizeof(port), " %u ", same_port ? 30000 : 30000 + 2 * i);
		epc_sdp_out_bytes(&o, "m=", 2);
		epc_sdp_out_bytes(&o, m.media.s, m.media.len);
		epc_sdp_out_bytes(&o, port, strlen(port));
		epc_sdp_out_new(&o, m.proto, S(" "), f);
		epc_sdp_out_new(&o, S("a=sendrecv"), EPC_SPAN_NULL, EPC_SPAN_NULL);
	}
	assert_false(epc_sdp_out_overflow(&o));
	return o.len;
}

static void test_w2_answer_restores_offer_shape(void **state)
{
	static char ans[8192];
	size_t n;
	uint32_t i;

	(void)state;
	load(&X, "chromium/offer-balanced-avd.sdp");
	mw(&X, "", 1, NULL);
	n = ims_answer(&X.res, ans, sizeof(ans), 0);
	load_buf(&Y, ans, n);
	w2(&Y, "", 0, &X.map);
	/* every m-line of the browser's offer, same order */
	assert_int_equal(Y.res.nmedia, X.src.nmedia);
	for(i = 0; i < X.src.nmedia; i++) {
		assert_true(
				epc_span_eq(mline(&Y.res, i).media, mline(&X.src, i).media));
		assert_true(
				epc_span_eq(mline(&Y.res, i).proto, mline(&X.src, i).proto));
		/* the offer's mid on every m-line */
		assert_true(epc_span_eq(attr_val(&Y.res, (int)i, "mid"),
				attr_val(&X.src, (int)i, "mid")));
	}
	/* data channel rejected with port 0, no rtcp-mux on it */
	assert_int_equal(mline(&Y.res, 2).port_n, 0);
	assert_true(epc_span_eq(mline(&Y.res, 2).fmts, S("webrtc-datachannel")));
	assert_int_equal(nattr(&Y.res, 2, "rtcp-mux"), 0);
	/* accepted RTP lines carry rtcp-mux */
	assert_int_equal(nattr(&Y.res, 0, "rtcp-mux"), 1);
	assert_int_equal(nattr(&Y.res, 1, "rtcp-mux"), 1);
	assert_int_equal(mline(&Y.res, 0).port_n, 30000);
	/* separate ports: BUNDLE group only over the tagged m-line */
	assert_true(epc_span_eq(attr_val(&Y.res, -1, "group"), S("BUNDLE 0")));
	assert_int_equal(Y.st.rejected, 1);
	assert_int_equal(Y.st.usable, 2);
	done(&Y);

	/* same transport for audio and video: both in the group */
	n = ims_answer(&X.res, ans, sizeof(ans), 1);
	load_buf(&Y, ans, n);
	w2(&Y, "", 0, &X.map);
	assert_true(epc_span_eq(attr_val(&Y.res, -1, "group"), S("BUNDLE 0 1")));
	done(&Y);
	/* no-w2-bundle: no group at all */
	load_buf(&Y, ans, n);
	w2(&Y, "no-w2-bundle", 0, &X.map);
	assert_int_equal(nattr(&Y.res, -1, "group"), 0);
	done(&Y);
	done(&X);
}

static void test_w2_answer_rejected_by_ims(void **state)
{
	static char ans[8192];
	size_t n;
	char *p;

	(void)state;
	load(&X, "firefox/offer-balanced-av.sdp");
	mw(&X, "", 1, NULL);
	n = ims_answer(&X.res, ans, sizeof(ans), 0);
	/* the IMS side rejects video: port 0 */
	p = strstr(ans, "m=video 30002");
	assert_non_null(p);
	memcpy(p + 8, "00000", 5);
	memmove(p + 8, p + 12, n - (size_t)(p + 12 - ans));
	n -= 4;
	load_buf(&Y, ans, n);
	w2(&Y, "", 0, &X.map);
	assert_int_equal(mline(&Y.res, 1).port_n, 0);
	assert_int_equal(nattr(&Y.res, 1, "rtcp-mux"), 0);
	assert_true(epc_span_eq(attr_val(&Y.res, 1, "mid"), S("1")));
	assert_true(epc_span_eq(attr_val(&Y.res, -1, "group"), S("BUNDLE 0")));
	done(&Y);
	done(&X);
}

static void test_w2_answer_mismatch(void **state)
{
	sdpu_policy_t p;
	(void)state;
	load(&X, "chromium/offer-balanced-avd.sdp");
	mw(&X, "", 1, NULL);
	load(&Y, "ims/sipp-answer.sdp"); /* one m-line, two were sent */
	sdpu_policy_default(&p);
	assert_int_equal(
			sdpu_to_w2(&Y.src, &p, 0, &X.map, Y.out, OUTSZ, &Y.outlen, &Y.st),
			SDPU_E_MISMATCH);
	done(&Y);
	done(&X);
}

static void test_w2_offer_from_ims(void **state)
{
	uint32_t i;
	(void)state;
	load(&X, "ims/volte-video-avpf-offer.sdp");
	w2(&X, "", 1, NULL);
	assert_int_equal(X.res.nmedia, 2);
	assert_true(epc_span_eq(attr_val(&X.res, 0, "mid"), S("0")));
	assert_true(epc_span_eq(attr_val(&X.res, 1, "mid"), S("1")));
	assert_int_equal(nattr(&X.res, 0, "rtcp-mux"), 1);
	assert_int_equal(nattr(&X.res, 1, "rtcp-mux"), 1);
	/* nothing of the IMS offer is removed toward W2 */
	for(i = 0; i < X.src.nlines; i++) {
		uint32_t j;
		for(j = 0; j < X.res.nlines; j++) {
			if(X.res.lines[j].len == X.src.lines[i].len
					&& memcmp(X.res.lines[j].s, X.src.lines[i].s,
							   X.src.lines[i].len)
							   == 0)
				break;
		}
		assert_true(j < X.res.nlines);
	}
	assert_int_equal(X.st.added, 4);
	done(&X);
	/* a browser offer already has both: unchanged */
	load(&X, "chromium/offer-balanced-av.sdp");
	w2(&X, "", 1, NULL);
	assert_false(X.st.changed);
	done(&X);
}

/* ---- invariants over the whole corpus ---- */

static void corpus_invariants(const char *rel, void *ctx)
{
	static char out2[OUTSZ];
	size_t n2;
	sdpu_policy_t p;
	sdpu_stats_t st;
	epc_sdp_t again;
	epc_sdp_err_t err;

	(void)ctx;
	load(&X, rel);
	mw(&X, "", 1, NULL);
	assert_true(X.outlen <= X.inlen);
	/* idempotent: Mw(Mw(x)) == Mw(x) */
	sdpu_policy_default(&p);
	assert_int_equal(epc_sdp_parse_alloc((epc_span_t){X.out, X.outlen},
							 &epc_alloc_libc, &again, &err),
			0);
	assert_int_equal(
			sdpu_to_mw(&again, &p, 1, NULL, NULL, out2, OUTSZ, &n2, &st), 0);
	if(n2 != X.outlen || memcmp(out2, X.out, n2) != 0)
		fail_msg("%s: to_mw not idempotent", rel);
	assert_false(st.changed);
	epc_sdp_free(&again, &epc_alloc_libc);
	/* W2 offer normalisation parses and keeps the m-line count */
	epc_sdp_free(&X.res, &epc_alloc_libc);
	w2(&X, "", 1, NULL);
	assert_int_equal(X.res.nmedia, X.src.nmedia);
	/* a buffer one byte short fails cleanly */
	if(X.outlen > 0) {
		assert_int_equal(
				sdpu_to_w2(&X.src, &p, 1, NULL, out2, X.outlen - 1, &n2, &st),
				SDPU_E_TOOBIG);
	}
	done(&X);
}

static void test_corpus_invariants(void **state)
{
	(void)state;
	assert_true(corpus_each(corpus_invariants, NULL) >= 60);
}

/* ---- map text and flags ---- */

static void test_map_text(void **state)
{
	static const char *bad[] = {"", "2;", "1;8,0,audio,RTP/AVP,0;",
			"1;0,0,audio,RTP/AVP,0", "1;0,0,,RTP/AVP,0;",
			"1;0,0,audio,RTP/AVP,;", "1;00,0,audio,RTP/AVP,0;",
			"1;0,a b,audio,RTP/AVP,0;"};
	char text[SDPU_MAP_TEXT_MAX];
	sdpu_map_t back;
	size_t n, i;

	(void)state;
	load(&X, "firefox/offer-max-bundle-avd.sdp");
	mw(&X, "", 1, NULL);
	assert_int_equal(sdpu_map_encode(&X.map, text, sizeof(text), &n), 0);
	assert_int_equal(sdpu_map_decode((epc_span_t){text, n}, &back), 0);
	assert_int_equal(back.n, X.map.n);
	assert_memory_equal(&back, &X.map, sizeof(back));
	assert_int_equal(sdpu_map_encode(&X.map, text, 5, &n), SDPU_E_TOOBIG);
	done(&X);
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if(sdpu_map_decode(S(bad[i]), &back) != SDPU_E_MAP)
			fail_msg("map vector %zu accepted", i);
	}
	assert_int_equal(sdpu_map_decode(S("1;"), &back), 0);
	assert_int_equal(back.n, 0);
}

static void test_flags(void **state)
{
	sdpu_policy_t p;
	size_t bad = 0;

	(void)state;
	sdpu_policy_default(&p);
	assert_int_equal(p.proto, SDPU_PROTO_AVP);
	assert_int_equal(p.keep_mid, 0);
	assert_int_equal(p.data_channel, SDPU_REJECT);
	assert_int_equal(
			sdpu_policy_flags(&p, S(" keep-mid, dc=pass  offer,"), &bad), 0);
	assert_int_equal(p.keep_mid, 1);
	assert_int_equal(p.data_channel, SDPU_PASS);
	assert_int_equal(p.role, SDPU_ROLE_OFFER);
	assert_int_equal(
			sdpu_policy_flags(&p, S("keep-mid,bogus"), &bad), SDPU_E_FLAGS);
	assert_int_equal(bad, 9);
	assert_int_equal(sdpu_policy_flags(&p, S("proto=avpf"), NULL), 0);
	assert_int_equal(p.proto, SDPU_PROTO_AVPF);
	assert_int_equal(sdpu_policy_flags(&p, S(""), NULL), 0);
	assert_non_null(sdpu_strerror(SDPU_E_MISMATCH));
}

static void test_limits(void **state)
{
	char buf[8192];
	size_t n = 0;
	int i, rc;
	sdpu_policy_t p;
	epc_sdp_t s;
	epc_sdp_err_t err;
	static char out[OUTSZ];
	size_t ol;

	(void)state;
	n += (size_t)snprintf(buf, sizeof(buf),
			"v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n");
	for(i = 0; i < SDPU_MAX_MEDIA + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				"m=audio %d RTP/AVP 0\r\n", 2000 + 2 * i);
	assert_int_equal(epc_sdp_parse_alloc(
							 (epc_span_t){buf, n}, &epc_alloc_libc, &s, &err),
			0);
	sdpu_policy_default(&p);
	rc = sdpu_to_mw(&s, &p, 1, NULL, NULL, out, OUTSZ, &ol, NULL);
	assert_int_equal(rc, SDPU_E_LIMIT);
	epc_sdp_free(&s, &epc_alloc_libc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_mw_chromium_balanced_avd),
			cmocka_unit_test(test_mw_chromium_max_bundle),
			cmocka_unit_test(test_mw_chromium_balanced_two_video),
			cmocka_unit_test(test_mw_firefox_bundle_only),
			cmocka_unit_test(test_mw_rtcp_rule),
			cmocka_unit_test(test_mw_switches),
			cmocka_unit_test(test_mw_tra_untouched),
			cmocka_unit_test(test_mw_ims_sdp_passes),
			cmocka_unit_test(test_mw_answer_keeps_mlines),
			cmocka_unit_test(test_mw_nothing_usable),
			cmocka_unit_test(test_mw_reoffer_keeps_decision),
			cmocka_unit_test(test_w2_answer_restores_offer_shape),
			cmocka_unit_test(test_w2_answer_rejected_by_ims),
			cmocka_unit_test(test_w2_answer_mismatch),
			cmocka_unit_test(test_w2_offer_from_ims),
			cmocka_unit_test(test_corpus_invariants),
			cmocka_unit_test(test_map_text),
			cmocka_unit_test(test_flags),
			cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
