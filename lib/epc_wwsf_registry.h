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
 * The WWSF trust registry (3GPP TS 23.228 Annex U U.1.3.3): which WebRTC
 * Web Server Functions this eP-CSCF trusts, the Origins their WICs come
 * from, how their tokens are verified and which IMS identities they may
 * allocate. Shared by webrtc_origin (Origin check) and wwsf_token (token
 * verification, identity authorization).
 *
 * The registry is one XML file, validated against the schema shipped as
 * kamailio-cfg/schema/wwsf-registry.xsd (compiled in, see
 * epc_wwsf_schema_text()) and then checked for what XML Schema cannot say.
 * Loading builds an immutable object: every string and array of it lives in
 * memory from the caller's allocator (Kamailio shm in the module), no
 * pointer into the XML document is kept, and nothing in it changes until
 * epc_wwsf_registry_free(). Keys are kept as PEM text; turning them into
 * crypto objects is the token module's job.
 *
 * Errors come back as a message "<file>:<line>: <what>" in the caller's
 * buffer. The loader never logs and has no globals (libxml2 is used with
 * per-call contexts; it must have been initialised, which libxml2 does on
 * first use).
 */

#ifndef EPC_WWSF_REGISTRY_H
#define EPC_WWSF_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "epc_alloc.h"
#include "epc_origin.h"
#include "epc_span.h"

/* Limits (a file beyond them is refused with a message). */
#define EPC_WWSF_MAX_FILE (4u << 20)	  /**< registry file bytes */
#define EPC_WWSF_MAX_KEY_FILE (64u << 10) /**< one key file's bytes */
#define EPC_WWSF_MAX_WWSF 4096			  /**< WWSFs per registry */
#define EPC_WWSF_MAX_ORIGINS 256		  /**< origins per WWSF */
#define EPC_WWSF_MAX_KEYS 64			  /**< keys per WWSF */
#define EPC_WWSF_MAX_AUDIENCES 16		  /**< audiences per WWSF */
#define EPC_WWSF_MAX_RULES 256			  /**< identity rules per WWSF */
#define EPC_WWSF_ERR_MAX 512			  /**< useful error buffer size */
#define EPC_WWSF_ID_MAX 64				  /**< WWSF id length */

enum
{
	EPC_WWSF_OK = 0,
	EPC_WWSF_E_IO = -1,		 /**< cannot read the file */
	EPC_WWSF_E_TOOBIG = -2,	 /**< file or buffer above EPC_WWSF_MAX_FILE */
	EPC_WWSF_E_XML = -3,	 /**< not well-formed, or has a DOCTYPE */
	EPC_WWSF_E_SCHEMA = -4,	 /**< not valid per the schema */
	EPC_WWSF_E_INVALID = -5, /**< valid XML, wrong content (duplicate...) */
	EPC_WWSF_E_NOMEM = -6,
	EPC_WWSF_E_ARG = -7
};

/** JWS algorithms (RFC 7518 sec 3, RFC 8037), as bits of a set. There is no
 * bit for "none" or the HMAC algorithms: the registry cannot allow them. */
enum
{
	EPC_JWS_ES256 = 1u << 0,
	EPC_JWS_ES384 = 1u << 1,
	EPC_JWS_ES512 = 1u << 2,
	EPC_JWS_RS256 = 1u << 3,
	EPC_JWS_RS384 = 1u << 4,
	EPC_JWS_RS512 = 1u << 5,
	EPC_JWS_PS256 = 1u << 6,
	EPC_JWS_PS384 = 1u << 7,
	EPC_JWS_PS512 = 1u << 8,
	EPC_JWS_EDDSA = 1u << 9
};

/** Bit of a JWS "alg" name (exact, case-sensitive as RFC 7515), 0 if the
 * name is not one of the above. */
unsigned epc_jws_alg_from_name(epc_span_t name);

/** Name of one EPC_JWS_* bit, or NULL. */
const char *epc_jws_alg_name(unsigned alg);

/* All epc_span_t of the model point to NUL-terminated storage inside the
 * registry; empty spans have s == "" (never NULL). */

/** An allowed Origin (exact or "*." pattern). */
typedef struct epc_wwsf_origin
{
	epc_origin_t origin;
	epc_span_t text; /**< canonical serialisation */
	int insecure;	 /**< http: allowed with allow-insecure="true" */
	unsigned line;
} epc_wwsf_origin_t;

/** A token verification key: PEM text of a SubjectPublicKeyInfo. */
typedef struct epc_wwsf_key
{
	epc_span_t kid;
	unsigned alg;	 /**< exactly one EPC_JWS_* bit */
	epc_span_t pem;	 /**< "-----BEGIN PUBLIC KEY-----..." */
	epc_span_t file; /**< path it was read from; empty when inline */
	unsigned line;
} epc_wwsf_key_t;

typedef enum epc_wwsf_idkind
{
	EPC_WWSF_IMPU = 1,
	EPC_WWSF_IMPI = 2
} epc_wwsf_idkind_t;

typedef enum epc_wwsf_ruletype
{
	EPC_WWSF_RULE_DOMAIN = 1,	 /**< any user at this domain / realm */
	EPC_WWSF_RULE_PATTERN = 2,	 /**< '*' = any run of bytes but '@' */
	EPC_WWSF_RULE_TEL_PREFIX = 3 /**< tel:+<prefix><digits> (IMPU only) */
} epc_wwsf_ruletype_t;

/** One "may allocate" rule; value is lower-cased where matching is
 * case-insensitive (domains, and scheme and host parts of patterns). */
typedef struct epc_wwsf_idrule
{
	epc_wwsf_idkind_t kind;
	epc_wwsf_ruletype_t type;
	epc_span_t value;
	unsigned line;
} epc_wwsf_idrule_t;

/** One trusted WWSF. */
typedef struct epc_wwsf
{
	epc_span_t id;
	epc_span_t description;
	int enabled;			  /**< 0: its origins are refused */
	uint32_t max_connections; /**< 0 = no cap */
	const epc_wwsf_origin_t *origins;
	size_t n_origins;

	/* token verification (wwsf_token); has_token == 0: no <token> */
	int has_token;
	epc_span_t issuer;
	const epc_span_t *audiences;
	size_t n_audiences;
	unsigned algs;			 /**< allowed EPC_JWS_* bits */
	uint32_t max_lifetime;	 /**< seconds */
	epc_span_t authz_server; /**< URL for WWW-Authenticate (may be empty) */
	const epc_wwsf_key_t *keys;
	size_t n_keys;

	/* identities it may allocate; none listed = none allowed */
	const epc_wwsf_idrule_t *rules;
	size_t n_rules;

	unsigned line;
} epc_wwsf_t;

/** A loaded registry: immutable until freed. */
typedef struct epc_wwsf_registry
{
	const epc_wwsf_t *wwsf;
	size_t n_wwsf;
	size_t n_origins;  /**< over all WWSFs */
	size_t bytes;	   /**< memory taken from the allocator */
	epc_span_t source; /**< file name (or the name given for a buffer) */
	void *priv;		   /**< loader's bookkeeping; do not touch */
} epc_wwsf_registry_t;

/** The compiled-in XML Schema (text of wwsf-registry.xsd). */
const char *epc_wwsf_schema_text(size_t *len);

/** A compiled schema, reusable for many loads (opaque). */
typedef struct epc_wwsf_schema epc_wwsf_schema_t;

/** Compile the built-in schema. @return EPC_WWSF_OK or negative. */
int epc_wwsf_schema_new(epc_wwsf_schema_t **out, char *err, size_t errlen);
void epc_wwsf_schema_free(epc_wwsf_schema_t *s);

typedef struct epc_wwsf_load_opts
{
	/** name in messages and in registry->source; NULL: "<memory>" */
	const char *name;
	/** directory of relative <key file=...>; NULL: key files refused */
	const char *key_dir;
	/** precompiled schema, or NULL to compile one for this call */
	const epc_wwsf_schema_t *schema;
} epc_wwsf_load_opts_t;

/**
 * Load a registry from memory.
 * @param buf,len the XML document (not NUL-terminated)
 * @param a allocator of the result (all of it)
 * @param out on success the new registry (caller owns; free with
 *            epc_wwsf_registry_free() and the same allocator)
 * @param err,errlen on failure "<name>:<line>: <message>" (NUL-terminated)
 * @return EPC_WWSF_OK or a negative EPC_WWSF_E_* code
 */
int epc_wwsf_registry_load_mem(const char *buf, size_t len,
		const epc_wwsf_load_opts_t *opts, const epc_alloc_t *a,
		epc_wwsf_registry_t **out, char *err, size_t errlen);

/** Load a registry file; relative key files are read from its directory. */
int epc_wwsf_registry_load_file(const char *path,
		const epc_wwsf_schema_t *schema, const epc_alloc_t *a,
		epc_wwsf_registry_t **out, char *err, size_t errlen);

/** Free a registry (NULL is a no-op). */
void epc_wwsf_registry_free(epc_wwsf_registry_t *r, const epc_alloc_t *a);

/** The WWSF with this id, or NULL. */
const epc_wwsf_t *epc_wwsf_registry_find(
		const epc_wwsf_registry_t *r, epc_span_t id);

/**
 * The WWSF an origin belongs to, or NULL. The most specific entry wins: an
 * exact origin before any pattern, a longer "*." domain before a shorter
 * one. Disabled WWSFs are returned too (the caller decides).
 * @param which if not NULL, set to the matching entry
 */
const epc_wwsf_t *epc_wwsf_registry_match_origin(const epc_wwsf_registry_t *r,
		const epc_origin_t *o, const epc_wwsf_origin_t **which);

/** The key with this kid, or NULL. */
const epc_wwsf_key_t *epc_wwsf_find_key(const epc_wwsf_t *w, epc_span_t kid);

/** 1 if aud is one of the WWSF's audiences (exact), else 0. */
int epc_wwsf_has_audience(const epc_wwsf_t *w, epc_span_t aud);

/**
 * 1 if the WWSF may allocate this identity, else 0.
 * The caller normalises first: an IMPU as "sip:user@host",
 * "sips:user@host" or "tel:+digits" (no parameters, headers, port or visual
 * separators), an IMPI as "user@realm". Scheme, host and realm compare
 * case-insensitively, user parts exactly.
 */
int epc_wwsf_identity_allowed(
		const epc_wwsf_t *w, epc_wwsf_idkind_t kind, epc_span_t id);

/** Short English text for an EPC_WWSF_* code. */
const char *epc_wwsf_strerror(int rc);

#endif /* EPC_WWSF_REGISTRY_H */
