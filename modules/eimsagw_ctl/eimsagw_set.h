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
 * The eIMS-AGW set (pure C): AGW address specs, health state (up/down
 * from command results and pings, administratively disabled) and the
 * choice of an AGW for a new call.
 *
 * Choice: weighted rendezvous hashing (highest random weight) over the
 * usable AGWs, keyed by Call-ID + from-tag. The same call always maps to
 * the same AGW while the set is unchanged (stickiness that holds across
 * processes and restarts, even before the session table knows the call);
 * when an AGW goes down only its calls move, each to the next-best AGW;
 * long-run shares follow the weights. AGWs of weight 0 are standby: used
 * only when no weighted AGW is usable.
 */

#ifndef EIMSAGW_SET_H
#define EIMSAGW_SET_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"

#define EIMSAGW_AGW_MAX 16
#define EIMSAGW_HOST_MAX 63
#define EIMSAGW_WEIGHT_MAX 1000

#define EIMSAGW_SET_E_SPEC -40 /* bad AGW address spec */
#define EIMSAGW_SET_E_FULL -41 /* more than EIMSAGW_AGW_MAX AGWs */

typedef struct eimsagw_agw_spec
{
	char host[EIMSAGW_HOST_MAX + 1]; /* NUL-terminated, without [] */
	uint16_t port;
	uint32_t weight;
	int disabled;
	int ipv6; /* host was a bracketed IPv6 literal */
} eimsagw_agw_spec_t;

/**
 * Parse "[udp:]HOST:PORT[;weight=N][;disabled]" (HOST may be "[v6addr]").
 * Weight 0..EIMSAGW_WEIGHT_MAX, default 1.
 * @return 0 or EIMSAGW_SET_E_SPEC
 */
int eimsagw_agw_spec_parse(epc_span_t spec, eimsagw_agw_spec_t *out);

typedef struct eimsagw_agw
{
	uint32_t weight;
	int up;		  /* health: answered its last command/ping */
	int disabled; /* administratively disabled (RPC or spec) */
	uint32_t fails;
	int64_t since;	   /* when up/down last changed */
	int64_t last_ping; /* when the last ping was sent */
	uint64_t seed;	   /* rendezvous hash seed (from the spec text) */
	/* counters for the RPC */
	uint64_t requests;
	uint64_t timeouts;
	uint64_t errors;
	uint64_t went_down;
	int64_t rtt_us;
	int64_t sessions; /* sessions anchored here, kept by the glue */
} eimsagw_agw_t;

typedef struct eimsagw_set
{
	eimsagw_agw_t agw[EIMSAGW_AGW_MAX];
	uint32_t n;
	uint32_t down_after; /* consecutive failures that mark an AGW down */
} eimsagw_set_t;

void eimsagw_set_init(eimsagw_set_t *s, uint32_t down_after);

/**
 * Add an AGW (initially up unless the spec says disabled).
 * @param text the spec text, seeds the AGW's hash
 * @return its index or EIMSAGW_SET_E_FULL
 */
int eimsagw_set_add(eimsagw_set_t *s, const eimsagw_agw_spec_t *spec,
		epc_span_t text, int64_t now);

/** 1 if AGW i may take new commands (up and not disabled). */
int eimsagw_set_usable(const eimsagw_set_t *s, uint32_t i);

/**
 * Choose an AGW for a new call.
 * @param key Call-ID and from-tag (any bytes identifying the call)
 * @param exclude bit i set: AGW i was already tried for this call
 * @return index, or -1 when no usable AGW is left
 */
int eimsagw_set_pick(const eimsagw_set_t *s, epc_span_t key, uint32_t exclude);

/** Hash of the key of a call (Call-ID + from-tag) for eimsagw_set_pick. */
uint64_t eimsagw_hash64(epc_span_t a, epc_span_t b);

#define EIMSAGW_SET_NOCHANGE 0
#define EIMSAGW_SET_WENT_UP 1
#define EIMSAGW_SET_WENT_DOWN 2

/**
 * Record the outcome of a command or ping to AGW i: ok = the AGW answered
 * (any result, even an error reply), !ok = no answer at all.
 * @param rtt_us round trip of an answered command (ignored when !ok)
 * @return EIMSAGW_SET_NOCHANGE, _WENT_UP or _WENT_DOWN
 */
int eimsagw_set_result(
		eimsagw_set_t *s, uint32_t i, int ok, int64_t rtt_us, int64_t now);

/**
 * 1 if AGW i should be pinged now (interval seconds since the last ping);
 * marks it pinged. Disabled AGWs are pinged too, so RPC shows their health.
 */
int eimsagw_set_ping_due(
		eimsagw_set_t *s, uint32_t i, int64_t now, int64_t interval);

/** Administratively enable (on = 1) or disable AGW i. */
void eimsagw_set_enable(eimsagw_set_t *s, uint32_t i, int on, int64_t now);

/** "up", "down" or "disabled" (disabled wins). */
const char *eimsagw_set_state_name(const eimsagw_set_t *s, uint32_t i);

#endif /* EIMSAGW_SET_H */
