/*
 * Copyright (C) 2026 The eP-CSCF modules authors
 *
 * This file is part of the eP-CSCF modules for Kamailio.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the Free
 * Software Foundation; either version 2 of the License, or (at your option)
 * any later version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "sdpu.h"

#define LIT(s) EPC_SPAN_LIT(s)
#define NOSPAN EPC_SPAN_NULL

/* Attribute categories (what a rule is about). */
enum
{
	CAT_OTHER = 0, /* kept: unknown, codecs, direction, ptime, tra-*, ... */
	CAT_GROUP,
	CAT_BUNDLE_ONLY,
	CAT_MID,
	CAT_RTCP,
	CAT_MUX,
	CAT_RSIZE,
	CAT_ICE,
	CAT_DTLS,
	CAT_EXTMAP,
	CAT_MSID,
	CAT_SSRC,
	CAT_SIMULCAST,
	CAT_RTCP_FB,
	CAT_RTPMAP,
	CAT_FMTP,
	CAT_SCTP
};

#define EQ(lit) (memcmp(n, lit, sizeof(lit) - 1) == 0)

/* Category of an attribute name: one switch on the length, then at most
 * three compares (this runs for every a= line). */
static int name_cat(const char *n, size_t len)
{
	switch(len) {
		case 3:
			return EQ("mid") ? CAT_MID : EQ("rid") ? CAT_SIMULCAST : CAT_OTHER;
		case 4:
			return EQ("fmtp")	? CAT_FMTP
				   : EQ("rtcp") ? CAT_RTCP
				   : EQ("ssrc") ? CAT_SSRC
				   : EQ("msid") ? CAT_MSID
								: CAT_OTHER;
		case 5:
			return EQ("group") ? CAT_GROUP : EQ("setup") ? CAT_DTLS : CAT_OTHER;
		case 6:
			return EQ("rtpmap")	  ? CAT_RTPMAP
				   : EQ("extmap") ? CAT_EXTMAP
				   : EQ("tls-id") ? CAT_DTLS
								  : CAT_OTHER;
		case 7:
			return EQ("rtcp-fb")   ? CAT_RTCP_FB
				   : EQ("ice-pwd") ? CAT_ICE
				   : EQ("sctpmap") ? CAT_SCTP
								   : CAT_OTHER;
		case 8:
			return EQ("rtcp-mux")	? CAT_MUX
				   : EQ("ice-lite") ? CAT_ICE
									: CAT_OTHER;
		case 9:
			return (EQ("candidate") || EQ("ice-ufrag")) ? CAT_ICE
				   : EQ("simulcast")					? CAT_SIMULCAST
				   : EQ("sctp-port")					? CAT_SCTP
														: CAT_OTHER;
		case 10:
			return EQ("rtcp-rsize")	  ? CAT_RSIZE
				   : EQ("ssrc-group") ? CAT_SSRC
				   : EQ("ice-pacing") ? CAT_ICE
									  : CAT_OTHER;
		case 11:
			return EQ("bundle-only")   ? CAT_BUNDLE_ONLY
				   : EQ("fingerprint") ? CAT_DTLS
				   : EQ("ice-options") ? CAT_ICE
									   : CAT_OTHER;
		case 12:
			return EQ("ice-mismatch") ? CAT_ICE : CAT_OTHER;
		case 13:
			return EQ("rtcp-mux-only")	 ? CAT_MUX
				   : EQ("msid-semantic") ? CAT_MSID
										 : CAT_OTHER;
		case 16:
			return EQ("max-message-size") ? CAT_SCTP : CAT_OTHER;
		case 17:
			return (EQ("end-of-candidates") || EQ("remote-candidates"))
						   ? CAT_ICE
						   : CAT_OTHER;
		case 18:
			return EQ("extmap-allow-mixed") ? CAT_EXTMAP : CAT_OTHER;
		default:
			return CAT_OTHER;
	}
}
#undef EQ

static int attr_cat(const epc_sdp_line_t *l, epc_span_t *name, epc_span_t *val)
{
	epc_sdp_attr(l, name, val);
	return name_cat(name->s, name->len);
}

/* ---- policy ---- */

void sdpu_policy_default(sdpu_policy_t *p)
{
	memset(p, 0, sizeof(*p));
	p->proto = SDPU_PROTO_AVP;
	p->rtcp = SDPU_RTCP_AUTO;
	p->data_channel = SDPU_REJECT;
	p->bundle_only = SDPU_REJECT;
	p->w2_mux = 1;
	p->w2_mid = 1;
	p->w2_bundle = 1;
	p->w2_proto = 1;
}

typedef struct flag_def
{
	const char *word;
	size_t off; /* offsetof the uint8_t in the policy */
	uint8_t val;
} flag_def_t;

#define F(w, m, v)                       \
	{                                    \
		w, offsetof(sdpu_policy_t, m), v \
	}
/* clang-format off */
static const flag_def_t flag_defs[] = {
	F("keep-mid", keep_mid, 1), F("strip-mid", keep_mid, 0),
	F("keep-rtcp-mux", keep_rtcp_mux, 1), F("strip-rtcp-mux", keep_rtcp_mux, 0),
	F("keep-rtcp-rsize", keep_rtcp_rsize, 1),
	F("strip-rtcp-rsize", keep_rtcp_rsize, 0),
	F("keep-ssrc", keep_ssrc, 1), F("strip-ssrc", keep_ssrc, 0),
	F("keep-extmap", keep_extmap, 1), F("strip-extmap", keep_extmap, 0),
	F("keep-msid", keep_msid, 1), F("strip-msid", keep_msid, 0),
	F("keep-ice", keep_ice, 1), F("strip-ice", keep_ice, 0),
	F("keep-dtls", keep_dtls, 1), F("strip-dtls", keep_dtls, 0),
	F("keep-fec", keep_fec, 1), F("strip-fec", keep_fec, 0),
	F("keep-rtcp-fb", keep_rtcp_fb, 1), F("strip-rtcp-fb", keep_rtcp_fb, 0),
	F("rtcp=auto", rtcp, SDPU_RTCP_AUTO), F("rtcp=strip", rtcp, SDPU_RTCP_STRIP),
	F("rtcp=keep", rtcp, SDPU_RTCP_KEEP),
	F("proto=avp", proto, SDPU_PROTO_AVP), F("proto=avpf", proto, SDPU_PROTO_AVPF),
	F("proto=keep", proto, SDPU_PROTO_KEEP),
	F("dc=reject", data_channel, SDPU_REJECT), F("dc=pass", data_channel, SDPU_PASS),
	F("bundle-only=reject", bundle_only, SDPU_REJECT),
	F("bundle-only=pass", bundle_only, SDPU_PASS),
	F("w2-mux", w2_mux, 1), F("no-w2-mux", w2_mux, 0),
	F("w2-mid", w2_mid, 1), F("no-w2-mid", w2_mid, 0),
	F("w2-bundle", w2_bundle, 1), F("no-w2-bundle", w2_bundle, 0),
	F("w2-proto", w2_proto, 1), F("no-w2-proto", w2_proto, 0),
	F("offer", role, SDPU_ROLE_OFFER), F("answer", role, SDPU_ROLE_ANSWER),
	F("auto", role, SDPU_ROLE_AUTO),
	F("nosave", nosave, 1),
};
/* clang-format on */
#undef F

int sdpu_policy_flags(sdpu_policy_t *p, epc_span_t flags, size_t *bad)
{
	size_t i = 0, j, k;

	while(i < flags.len) {
		while(i < flags.len
				&& (flags.s[i] == ',' || flags.s[i] == ' '
						|| flags.s[i] == '\t'))
			i++;
		j = i;
		while(j < flags.len && flags.s[j] != ',' && flags.s[j] != ' '
				&& flags.s[j] != '\t')
			j++;
		if(j == i)
			break;
		for(k = 0; k < sizeof(flag_defs) / sizeof(flag_defs[0]); k++) {
			if(strlen(flag_defs[k].word) == j - i
					&& strncmp(flag_defs[k].word, flags.s + i, j - i) == 0)
				break;
		}
		if(k == sizeof(flag_defs) / sizeof(flag_defs[0])) {
			if(bad)
				*bad = i;
			return SDPU_E_FLAGS;
		}
		((uint8_t *)p)[flag_defs[k].off] = flag_defs[k].val;
		i = j;
	}
	return 0;
}

/* ---- per m-line facts ---- */

typedef struct mfacts
{
	epc_sdp_mline_t ml;
	epc_span_t mid;
	epc_span_t caddr; /* effective connection address */
	uint8_t is_rtp;
	uint8_t is_dc;
	uint8_t is_webrtc; /* DTLS/TLS transport */
	uint8_t bundle_only;
	uint8_t has_cand;
	uint8_t has_mux;
	uint8_t in_bundle;
	uint8_t is_tag;
	uint8_t out;		 /* taken out of the SDP (Mw offers) */
	uint8_t reject;		 /* port 0 (Mw answers) */
	uint8_t dc_rej;		 /* reason: data channel */
	uint8_t drop_pt[16]; /* bitmap of payload types 0..127 to drop */
	uint8_t any_drop;	 /* drop_pt not empty */
	uint32_t nfmt_kept;
} mfacts_t;

typedef struct ctx
{
	const epc_sdp_t *in;
	const sdpu_policy_t *p;
	mfacts_t f[SDPU_MAX_MEDIA];
	uint32_t nm;
	long bundle_line; /* session line index of a=group:BUNDLE or -1 */
	epc_span_t sess_caddr;
	epc_sdp_out_t o;
	sdpu_stats_t st;
} ctx_t;

static int span_contains(epc_span_t a, epc_span_t needle)
{
	size_t i;

	if(needle.len > a.len)
		return 0;
	for(i = 0; i + needle.len <= a.len; i++) {
		if(memcmp(a.s + i, needle.s, needle.len) == 0)
			return 1;
	}
	return 0;
}

static int pt_of(epc_span_t v, uint32_t *pt)
{
	epc_span_t tok;
	uint64_t n;

	if(!epc_sdp_token(&v, &tok) || epc_span_to_u64(tok, 127, &n) < 0)
		return -1;
	*pt = (uint32_t)n;
	return 0;
}

static int pt_dropped(const mfacts_t *f, epc_span_t v)
{
	uint32_t pt;

	if(!f->any_drop || pt_of(v, &pt) < 0)
		return 0;
	return (f->drop_pt[pt >> 3] >> (pt & 7)) & 1;
}

/* RFC 2198 red, RFC 5109 ulpfec, RFC 8627 flexfec, RFC 4588 rtx */
static int is_fec_codec(epc_span_t val)
{
	epc_span_t rest = val, pt, enc;
	long slash;

	if(!epc_sdp_token(&rest, &pt) || !epc_sdp_token(&rest, &enc))
		return 0;
	slash = epc_span_find_byte(enc, '/');
	if(slash >= 0)
		enc.len = (size_t)slash;
	return epc_span_eq_nocase(enc, LIT("red"))
		   || epc_span_eq_nocase(enc, LIT("ulpfec"))
		   || epc_span_eq_nocase(enc, LIT("flexfec"))
		   || epc_span_eq_nocase(enc, LIT("rtx"));
}

/* Is mid listed in the group value "<semantics> mid mid ..."? */
static int group_has(epc_span_t gval, epc_span_t mid)
{
	epc_span_t tok;

	if(mid.len == 0 || !epc_sdp_token(&gval, &tok))
		return 0;
	while(epc_sdp_token(&gval, &tok)) {
		if(epc_span_eq(tok, mid))
			return 1;
	}
	return 0;
}

static epc_span_t group_sem(epc_span_t gval)
{
	epc_span_t tok = NOSPAN;

	epc_sdp_token(&gval, &tok);
	return tok;
}

static void scan_session(ctx_t *c)
{
	const epc_sdp_t *in = c->in;
	epc_span_t name, val;
	epc_sdp_cline_t cl;
	uint32_t i;

	c->bundle_line = -1;
	for(i = 0; i < in->sess_end; i++) {
		const epc_sdp_line_t *l = &in->lines[i];
		if(l->type == 'c' && epc_sdp_parse_cline(epc_sdp_value(l), &cl) == 0)
			c->sess_caddr = cl.addr;
		if(l->type != 'a' || c->bundle_line >= 0)
			continue;
		if(attr_cat(l, &name, &val) == CAT_GROUP
				&& epc_span_eq(group_sem(val), LIT("BUNDLE")))
			c->bundle_line = (long)i;
	}
}

static void scan_media_line(
		ctx_t *c, mfacts_t *f, const epc_sdp_line_t *l, int check_fec)
{
	epc_span_t name, val;
	epc_sdp_cline_t cl;
	uint32_t pt;

	if(l->type == 'c') {
		if(epc_sdp_parse_cline(epc_sdp_value(l), &cl) == 0)
			f->caddr = cl.addr;
		return;
	}
	if(l->type != 'a')
		return;
	switch(attr_cat(l, &name, &val)) {
		case CAT_MID:
			f->mid = val;
			break;
		case CAT_BUNDLE_ONLY:
			f->bundle_only = 1;
			break;
		case CAT_MUX:
			f->has_mux = 1;
			break;
		case CAT_ICE:
			if(name.len == 9 && memcmp(name.s, "candidate", 9) == 0)
				f->has_cand = 1;
			break;
		case CAT_RTPMAP:
			if(check_fec && is_fec_codec(val) && pt_of(val, &pt) == 0) {
				f->drop_pt[pt >> 3] |= (uint8_t)(1u << (pt & 7));
				f->any_drop = 1;
			}
			break;
		default:
			break;
	}
	(void)c;
}

/* Facts of every m-line; check_fec: collect payload types to drop. */
static int scan_media(ctx_t *c, int check_fec)
{
	const epc_sdp_t *in = c->in;
	epc_span_t proto;
	uint32_t i, j;

	if(in->nmedia > SDPU_MAX_MEDIA)
		return SDPU_E_LIMIT;
	c->nm = in->nmedia;
	for(i = 0; i < in->nmedia; i++) {
		mfacts_t *f = &c->f[i];
		const epc_sdp_media_t *m = &in->media[i];
		memset(f, 0, sizeof(*f));
		if(epc_sdp_parse_mline(epc_sdp_value(&in->lines[m->first]), &f->ml) < 0)
			return SDPU_E_PARSE;
		proto = f->ml.proto;
		f->is_rtp = span_contains(proto, LIT("RTP/"));
		f->is_dc = span_contains(proto, LIT("SCTP"));
		f->is_webrtc = f->is_rtp
					   && (span_contains(proto, LIT("TLS/"))
							   || span_contains(proto, LIT("DTLS/")));
		f->caddr = c->sess_caddr;
		for(j = m->first + 1; j < m->end; j++)
			scan_media_line(c, f, &in->lines[j], check_fec && f->is_rtp);
		if(c->bundle_line >= 0) {
			epc_span_t n, gv;
			epc_sdp_attr(&in->lines[c->bundle_line], &n, &gv);
			f->in_bundle = group_has(gv, f->mid);
			if(f->in_bundle) {
				epc_span_t first = NOSPAN;
				epc_sdp_token(&gv, &first); /* semantics */
				epc_sdp_token(&gv, &first);
				f->is_tag = epc_span_eq(first, f->mid);
			}
		}
	}
	return 0;
}

static const mfacts_t *tag_facts(const ctx_t *c)
{
	uint32_t i;

	for(i = 0; i < c->nm; i++) {
		if(c->f[i].is_tag)
			return &c->f[i];
	}
	return NULL;
}

/*
 * RFC 8843 sec 7.2: a bundle-only m-line (port 0 + a=bundle-only, Firefox)
 * or one that can only work bundled (in the group, not the tagged one, no
 * candidates of its own while the tagged one has them: Chromium's
 * max-bundle, port 9) has no transport of its own toward a peer without
 * BUNDLE.
 */
static int bundle_dependent(const ctx_t *c, const mfacts_t *f)
{
	const mfacts_t *tag;

	if(f->bundle_only && f->ml.port_n == 0)
		return 1;
	if(!f->in_bundle || f->is_tag || f->has_cand)
		return 0;
	tag = tag_facts(c);
	return tag != NULL && tag->has_cand;
}

static int prev_removed(const sdpu_map_t *prev, epc_span_t mid)
{
	uint32_t i;

	if(prev == NULL || mid.len == 0)
		return 0;
	for(i = 0; i < prev->n; i++) {
		if(prev->m[i].removed
				&& epc_span_eq(epc_span_cstr(prev->m[i].mid), mid))
			return 1;
	}
	return 0;
}

static uint32_t count_fmts(epc_span_t rest)
{
	epc_span_t tok;
	uint32_t n = 0;

	while(epc_sdp_token(&rest, &tok))
		n++;
	return n;
}

static uint32_t count_kept_fmts(const mfacts_t *f)
{
	epc_span_t rest = f->ml.fmts, tok;
	uint32_t n = 0;

	while(epc_sdp_token(&rest, &tok)) {
		if(!f->is_rtp || !pt_dropped(f, tok))
			n++;
	}
	return n;
}

static void decide_mw(ctx_t *c, int is_offer, const sdpu_map_t *prev)
{
	uint32_t i;
	int dep;

	for(i = 0; i < c->nm; i++) {
		mfacts_t *f = &c->f[i];
		int out = 0;
		f->nfmt_kept = count_kept_fmts(f);
		dep = bundle_dependent(c, f);
		if(f->is_dc && c->p->data_channel == SDPU_REJECT) {
			out = 1;
			f->dc_rej = 1;
		} else if(dep && c->p->bundle_only == SDPU_REJECT) {
			out = 2;
		} else if(f->nfmt_kept == 0
				  || (is_offer && prev_removed(prev, f->mid))) {
			out = 3;
		}
		if(out == 0)
			continue;
		if(is_offer) {
			f->out = 1;
			c->st.removed++;
		} else {
			f->reject = 1;
		}
		c->st.rejected++;
		if(out == 1)
			c->st.dc_rejected++;
		if(out == 2)
			c->st.bundle_rejected++;
	}
}

static const mfacts_t *facts_by_mid(const ctx_t *c, epc_span_t mid)
{
	uint32_t i;

	for(i = 0; i < c->nm; i++) {
		if(epc_span_eq(c->f[i].mid, mid))
			return &c->f[i];
	}
	return NULL;
}

/* a=group other than BUNDLE, without the mids taken out (RFC 5888). */
static void out_group_mw(ctx_t *c, const epc_sdp_line_t *l, epc_span_t gval)
{
	epc_span_t rest = gval, sem = NOSPAN, tok;
	epc_sdp_out_t *o = &c->o;
	int n = 0, dropped = 0;

	epc_sdp_token(&rest, &sem);
	if(epc_span_eq(sem, LIT("BUNDLE"))) {
		c->st.stripped++;
		return;
	}
	while(epc_sdp_token(&rest, &tok)) {
		const mfacts_t *f = facts_by_mid(c, tok);
		if(f && f->out)
			dropped++;
		else
			n++;
	}
	if(dropped == 0) {
		epc_sdp_out_line(o, l);
		return;
	}
	if(n == 0) {
		c->st.stripped++;
		return;
	}
	epc_sdp_out_bytes(o, "a=group:", 8);
	epc_sdp_out_bytes(o, sem.s, sem.len);
	rest = gval;
	epc_sdp_token(&rest, &sem);
	while(epc_sdp_token(&rest, &tok)) {
		const mfacts_t *f = facts_by_mid(c, tok);
		if(f && f->out)
			continue;
		epc_sdp_out_bytes(o, " ", 1);
		epc_sdp_out_bytes(o, tok.s, tok.len);
	}
	epc_sdp_out_new(o, NOSPAN, NOSPAN, NOSPAN);
}

/* mid referenced by a kept non-BUNDLE group: a=mid must stay. */
static int mid_needed(const ctx_t *c, epc_span_t mid)
{
	const epc_sdp_t *in = c->in;
	epc_span_t name, val;
	uint32_t i;

	const mfacts_t *f = facts_by_mid(c, mid);

	/* a mid taken out of the group (same lookup as out_group_mw) */
	if(mid.len == 0 || (f && f->out))
		return 0;
	for(i = 0; i < in->sess_end; i++) {
		if(in->lines[i].type != 'a'
				|| attr_cat(&in->lines[i], &name, &val) != CAT_GROUP)
			continue;
		if(!epc_span_eq(group_sem(val), LIT("BUNDLE")) && group_has(val, mid))
			return 1;
	}
	return 0;
}

/* Policy switch for a category (1 = strip toward Mw). */
static int strip_cat(const sdpu_policy_t *p, int cat)
{
	switch(cat) {
		case CAT_BUNDLE_ONLY:
		case CAT_SIMULCAST:
			return 1;
		case CAT_MUX:
			return !p->keep_rtcp_mux;
		case CAT_RSIZE:
			return !p->keep_rtcp_rsize;
		case CAT_ICE:
			return !p->keep_ice;
		case CAT_DTLS:
			return !p->keep_dtls;
		case CAT_EXTMAP:
			return !p->keep_extmap;
		case CAT_MSID:
			return !p->keep_msid;
		case CAT_SSRC:
			return !p->keep_ssrc;
		default:
			return 0;
	}
}

static int is_zero_addr(epc_span_t a)
{
	return epc_span_eq(a, LIT("0.0.0.0")) || epc_span_eq(a, LIT("::"));
}

/* RFC 3605 a=rtcp toward Mw: the browser's dummy (9 / 0.0.0.0) and a mux
 * leftover (RTCP port == RTP port) always go; in auto mode also the
 * default port+1 on the same address (VoLTE UEs dislike what they did not
 * expect), a real different port stays. */
static int strip_rtcp(const ctx_t *c, const mfacts_t *f, epc_span_t val)
{
	epc_span_t rest = val, port, nt, at, addr = NOSPAN;
	uint64_t n;

	if(c->p->rtcp == SDPU_RTCP_STRIP)
		return 1;
	if(!epc_sdp_token(&rest, &port) || epc_span_to_u64(port, 65535, &n) < 0)
		return c->p->rtcp != SDPU_RTCP_KEEP;
	if(epc_sdp_token(&rest, &nt) && epc_sdp_token(&rest, &at))
		epc_sdp_token(&rest, &addr);
	if(is_zero_addr(addr) || (addr.len == 0 && is_zero_addr(f->caddr)))
		return 1;
	if(n == f->ml.port_n || f->ml.port_n == 0 || f->reject)
		return 1;
	if(c->p->rtcp == SDPU_RTCP_KEEP)
		return 0;
	return n == f->ml.port_n + 1
		   && (addr.len == 0 || epc_span_eq(addr, f->caddr));
}

static int out_is_avpf(const ctx_t *c, const mfacts_t *f)
{
	epc_span_t pr = f->ml.proto;

	if(f->is_webrtc && c->p->proto != SDPU_PROTO_KEEP)
		return c->p->proto == SDPU_PROTO_AVPF;
	return pr.len > 0 && pr.s[pr.len - 1] == 'F';
}

/* One attribute line of a kept m-line toward Mw: 1 = emit, 0 = drop. */
static int keep_media_attr(
		const ctx_t *c, const mfacts_t *f, const epc_sdp_line_t *l, int mid_ok)
{
	epc_span_t name, val;
	int cat = attr_cat(l, &name, &val);

	switch(cat) {
		case CAT_MID:
			return mid_ok;
		case CAT_RTCP:
			return !strip_rtcp(c, f, val);
		case CAT_RTPMAP:
		case CAT_FMTP:
			return !(f->is_rtp && pt_dropped(f, val));
		case CAT_RTCP_FB:
			if(!c->p->keep_rtcp_fb && !out_is_avpf(c, f))
				return 0;
			if(f->is_rtp && pt_dropped(f, val))
				return 0;
			if(c->p->keep_rtcp_fb)
				return 1;
			return !span_contains(val, LIT("goog-remb"))
				   && !span_contains(val, LIT("transport-cc"));
		default:
			return !strip_cat(c->p, cat);
	}
}

static void out_mline(ctx_t *c, const mfacts_t *f, int port0, epc_span_t proto,
		int filter_fmts)
{
	epc_sdp_out_t *o = &c->o;
	epc_span_t rest = f->ml.fmts, tok;

	epc_sdp_out_bytes(o, "m=", 2);
	epc_sdp_out_bytes(o, f->ml.media.s, f->ml.media.len);
	if(port0) {
		epc_sdp_out_bytes(o, " 0 ", 3);
	} else {
		epc_sdp_out_bytes(o, " ", 1);
		epc_sdp_out_bytes(o, f->ml.port.s, f->ml.port.len);
		if(f->ml.nports.len) {
			epc_sdp_out_bytes(o, "/", 1);
			epc_sdp_out_bytes(o, f->ml.nports.s, f->ml.nports.len);
		}
		epc_sdp_out_bytes(o, " ", 1);
	}
	epc_sdp_out_bytes(o, proto.s, proto.len);
	while(epc_sdp_token(&rest, &tok)) {
		if(filter_fmts && f->is_rtp && pt_dropped(f, tok))
			continue;
		epc_sdp_out_bytes(o, " ", 1);
		epc_sdp_out_bytes(o, tok.s, tok.len);
	}
	epc_sdp_out_new(o, NOSPAN, NOSPAN, NOSPAN);
}

static epc_span_t mw_proto(const ctx_t *c, const mfacts_t *f)
{
	if(!f->is_webrtc || c->p->proto == SDPU_PROTO_KEEP)
		return f->ml.proto;
	return c->p->proto == SDPU_PROTO_AVPF ? LIT("RTP/AVPF") : LIT("RTP/AVP");
}

static void out_media_mw(ctx_t *c, uint32_t i)
{
	const epc_sdp_t *in = c->in;
	const epc_sdp_media_t *m = &in->media[i];
	const mfacts_t *f = &c->f[i];
	epc_span_t proto = mw_proto(c, f);
	int mid_ok = c->p->keep_mid || mid_needed(c, f->mid);
	int fmts_changed =
			f->nfmt_kept != 0 && f->nfmt_kept != count_fmts(f->ml.fmts);
	uint32_t j;

	if(f->reject || fmts_changed || proto.s != f->ml.proto.s)
		out_mline(c, f, f->reject, proto, f->nfmt_kept != 0);
	else
		epc_sdp_out_line(&c->o, &in->lines[m->first]);
	for(j = m->first + 1; j < m->end; j++) {
		const epc_sdp_line_t *l = &in->lines[j];
		if(l->type == 'a' && !keep_media_attr(c, f, l, mid_ok)) {
			c->st.stripped++;
			continue;
		}
		epc_sdp_out_line(&c->o, l);
	}
}

static void out_session_mw(ctx_t *c)
{
	const epc_sdp_t *in = c->in;
	epc_span_t name, val;
	uint32_t i;
	int cat;

	for(i = 0; i < in->sess_end; i++) {
		const epc_sdp_line_t *l = &in->lines[i];
		if(l->type != 'a') {
			epc_sdp_out_line(&c->o, l);
			continue;
		}
		cat = attr_cat(l, &name, &val);
		if(cat == CAT_GROUP) {
			out_group_mw(c, l, val);
		} else if(strip_cat(c->p, cat)) {
			c->st.stripped++;
		} else {
			epc_sdp_out_line(&c->o, l);
		}
	}
}

/* mid, media, proto and fmt are RFC 8866 tokens; anything else cannot be
 * kept in a map (and is not valid SDP). */
static int copy_id(char *dst, epc_span_t s)
{
	size_t i;

	if(s.len > SDPU_MAX_ID)
		return SDPU_E_LIMIT;
	for(i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.s[i];
		if(c <= 0x20 || c >= 0x7f || c == ',' || c == ';')
			return SDPU_E_LIMIT;
	}
	if(s.len)
		memcpy(dst, s.s, s.len);
	dst[s.len] = '\0';
	return 0;
}

static int fill_map(const ctx_t *c, sdpu_map_t *map)
{
	epc_span_t rest, fmt = NOSPAN;
	uint32_t i;

	memset(map, 0, sizeof(*map));
	map->n = c->nm;
	for(i = 0; i < c->nm; i++) {
		const mfacts_t *f = &c->f[i];
		sdpu_map_line_t *ml = &map->m[i];
		rest = f->ml.fmts;
		epc_sdp_token(&rest, &fmt);
		ml->removed = f->out;
		ml->in_bundle = f->in_bundle;
		ml->rtcp_mux = f->has_mux;
		if(copy_id(ml->mid, f->mid) < 0 || copy_id(ml->media, f->ml.media) < 0
				|| copy_id(ml->proto, f->ml.proto) < 0
				|| copy_id(ml->fmt, fmt) < 0)
			return SDPU_E_LIMIT;
	}
	return 0;
}

static int finish(ctx_t *c, char *out, size_t *outlen, sdpu_stats_t *st)
{
	epc_sdp_out_bytes(&c->o, c->in->tail.s, c->in->tail.len);
	if(epc_sdp_out_overflow(&c->o))
		return SDPU_E_TOOBIG;
	*outlen = c->o.len;
	c->st.changed = c->o.len != c->in->src.len
					|| memcmp(out, c->in->src.s, c->o.len) != 0;
	if(st)
		*st = c->st;
	return 0;
}

int sdpu_to_mw(const epc_sdp_t *in, const sdpu_policy_t *p, int is_offer,
		const sdpu_map_t *prev, sdpu_map_t *map, char *out, size_t outsz,
		size_t *outlen, sdpu_stats_t *st)
{
	ctx_t c;
	uint32_t i;
	int rc;

	memset(&c.st, 0, sizeof(c.st));
	c.in = in;
	c.p = p;
	c.sess_caddr = EPC_SPAN_NULL;
	scan_session(&c);
	rc = scan_media(&c, !p->keep_fec);
	if(rc < 0)
		return rc;
	decide_mw(&c, is_offer, prev);
	if(map) {
		rc = fill_map(&c, map);
		if(rc < 0)
			return rc;
	}
	epc_sdp_out_init(&c.o, out, outsz, in->crlf);
	out_session_mw(&c);
	for(i = 0; i < c.nm; i++) {
		if(c.f[i].out)
			continue;
		out_media_mw(&c, i);
		c.st.media++;
		if(!c.f[i].reject && c.f[i].ml.port_n != 0)
			c.st.usable++;
	}
	return finish(&c, out, outlen, st);
}

/* ---- toward W2 ---- */

static void out_attr_new(epc_sdp_out_t *o, epc_span_t name, epc_span_t val)
{
	epc_sdp_out_new(o, LIT("a="), name, NOSPAN);
	if(val.len) {
		o->len -= o->crlf ? 2 : 1;
		epc_sdp_out_new(o, LIT(":"), val, NOSPAN);
	}
}

/* mid for an IMS offer's m-line without one: its index, unless taken. */
static size_t gen_mid(const ctx_t *c, uint32_t i, char *buf)
{
	char num[12];
	size_t n = 0, k, off = 0;

	do {
		num[n++] = (char)('0' + i % 10);
		i /= 10;
	} while(i && n < sizeof(num));
	for(k = 0; k < n; k++)
		buf[k] = num[n - 1 - k];
	if(facts_by_mid(c, (epc_span_t){buf, n}) != NULL) {
		buf[0] = 'm';
		off = 1;
		for(k = 0; k < n; k++)
			buf[k + off] = num[n - 1 - k];
	}
	return n + off;
}

static int w2_offer(ctx_t *c)
{
	const epc_sdp_t *in = c->in;
	char mid[16];
	size_t mlen;
	uint32_t i, j;

	for(i = 0; i < in->sess_end; i++)
		epc_sdp_out_line(&c->o, &in->lines[i]);
	for(i = 0; i < c->nm; i++) {
		const mfacts_t *f = &c->f[i];
		const epc_sdp_media_t *m = &in->media[i];
		for(j = m->first; j < m->end; j++)
			epc_sdp_out_line(&c->o, &in->lines[j]);
		if(c->p->w2_mid && f->mid.len == 0) {
			mlen = gen_mid(c, i, mid);
			out_attr_new(&c->o, LIT("mid"), (epc_span_t){mid, mlen});
			c->st.added++;
		}
		/* Firefox insists on rtcp-mux on a bundle-only m-line too */
		if(c->p->w2_mux && f->is_rtp && !f->has_mux
				&& (f->ml.port_n != 0 || f->bundle_only)) {
			out_attr_new(&c->o, LIT("rtcp-mux"), NOSPAN);
			c->st.added++;
		}
		c->st.media++;
		if(f->ml.port_n != 0)
			c->st.usable++;
	}
	return 0;
}

/* Answer m-line index for offer map line j (removed lines have none). */
static int answer_index(const sdpu_map_t *map, uint32_t j)
{
	uint32_t k, n = 0;

	for(k = 0; k < j; k++) {
		if(!map->m[k].removed)
			n++;
	}
	return (int)n;
}

static int same_transport(const mfacts_t *a, const mfacts_t *b)
{
	return a->ml.port_n == b->ml.port_n && epc_span_eq(a->caddr, b->caddr);
}

/* RFC 8843 sec 7.3: a BUNDLE group over the offer's bundled mids that the
 * answer accepted on the transport of the first of them. */
static void out_bundle_w2(ctx_t *c, const sdpu_map_t *map)
{
	const mfacts_t *tag = NULL;
	uint32_t j;
	int n = 0;

	for(j = 0; j < map->n; j++) {
		const mfacts_t *f;
		if(map->m[j].removed || !map->m[j].in_bundle || !map->m[j].mid[0])
			continue;
		f = &c->f[answer_index(map, j)];
		if(f->ml.port_n == 0)
			continue;
		if(tag == NULL)
			tag = f;
		else if(!same_transport(tag, f))
			continue;
		epc_sdp_out_bytes(&c->o, n ? " " : "a=group:BUNDLE ", n ? 1 : 15);
		epc_sdp_out_bytes(&c->o, map->m[j].mid, strlen(map->m[j].mid));
		n++;
	}
	if(n) {
		epc_sdp_out_new(&c->o, NOSPAN, NOSPAN, NOSPAN);
		c->st.added++;
	}
}

static void out_rejected_w2(ctx_t *c, const sdpu_map_line_t *ml)
{
	epc_sdp_out_t *o = &c->o;

	epc_sdp_out_bytes(o, "m=", 2);
	epc_sdp_out_bytes(o, ml->media, strlen(ml->media));
	epc_sdp_out_bytes(o, " 0 ", 3);
	epc_sdp_out_bytes(o, ml->proto, strlen(ml->proto));
	epc_sdp_out_new(o, LIT(" "), epc_span_cstr(ml->fmt), NOSPAN);
	if(c->sess_caddr.len == 0)
		epc_sdp_out_new(o, LIT("c=IN IP4 0.0.0.0"), NOSPAN, NOSPAN);
	if(ml->mid[0])
		out_attr_new(o, LIT("mid"), epc_span_cstr(ml->mid));
	c->st.added++;
	c->st.rejected++;
	c->st.media++;
}

static void out_accepted_w2(ctx_t *c, uint32_t i, const sdpu_map_line_t *ml)
{
	const epc_sdp_media_t *m = &c->in->media[i];
	const mfacts_t *f = &c->f[i];
	epc_span_t proto = f->ml.proto, name, val;
	uint32_t j;
	int cat;

	if(c->p->w2_proto && f->is_rtp && strstr(ml->proto, "RTP/") != NULL)
		proto = epc_span_cstr(ml->proto);
	if(!epc_span_eq(proto, f->ml.proto))
		out_mline(c, f, f->ml.port_n == 0, proto, 0);
	else
		epc_sdp_out_line(&c->o, &c->in->lines[m->first]);
	for(j = m->first + 1; j < m->end; j++) {
		const epc_sdp_line_t *l = &c->in->lines[j];
		cat = l->type == 'a' ? attr_cat(l, &name, &val) : CAT_OTHER;
		if(cat == CAT_BUNDLE_ONLY || (cat == CAT_MID && c->p->w2_mid)
				|| (cat == CAT_MUX && c->p->w2_mux)) {
			c->st.stripped++;
			continue;
		}
		epc_sdp_out_line(&c->o, l);
	}
	if(c->p->w2_mid && ml->mid[0])
		out_attr_new(&c->o, LIT("mid"), epc_span_cstr(ml->mid));
	if(ml->rtcp_mux && f->is_rtp && f->ml.port_n != 0
			&& (c->p->w2_mux || f->has_mux))
		out_attr_new(&c->o, LIT("rtcp-mux"), NOSPAN);
	c->st.media++;
	if(f->ml.port_n != 0)
		c->st.usable++;
	else
		c->st.rejected++;
}

static int w2_answer(ctx_t *c, const sdpu_map_t *map)
{
	const epc_sdp_t *in = c->in;
	epc_span_t name, val;
	uint32_t i, j, kept = 0;

	for(j = 0; j < map->n; j++)
		kept += !map->m[j].removed;
	if(kept != c->nm)
		return SDPU_E_MISMATCH;
	for(i = 0; i < in->sess_end; i++) {
		const epc_sdp_line_t *l = &in->lines[i];
		if(c->p->w2_bundle && l->type == 'a'
				&& attr_cat(l, &name, &val) == CAT_GROUP
				&& epc_span_eq(group_sem(val), LIT("BUNDLE"))) {
			c->st.stripped++;
			continue;
		}
		epc_sdp_out_line(&c->o, l);
	}
	if(c->p->w2_bundle)
		out_bundle_w2(c, map);
	for(i = 0, j = 0; j < map->n; j++) {
		if(map->m[j].removed)
			out_rejected_w2(c, &map->m[j]);
		else
			out_accepted_w2(c, i++, &map->m[j]);
	}
	return 0;
}

int sdpu_to_w2(const epc_sdp_t *in, const sdpu_policy_t *p, int is_offer,
		const sdpu_map_t *map, char *out, size_t outsz, size_t *outlen,
		sdpu_stats_t *st)
{
	ctx_t c;
	int rc;

	memset(&c.st, 0, sizeof(c.st));
	c.in = in;
	c.p = p;
	c.sess_caddr = EPC_SPAN_NULL;
	scan_session(&c);
	rc = scan_media(&c, 0);
	if(rc < 0)
		return rc;
	epc_sdp_out_init(&c.o, out, outsz, in->crlf);
	if(is_offer || map == NULL)
		rc = w2_offer(&c);
	else
		rc = w2_answer(&c, map);
	if(rc < 0)
		return rc;
	return finish(&c, out, outlen, st);
}

/* ---- map text: "1;" then per m-line "<flags>,<mid>,<media>,<proto>,<fmt>;" */

int sdpu_map_encode(const sdpu_map_t *map, char *buf, size_t size, size_t *len)
{
	epc_sdp_out_t o;
	uint32_t i;
	char fl;

	epc_sdp_out_init(&o, buf, size, 0);
	epc_sdp_out_bytes(&o, "1;", 2);
	for(i = 0; i < map->n && i < SDPU_MAX_MEDIA; i++) {
		const sdpu_map_line_t *m = &map->m[i];
		fl = (char)('0' + (m->removed ? 1 : 0) + (m->in_bundle ? 2 : 0)
					+ (m->rtcp_mux ? 4 : 0));
		epc_sdp_out_bytes(&o, &fl, 1);
		epc_sdp_out_bytes(&o, ",", 1);
		epc_sdp_out_bytes(&o, m->mid, strlen(m->mid));
		epc_sdp_out_bytes(&o, ",", 1);
		epc_sdp_out_bytes(&o, m->media, strlen(m->media));
		epc_sdp_out_bytes(&o, ",", 1);
		epc_sdp_out_bytes(&o, m->proto, strlen(m->proto));
		epc_sdp_out_bytes(&o, ",", 1);
		epc_sdp_out_bytes(&o, m->fmt, strlen(m->fmt));
		epc_sdp_out_bytes(&o, ";", 1);
	}
	if(epc_sdp_out_overflow(&o))
		return SDPU_E_TOOBIG;
	*len = o.len;
	return 0;
}

static int decode_field(epc_span_t *rest, char end, char *dst, int need)
{
	long k = epc_span_find_byte(*rest, end);
	epc_span_t f;

	if(k < 0)
		return SDPU_E_MAP;
	f.s = rest->s;
	f.len = (size_t)k;
	if(copy_id(dst, f) < 0 || (need && f.len == 0))
		return SDPU_E_MAP;
	rest->s += k + 1;
	rest->len -= (size_t)k + 1;
	return 0;
}

int sdpu_map_decode(epc_span_t text, sdpu_map_t *map)
{
	epc_span_t rest = text;
	char fl[SDPU_MAX_ID + 1];
	int v;

	memset(map, 0, sizeof(*map));
	if(!epc_span_has_prefix(rest, LIT("1;"), 0))
		return SDPU_E_MAP;
	rest.s += 2;
	rest.len -= 2;
	while(rest.len > 0) {
		sdpu_map_line_t *m;
		if(map->n >= SDPU_MAX_MEDIA)
			return SDPU_E_MAP;
		m = &map->m[map->n];
		if(decode_field(&rest, ',', fl, 1) < 0 || fl[1] != '\0' || fl[0] < '0'
				|| fl[0] > '7')
			return SDPU_E_MAP;
		v = fl[0] - '0';
		m->removed = v & 1;
		m->in_bundle = (v >> 1) & 1;
		m->rtcp_mux = (v >> 2) & 1;
		if(decode_field(&rest, ',', m->mid, 0) < 0
				|| decode_field(&rest, ',', m->media, 1) < 0
				|| decode_field(&rest, ',', m->proto, 1) < 0
				|| decode_field(&rest, ';', m->fmt, 1) < 0)
			return SDPU_E_MAP;
		map->n++;
	}
	return 0;
}

const char *sdpu_strerror(int code)
{
	switch(code) {
		case 0:
			return "ok";
		case SDPU_E_PARSE:
			return "malformed SDP";
		case SDPU_E_TOOBIG:
			return "result too large";
		case SDPU_E_LIMIT:
			return "too many m-lines, or a mid/proto/fmt too long or not a "
				   "token";
		case SDPU_E_MISMATCH:
			return "answer m-lines do not match the offer";
		case SDPU_E_FLAGS:
			return "unknown flag";
		case SDPU_E_MAP:
			return "malformed offer map";
		default:
			return "unknown error";
	}
}
