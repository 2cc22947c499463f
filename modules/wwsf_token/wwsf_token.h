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
 * The WWSF security token: a JWT in JWS compact serialisation (RFC 7515,
 * RFC 7519) verified per RFC 8725 against the policy of the WWSF that
 * issued it, and the IMS identities it authorises (3GPP TS 23.228 U.2.1.3,
 * TS 24.371 sec 6, TS 33.203 Annex X).
 *
 * Steps, each testable on its own:
 *  1. wwsf_token_parse(): size, three base64url parts, JOSE header and
 *     claims as strict JSON, types of the claims used. Nothing is trusted.
 *  2. the caller finds the WWSF whose issuer is the token's "iss"
 *     (wwsf_token_iss_is()); the iss only selects the keys (RFC 8725 3.8).
 *  3. wwsf_token_verify(): alg allowed for that WWSF, key by kid, signature,
 *     then iss / aud / exp / nbf / iat / lifetime.
 *  4. wwsf_token_identities(): the IMPI and IMPUs the token names,
 *     normalised, each inside what the WWSF may allocate.
 *  5. wwsf_ids_check_request(): the identities of the request are those.
 *
 * Nothing here allocates: a wwsf_token_t holds the decoded parts (about
 * 13 KB; keep one per process or thread) and borrows the token text.
 */

#ifndef WWSF_TOKEN_H
#define WWSF_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"
#include "epc_wwsf_registry.h"
#include "wwsf_ident.h"
#include "wwsf_json.h"
#include "wwsf_key.h"

/** Largest token accepted (bytes of the compact serialisation). */
#define WWSF_TOKEN_MAX 8192
#define WWSF_HDR_MAX 1024
#define WWSF_PAYLOAD_MAX (WWSF_TOKEN_MAX / 4 * 3)
#define WWSF_SIG_MAX 512
/** Longest jti (as encoded in the claims). */
#define WWSF_JTI_MAX 256
/** IMPUs a token may name. */
#define WWSF_IMPU_MAX 8

/** Detailed errors (logs); wwsf_result_of() groups them. */
enum wwsf_err
{
	WWSF_OK = 0,
	WWSF_E_NOTOKEN = -1,		/* no Bearer credentials */
	WWSF_E_CREDENTIALS = -2,	/* Authorization syntax, several Bearer */
	WWSF_E_SIZE = -3,			/* token larger than allowed */
	WWSF_E_FORMAT = -4,			/* not header.payload.signature base64url */
	WWSF_E_JSON = -5,			/* header or claims not a strict JSON object */
	WWSF_E_HEADER = -6,			/* no alg, crit, unaccepted typ, bad kid */
	WWSF_E_CLAIM = -7,			/* claim missing, of the wrong type, invalid */
	WWSF_E_ALG = -8,			/* alg unknown, forbidden, not allowed */
	WWSF_E_KID = -9,			/* no key of the WWSF for this kid and alg */
	WWSF_E_SIGNATURE = -10,		/* signature does not verify */
	WWSF_E_EXPIRED = -11,		/* exp passed (beyond the leeway) */
	WWSF_E_NOT_YET_VALID = -12, /* nbf or iat in the future */
	WWSF_E_LIFETIME = -13,		/* longer than the WWSF's maximum */
	WWSF_E_ISSUER = -14,		/* iss of no trusted WWSF */
	WWSF_E_AUDIENCE = -15,		/* aud does not name this eP-CSCF */
	WWSF_E_IDENTITY = -16,		/* request identity not named by the token */
	WWSF_E_NOT_ALLOWED = -17,	/* identity outside the WWSF's allocation */
	WWSF_E_WWSF = -18,			/* token of another WWSF than the connection */
	WWSF_E_REPLAY = -19,		/* jti already used on another connection */
	WWSF_E_INTERNAL = -20		/* out of memory, crypto library failure */
};

/** Results (statistics, script return codes = -result). */
enum wwsf_result
{
	WWSF_R_OK = 0,
	WWSF_R_NO_TOKEN,
	WWSF_R_MALFORMED,
	WWSF_R_SIGNATURE,
	WWSF_R_EXPIRED,
	WWSF_R_ISSUER,
	WWSF_R_NOT_ALLOWED,
	WWSF_R_IDENTITY,
	WWSF_R_WWSF,
	WWSF_R_REPLAY,
	WWSF_R_INTERNAL,
	WWSF_R_COUNT
};

/** The SIP answer to a failed verification. */
typedef struct wwsf_answer
{
	int status;			/* 400, 401, 403, 500 */
	const char *reason; /* reason phrase */
	const char *error;	/* RFC 6750 error for the Bearer challenge, or "" */
	int challenge;		/* 1: add WWW-Authenticate: Bearer */
} wwsf_answer_t;

/** Verification options (module-wide). */
typedef struct wwsf_opts
{
	int64_t leeway;		   /* seconds of clock skew for exp/nbf/iat */
	size_t max_token;	   /* <= WWSF_TOKEN_MAX */
	epc_span_t impi_claim; /* default "sub" */
	epc_span_t impu_claim; /* default "impu" */
	int require_jti;	   /* default 1 */
	int impi_from_impu;	   /* no IMPI claim: derive it (default 1) */
} wwsf_opts_t;

/**
 * What one WWSF is trusted for: its registry entry (issuer, audiences,
 * allowed algorithms, maximum lifetime, identities it may allocate; see
 * lib/epc_wwsf_registry.h) and its keys parsed for verification. Borrowed.
 */
typedef struct wwsf_policy
{
	const epc_wwsf_t *w;
	wwsf_key_t *keys; /* each bound to one alg */
	size_t nkeys;
} wwsf_policy_t;

/** A parsed token; spans borrow the token text passed to parse. */
typedef struct wwsf_token
{
	epc_span_t raw;
	epc_span_t signing_input; /* header "." payload, as received */
	int alg;
	const wwsf_json_val_t *kid, *iss, *aud, *jti, *impi, *impu;
	int64_t exp, nbf, iat;
	int has_nbf, has_iat;
	size_t siglen, hlen, plen;
	wwsf_json_obj_t hdr;
	wwsf_json_obj_t claims;
	unsigned char sig[WWSF_SIG_MAX];
	char hbuf[WWSF_HDR_MAX];
	char pbuf[WWSF_PAYLOAD_MAX];
} wwsf_token_t;

/** The identities a verified token authorises, normalised. */
typedef struct wwsf_ids
{
	size_t impi_len;
	char impi[WWSF_IDENT_MAX];
	size_t nimpu;
	size_t impu_len[WWSF_IMPU_MAX];
	char impu[WWSF_IMPU_MAX][WWSF_IDENT_MAX];
} wwsf_ids_t;

/** The identities a request uses (raw URIs / IMPI as received). */
typedef struct wwsf_idreq
{
	size_t nimpu;
	epc_span_t impu[4]; /* REGISTER: To and From; others: From, P-Preferred */
	epc_span_t impi;	/* Digest username (unquoted), empty if none */
} wwsf_idreq_t;

/**
 * Parse every key of registry entry w for verification (each bound to its
 * alg, selected by kid). All or nothing: on failure nothing stays loaded
 * and err names the key and the reason.
 * @param keys array of at least w->n_keys (EPC_WWSF_MAX_KEYS) entries
 * @return 0 and *n, or a negative wwsf_key_err
 */
int wwsf_policy_load_keys(const epc_wwsf_t *w, wwsf_key_t *keys, size_t cap,
		size_t *n, char *err, size_t errlen);

/** Free n keys loaded by wwsf_policy_load_keys(). */
void wwsf_policy_free_keys(wwsf_key_t *keys, size_t n);

/** Short text of a wwsf_key_err. */
const char *wwsf_key_strerror(int rc);

/** Defaults: leeway 60 s, 8192 bytes, "sub", "impu", jti required. */
void wwsf_opts_default(wwsf_opts_t *o);

/** Step 1. @return WWSF_OK or WWSF_E_SIZE/FORMAT/JSON/HEADER/CLAIM/ALG. */
int wwsf_token_parse(wwsf_token_t *t, epc_span_t token, const wwsf_opts_t *o);

/** 1 if the token's iss is issuer. */
int wwsf_token_iss_is(const wwsf_token_t *t, epc_span_t issuer);

/**
 * Step 3, with now in seconds since the epoch.
 * @return WWSF_OK or WWSF_E_ALG/KID/SIGNATURE/ISSUER/AUDIENCE/EXPIRED/
 *         NOT_YET_VALID/LIFETIME.
 */
int wwsf_token_verify(wwsf_token_t *t, const wwsf_policy_t *p,
		const wwsf_opts_t *o, int64_t now);

/** Step 4. @return WWSF_OK, WWSF_E_CLAIM or WWSF_E_NOT_ALLOWED. */
int wwsf_token_identities(const wwsf_token_t *t, const wwsf_policy_t *p,
		const wwsf_opts_t *o, wwsf_ids_t *ids);

/**
 * Step 5: every IMPU of the request must be one of ids' IMPUs, the IMPI
 * (if the request has one) must be ids' IMPI.
 * @return WWSF_OK or WWSF_E_IDENTITY.
 */
int wwsf_ids_check_request(const wwsf_ids_t *ids, const wwsf_idreq_t *req);

/** 1 if normalised identity norm is one of ids' IMPUs. */
int wwsf_ids_has_impu(const wwsf_ids_t *ids, epc_span_t norm);

/**
 * Seconds a registration may last with this (verified) token: exp - now,
 * at least 1 (a refresh must never turn into a de-registration).
 */
uint32_t wwsf_token_remaining(const wwsf_token_t *t, int64_t now);

/** The same for an exp value: max(1, exp - now). */
uint32_t wwsf_remaining(int64_t exp, int64_t now);

/** Expires to forward: requested, capped to the token's remaining life. */
uint32_t wwsf_expires_cap(uint32_t requested, uint32_t remaining);

/** Result group of an error code. */
int wwsf_result_of(int err);

/**
 * Quick look at the body of a Contact header before parsing it: 1 if it
 * certainly has no expires parameter above limit (every "expires" in it,
 * any case, is followed by SWS "=" SWS and a number <= limit, or by no
 * "="), 0 if it may have one (the caller then parses the header). Never
 * says 1 wrongly; may say 0 for text that only looks like a parameter.
 */
int wwsf_contact_expires_within(epc_span_t body, uint32_t limit);

/** Short text of an error code (for logs). */
const char *wwsf_strerror(int err);

/** Statistic name of a result ("ok", "no_token", "malformed"...). */
const char *wwsf_result_name(int result);

/** The SIP answer for an error code (never for WWSF_OK). */
wwsf_answer_t wwsf_answer(int err);

/**
 * The whole chain for one issuer list: parse, pick the policy by iss,
 * verify, identities. *policy gets the issuer's policy (or NULL).
 * Used by the fuzzer, the benchmark and simple callers.
 */
int wwsf_token_check(wwsf_token_t *t, epc_span_t token,
		const wwsf_policy_t *policies, size_t npolicies, const wwsf_opts_t *o,
		int64_t now, wwsf_ids_t *ids, const wwsf_policy_t **policy);

#endif /* WWSF_TOKEN_H */
