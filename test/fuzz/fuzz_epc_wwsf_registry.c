/*
 * libFuzzer target: lib/epc_wwsf_registry.c loading from a memory buffer
 * (libxml2 parse, schema validation, model building). A document either
 * fails with a message or loads into a registry whose every string is
 * NUL-terminated where its span says, and whose lookups agree with it.
 * No key files are read. Leaks are caught by LeakSanitizer.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "epc_wwsf_registry.h"

static epc_wwsf_schema_t *schema;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[EPC_WWSF_ERR_MAX];

	(void)argc;
	(void)argv;
	xmlInitParser();
	if(epc_wwsf_schema_new(&schema, err, sizeof(err)) != 0)
		abort();
	return 0;
}

static void span_ok(epc_span_t s)
{
	if(s.s == NULL || s.s[s.len] != '\0' || strlen(s.s) != s.len)
		abort();
}

static void check(const epc_wwsf_registry_t *r)
{
	size_t i, j, n = 0;

	for(i = 0; i < r->n_wwsf; i++) {
		const epc_wwsf_t *w = &r->wwsf[i];
		span_ok(w->id);
		span_ok(w->description);
		span_ok(w->issuer);
		span_ok(w->authz_server);
		if(epc_wwsf_registry_find(r, w->id) != w)
			abort();
		for(j = 0; j < w->n_origins; j++) {
			const epc_wwsf_origin_t *o = &w->origins[j];
			span_ok(o->text);
			/* an exact origin maps back to its own WWSF */
			if(!o->origin.wildcard
					&& epc_wwsf_registry_match_origin(r, &o->origin, NULL) != w)
				abort();
		}
		n += w->n_origins;
		for(j = 0; j < w->n_keys; j++) {
			span_ok(w->keys[j].kid);
			span_ok(w->keys[j].pem);
			if(epc_jws_alg_name(w->keys[j].alg) == NULL
					|| !(w->keys[j].alg & w->algs))
				abort();
			if(epc_wwsf_find_key(w, w->keys[j].kid) != &w->keys[j])
				abort();
		}
		for(j = 0; j < w->n_audiences; j++) {
			span_ok(w->audiences[j]);
			if(!epc_wwsf_has_audience(w, w->audiences[j]))
				abort();
		}
		for(j = 0; j < w->n_rules; j++) {
			span_ok(w->rules[j].value);
			/* a rule's own text, used as an identity: must not crash */
			(void)epc_wwsf_identity_allowed(
					w, w->rules[j].kind, w->rules[j].value);
		}
	}
	if(n != r->n_origins)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	epc_wwsf_load_opts_t o = {"fuzz.xml", NULL, NULL};
	epc_wwsf_registry_t *r = NULL;
	char err[EPC_WWSF_ERR_MAX];
	char *copy;
	int rc;

	if(size > 65536)
		return 0;
	o.schema = schema;
	copy = malloc(size ? size : 1);
	if(!copy)
		return 0;
	memcpy(copy, data, size);
	rc = epc_wwsf_registry_load_mem(
			copy, size, &o, &epc_alloc_libc, &r, err, sizeof(err));
	if(rc == 0) {
		check(r);
		epc_wwsf_registry_free(r, &epc_alloc_libc);
	} else if(r != NULL || strncmp(err, "fuzz.xml", 8) != 0) {
		abort();
	}
	free(copy);
	return 0;
}
