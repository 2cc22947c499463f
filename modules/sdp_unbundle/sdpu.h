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
 * sdp_unbundle core: WebRTC SDP toward IMS (Mw) and back toward the browser
 * (W2), 3GPP TS 23.228 Annex U U.1.1 / U.1.3.3.
 *
 * Toward Mw: no BUNDLE, no RTP/RTCP mux, no ICE, no DTLS, no WebRTC-only
 * attributes, one port per stream, the IMS transport profile, tra-*
 * untouched; data channels and bundle-only streams that cannot get a port
 * are taken out of the offer (and answered with port 0 toward the browser).
 * Toward W2: rtcp-mux, the offer's mids, a BUNDLE group only over what the
 * answer really bundles, every m-line of the browser's offer in its order
 * (rejected ones with port 0, RFC 3264 sec 6).
 *
 * What the W2 answer needs to know about the browser's offer is a
 * sdpu_map_t, produced by sdpu_to_mw() on the offer and kept by the caller
 * (it has a compact text form for storage) until the answer comes back.
 *
 * Pure C: no allocation, output goes to a caller buffer.
 */

#ifndef SDPU_H
#define SDPU_H

#include <stddef.h>
#include <stdint.h>

#include "epc_sdp.h"
#include "epc_span.h"

#define SDPU_E_PARSE -1	   /**< input SDP malformed (see epc_sdp_err_t) */
#define SDPU_E_TOOBIG -2   /**< output does not fit the buffer */
#define SDPU_E_LIMIT -3	   /**< more m-lines or longer ids than a map holds */
#define SDPU_E_MISMATCH -4 /**< answer m-lines do not match the offer map */
#define SDPU_E_FLAGS -5	   /**< unknown flag or bad value */
#define SDPU_E_MAP -6	   /**< map text malformed */

#define SDPU_MAX_MEDIA 32
#define SDPU_MAX_ID 32 /**< longest mid / proto / fmt kept in a map */
#define SDPU_MAP_TEXT_MAX (8 + SDPU_MAX_MEDIA * (4 + 4 * (SDPU_MAX_ID + 1)))

/** What to do with a stream toward Mw that IMS cannot take as it is. */
#define SDPU_REJECT 0 /**< take it out of the offer, port 0 to the browser */
#define SDPU_PASS 1	  /**< leave it in */

/** a=rtcp toward Mw. */
#define SDPU_RTCP_AUTO 0  /**< drop unless RTCP is not on port+1 */
#define SDPU_RTCP_STRIP 1 /**< always drop */
#define SDPU_RTCP_KEEP 2  /**< keep (dummy 9 / 0.0.0.0 still dropped) */

/** Transport profile toward Mw for DTLS-SRTP m-lines. */
#define SDPU_PROTO_AVP 0  /**< RTP/AVP (default: what every IMS UE takes) */
#define SDPU_PROTO_AVPF 1 /**< RTP/AVPF (keeps rtcp-fb) */
#define SDPU_PROTO_KEEP 2 /**< unchanged (the AGW chose it) */

/** Offer/answer role of the SDP being transformed. */
#define SDPU_ROLE_AUTO 0
#define SDPU_ROLE_OFFER 1
#define SDPU_ROLE_ANSWER 2

typedef struct sdpu_policy
{
	/* toward Mw; the default is safe for VoLTE handsets */
	uint8_t proto;		   /**< SDPU_PROTO_* */
	uint8_t rtcp;		   /**< SDPU_RTCP_* */
	uint8_t data_channel;  /**< SDPU_REJECT / SDPU_PASS */
	uint8_t bundle_only;   /**< SDPU_REJECT / SDPU_PASS */
	uint8_t keep_mid;	   /**< a=mid (else only where a group needs it) */
	uint8_t keep_rtcp_mux; /**< a=rtcp-mux / rtcp-mux-only */
	uint8_t keep_rtcp_rsize;
	uint8_t keep_ssrc;	  /**< a=ssrc / ssrc-group */
	uint8_t keep_extmap;  /**< a=extmap / extmap-allow-mixed */
	uint8_t keep_msid;	  /**< a=msid / msid-semantic */
	uint8_t keep_ice;	  /**< ice-*, candidate, end-of-candidates */
	uint8_t keep_dtls;	  /**< fingerprint, setup, tls-id */
	uint8_t keep_fec;	  /**< red / ulpfec / flexfec / rtx payload types */
	uint8_t keep_rtcp_fb; /**< all rtcp-fb even on RTP/AVP */
	/* toward W2 */
	uint8_t w2_mux;	   /**< add a=rtcp-mux to accepted RTP m-lines */
	uint8_t w2_mid;	   /**< mids of the offer (answers) / generated (offers) */
	uint8_t w2_bundle; /**< BUNDLE group over what the answer bundles */
	uint8_t w2_proto;  /**< answer proto = the offer's proto */
	/* per call, for the glue */
	uint8_t role;	/**< SDPU_ROLE_* */
	uint8_t nosave; /**< do not save/replace the offer map */
} sdpu_policy_t;

/** Per m-line facts of a browser offer (see sdpu_map_t). */
typedef struct sdpu_map_line
{
	uint8_t removed;   /**< not sent to Mw: port 0 in the W2 answer */
	uint8_t in_bundle; /**< mid listed in the offer's BUNDLE group */
	uint8_t rtcp_mux;  /**< offer had a=rtcp-mux */
	char mid[SDPU_MAX_ID + 1];
	char media[SDPU_MAX_ID + 1];
	char proto[SDPU_MAX_ID + 1];
	char fmt[SDPU_MAX_ID + 1]; /**< first fmt, for a rejected m-line */
} sdpu_map_line_t;

typedef struct sdpu_map
{
	uint32_t n;
	sdpu_map_line_t m[SDPU_MAX_MEDIA];
} sdpu_map_t;

/** Counters of one transform (for logs and statistics). */
typedef struct sdpu_stats
{
	uint32_t changed;		  /**< output differs from input */
	uint32_t media;			  /**< m-lines in the output */
	uint32_t usable;		  /**< m-lines with a port in the output */
	uint32_t removed;		  /**< m-lines taken out (toward Mw) */
	uint32_t rejected;		  /**< m-lines set to / restored with port 0 */
	uint32_t bundle_rejected; /**< of those: bundle-only streams */
	uint32_t dc_rejected;	  /**< of those: data channels */
	uint32_t stripped;		  /**< attribute lines dropped */
	uint32_t added;			  /**< lines added */
} sdpu_stats_t;

/** The defaults (VoLTE-safe Mw profile, browser-safe W2). */
void sdpu_policy_default(sdpu_policy_t *p);

/**
 * Apply a flags string to p: comma or space separated words, e.g.
 * "keep-mid,rtcp=keep,proto=avpf,dc=pass,offer". See the module doc.
 * @param bad optional: offset of the offending word
 * @return 0 or SDPU_E_FLAGS
 */
int sdpu_policy_flags(sdpu_policy_t *p, epc_span_t flags, size_t *bad);

/**
 * Transform SDP leaving toward Mw.
 * @param in parsed input (borrowed)
 * @param is_offer 1 offer (m-lines may be taken out), 0 answer (never)
 * @param prev optional map of the previous offer in this dialog: a stream
 *        taken out then stays out (same decision for every re-offer)
 * @param map optional (offers): filled with the offer's facts
 * @param out,outsz output buffer; *outlen gets the length
 * @return 0 or SDPU_E_*
 */
int sdpu_to_mw(const epc_sdp_t *in, const sdpu_policy_t *p, int is_offer,
		const sdpu_map_t *prev, sdpu_map_t *map, char *out, size_t outsz,
		size_t *outlen, sdpu_stats_t *st);

/**
 * Transform SDP going to the browser.
 * @param is_offer 1 offer from IMS, 0 answer to the browser's offer
 * @param map the browser offer's map (answers); NULL: only rtcp-mux added
 * @return 0 or SDPU_E_* (SDPU_E_MISMATCH: the answer has not as many
 *         m-lines as were sent to Mw)
 */
int sdpu_to_w2(const epc_sdp_t *in, const sdpu_policy_t *p, int is_offer,
		const sdpu_map_t *map, char *out, size_t outsz, size_t *outlen,
		sdpu_stats_t *st);

/** Text form of a map (at most SDPU_MAP_TEXT_MAX bytes, no NUL). */
int sdpu_map_encode(const sdpu_map_t *map, char *buf, size_t size, size_t *len);

/** Parse the text form. @return 0 or SDPU_E_MAP */
int sdpu_map_decode(epc_span_t text, sdpu_map_t *map);

const char *sdpu_strerror(int code);

#endif /* SDPU_H */
