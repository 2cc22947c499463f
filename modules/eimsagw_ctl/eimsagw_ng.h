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

/**
 * rtpengine ng control protocol messages (pure C): flag profiles, request
 * building and reply parsing. Verified against rtpengine 10.5.3.5.
 *
 * A datagram is "<cookie> <bencoded dictionary>"; the reply carries the same
 * cookie. Flag profiles use the words operators know from Kamailio's
 * rtpengine module ("ICE=remove rtcp-mux-demux replace-origin ..."):
 *   key=value            dictionary entry (ICE=force, DTLS=passive,
 *                        transport-protocol=RTP/AVP, ...); list keys
 *                        (replace, rtcp-mux, SDES, T38, OSRTP, direction,
 *                        flags) collect every value into one list
 *   replace-X rtcp-mux-X SDES-X T38-X OSRTP-X   the same, as one word
 *   codec-OP-NAME / codec-OP=NAME  codec dictionary (strip, offer, except,
 *                        transcode, mask, set, consume, accept)
 *   RTP/AVP RTP/AVPF RTP/SAVP RTP/SAVPF UDP/TLS/RTP/SAVP(F)
 *                        transport-protocol=<that>
 *   internal external    direction list entries
 *   anything else        an entry of the "flags" list (strip-extmap,
 *                        generate-mid, trust-address, ...)
 *   rx-side=w2|mw        not sent: overrides the side a message came from
 * Keys the module sets itself (call-id, from-tag, to-tag, via-branch, sdp,
 * command) are refused in profiles.
 */

#ifndef EIMSAGW_NG_H
#define EIMSAGW_NG_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"
#include "eimsagw_bencode.h"

#define EIMSAGW_PROFILE_MAX 48 /* words in one flags string */
#define EIMSAGW_COOKIE_MAX 32

#define EIMSAGW_NG_OK 0
#define EIMSAGW_NG_E_FLAGS -20	  /* bad word in a flags string */
#define EIMSAGW_NG_E_TOOMANY -21  /* too many words */
#define EIMSAGW_NG_E_RESERVED -22 /* a key the module sets itself */
#define EIMSAGW_NG_E_SPACE -23	  /* request does not fit the buffer */
#define EIMSAGW_NG_E_ARG -24	  /* missing call-id/from-tag/sdp */
#define EIMSAGW_NG_E_COOKIE -25	  /* reply for another request */
#define EIMSAGW_NG_E_REPLY -26	  /* reply not bencode / no result */

typedef enum eimsagw_ngcmd
{
	EIMSAGW_NG_PING = 1,
	EIMSAGW_NG_OFFER,
	EIMSAGW_NG_ANSWER,
	EIMSAGW_NG_DELETE,
	EIMSAGW_NG_QUERY,
	EIMSAGW_NG_LIST
} eimsagw_ngcmd_t;

typedef enum eimsagw_ngkind
{
	EIMSAGW_NGI_FLAG = 1, /* entry of the "flags" list */
	EIMSAGW_NGI_KV,		  /* key: string value */
	EIMSAGW_NGI_INT,	  /* key: integer value */
	EIMSAGW_NGI_LIST,	  /* key: list, this is one value of it */
	EIMSAGW_NGI_CODEC	  /* codec dictionary: key = op, val = codec */
} eimsagw_ngkind_t;

typedef struct eimsagw_ngitem
{
	uint32_t kind;
	epc_span_t key;
	epc_span_t val;
	int64_t ival;
} eimsagw_ngitem_t;

/** Side a message was received from / an SDP goes to. */
#define EIMSAGW_SIDE_AUTO 0
#define EIMSAGW_SIDE_W2 1
#define EIMSAGW_SIDE_MW 2

/** A parsed flags string; spans borrow the string, which must outlive it. */
typedef struct eimsagw_profile
{
	eimsagw_ngitem_t items[EIMSAGW_PROFILE_MAX];
	uint32_t n;
	int rx_side; /* EIMSAGW_SIDE_* from "rx-side=", AUTO if absent */
} eimsagw_profile_t;

/**
 * Parse a flags string (see the file comment).
 * @param err out: the offending word on failure (may be NULL)
 * @return EIMSAGW_NG_OK or EIMSAGW_NG_E_*
 */
int eimsagw_profile_parse(
		epc_span_t flags, eimsagw_profile_t *out, epc_span_t *err);

typedef struct eimsagw_ngreq
{
	eimsagw_ngcmd_t cmd;
	epc_span_t call_id;
	epc_span_t from_tag;
	epc_span_t to_tag;	   /* empty: not sent */
	epc_span_t via_branch; /* empty: not sent */
	epc_span_t sdp;		   /* offer/answer only */
	epc_span_t rcv_addr;   /* "received-from" address; empty: not sent */
	int rcv_ipv6;
	const eimsagw_profile_t *profile; /* may be NULL */
	const eimsagw_profile_t *extra;	  /* per call, overrides; may be NULL */
	int delete_delay;				  /* delete: < 0 = AGW default */
} eimsagw_ngreq_t;

/**
 * Build "<cookie> <dict>" for a request. List keys of profile and extra
 * are merged into one list; a key=value in extra overrides the profile's.
 * @return EIMSAGW_NG_OK and *len, or EIMSAGW_NG_E_*
 */
int eimsagw_ng_build(const eimsagw_ngreq_t *r, epc_span_t cookie, char *out,
		size_t cap, size_t *len);

typedef enum eimsagw_ngresult
{
	EIMSAGW_NGR_OK = 1,
	EIMSAGW_NGR_PONG,
	EIMSAGW_NGR_ERROR,
	EIMSAGW_NGR_LOAD_LIMIT /* "load limit": try another AGW */
} eimsagw_ngresult_t;

typedef struct eimsagw_ngreply
{
	eimsagw_ngresult_t result;
	epc_span_t error_reason; /* result error / load limit message */
	epc_span_t warning;
	epc_span_t sdp;
	uint32_t root; /* node index of the reply dictionary (0) */
	/* 1 when error_reason says the AGW is out of resources (session limit,
	 * ports): a new call may go to another AGW */
	int overloaded;
} eimsagw_ngreply_t;

/**
 * Split a datagram into cookie and payload at the first space.
 * @return 0, or -1 without a cookie
 */
int eimsagw_ng_split(
		const char *buf, size_t len, epc_span_t *cookie, epc_span_t *payload);

/**
 * Parse a reply datagram whose cookie must equal cookie. nodes receive the
 * decoded tree (used by the query helpers below).
 * @return EIMSAGW_NG_OK, EIMSAGW_NG_E_COOKIE, EIMSAGW_NG_E_REPLY or an
 * EIMSAGW_BENC_E_* code
 */
int eimsagw_ng_parse_reply(const char *buf, size_t len, epc_span_t cookie,
		eimsagw_bnode_t *nodes, uint32_t cap, eimsagw_ngreply_t *out);

typedef struct eimsagw_ngtotals
{
	int64_t rtp_packets, rtp_bytes, rtp_errors;
	int64_t rtcp_packets, rtcp_bytes, rtcp_errors;
	int64_t created;	 /* call creation time (AGW clock), 0 if unknown */
	int64_t last_signal; /* last ng signalling time, 0 if unknown */
	uint32_t tags;		 /* monologues (SIP tags) in the call */
	uint32_t streams;	 /* packet streams with a local port */
} eimsagw_ngtotals_t;

/** Totals of a decoded "query" reply. @return 0, -1 if not a query reply */
int eimsagw_ng_query_totals(
		const eimsagw_bnode_t *nodes, eimsagw_ngtotals_t *out);

typedef struct eimsagw_ngstream
{
	epc_span_t tag;
	epc_span_t media_type; /* audio, video, ... */
	epc_span_t protocol;   /* RTP/AVP, UDP/TLS/RTP/SAVPF, ... */
	int64_t media_index;
	int64_t local_port; /* 0: no socket (released) */
	epc_span_t endpoint;
	int64_t endpoint_port;
	int rtcp; /* 1: RTCP stream */
	int64_t packets, bytes, errors;
	int64_t last_packet;
} eimsagw_ngstream_t;

/**
 * Every packet stream of a decoded "query" reply, in reply order.
 * @return number of streams found (may exceed max; only max are stored)
 */
uint32_t eimsagw_ng_query_streams(
		const eimsagw_bnode_t *nodes, eimsagw_ngstream_t *out, uint32_t max);

/** Name of a command as the ng protocol spells it. */
const char *eimsagw_ng_cmd_name(eimsagw_ngcmd_t cmd);

/** Short English text for an EIMSAGW_NG_E_* (or EIMSAGW_BENC_E_*) code. */
const char *eimsagw_ng_strerror(int rc);

/**
 * Copy text (an AGW error reason) into out for use in a SIP header value:
 * printable ASCII only, '"' and '\\' replaced, at most outsz - 1 bytes,
 * always NUL-terminated.
 * @return bytes written (without the NUL)
 */
size_t eimsagw_sanitize(epc_span_t text, char *out, size_t outsz);

#endif /* EIMSAGW_NG_H */
