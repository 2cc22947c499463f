/*
 * libFuzzer target: the wwsf_token parsers on their own, selected by the
 * first input byte:
 *  'J' strict JSON object reader (members, strings, arrays, times),
 *  'I' identity normaliser and the registry's identity rules
 *      ("rule\nidentity"),
 *  'C' SIP credentials (Authorization values) parser and param stripper,
 *  'B' base64url decoder.
 * Invariants: spans stay inside the input, decoding never grows a string,
 * normalising is idempotent, a stripped param is gone.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "epc_wwsf_registry.h"
#include "wwsf_authz.h"
#include "wwsf_b64.h"
#include "wwsf_ident.h"
#include "wwsf_json.h"
#include "wwsf_token.h"

static int inside(epc_span_t s, epc_span_t in)
{
	return s.len == 0 || (s.s >= in.s && s.s + s.len <= in.s + in.len);
}

static void fuzz_json(epc_span_t in)
{
	static wwsf_json_obj_t o;
	static char dec[65536];
	wwsf_json_iter_t it;
	wwsf_json_val_t e;
	size_t i, n;
	int64_t t;

	if(wwsf_json_parse_object(in, &o) < 0)
		return;
	for(i = 0; i < o.n; i++) {
		const wwsf_json_member_t *m = &o.m[i];

		if(!inside(m->name.raw, in) || !inside(m->val.raw, in))
			abort();
		if(wwsf_json_str_decode(&m->name, dec, m->name.raw.len, &n) < 0)
			abort(); /* decoding never grows */
		if(!wwsf_json_str_eq(&m->name, (epc_span_t){dec, n}))
			abort();
		if(wwsf_json_get(&o, (epc_span_t){dec, n}) != &m->val)
			abort(); /* names are unique */
		if(m->val.type == WWSF_JSON_ARRAY
				&& wwsf_json_iter_init(&it, &m->val) == 0) {
			while(wwsf_json_iter_next(&it, &e) == 1) {
				if(!inside(e.raw, m->val.raw))
					abort();
			}
		}
		if(wwsf_json_to_time(&m->val, &t) == 0 && t < 0)
			abort();
	}
}

static void fuzz_ident(epc_span_t in)
{
	char n1[WWSF_IDENT_MAX], n2[WWSF_IDENT_MAX];
	size_t l1, l2;
	epc_span_t pat, id;
	epc_wwsf_idrule_t r;
	epc_wwsf_t w;

	epc_span_split(in, '\n', &pat, &id);
	if(wwsf_ident_norm(id, n1, sizeof(n1), &l1) == 0) {
		if(wwsf_ident_norm((epc_span_t){n1, l1}, n2, sizeof(n2), &l2) < 0
				|| l1 != l2 || memcmp(n1, n2, l1) != 0)
			abort();
		if(!wwsf_quotable((epc_span_t){n1, l1}))
			abort();
		(void)wwsf_ident_impi_from_impu(
				(epc_span_t){n1, l1}, n2, sizeof(n2), &l2);
		/* the registry's matcher on what the normaliser makes */
		memset(&w, 0, sizeof(w));
		r.kind = wwsf_ident_is_uri((epc_span_t){n1, l1}) ? EPC_WWSF_IMPU
														 : EPC_WWSF_IMPI;
		r.type = pat.len && pat.s[0] == '+'			 ? EPC_WWSF_RULE_TEL_PREFIX
				 : epc_span_find_byte(pat, '@') >= 0 ? EPC_WWSF_RULE_PATTERN
													 : EPC_WWSF_RULE_DOMAIN;
		r.value = pat;
		r.line = 1;
		w.rules = &r;
		w.n_rules = 1;
		(void)epc_wwsf_identity_allowed(&w, r.kind, (epc_span_t){n1, l1});
	}
}

static void fuzz_cred(epc_span_t in)
{
	static char out[8192];
	wwsf_cred_t c;
	size_t n;
	int rc;

	if(wwsf_cred_parse(in, &c) == 0) {
		if(!inside(c.token, in) || !inside(c.username, in))
			abort();
		if(c.scheme == WWSF_CRED_BEARER && c.token.len == 0)
			abort();
	}
	rc = wwsf_cred_strip_param(
			in, EPC_SPAN_LIT("integrity-protected"), out, sizeof(out), &n);
	if(rc >= 0) {
		if(wwsf_cred_parse((epc_span_t){out, n}, &c) == 0 && c.has_integrity)
			abort(); /* stripped means gone */
	}
	/* a Contact body: within a limit means within any larger one */
	if(wwsf_contact_expires_within(in, 600)
			&& !wwsf_contact_expires_within(in, UINT32_MAX))
		abort();
}

static void fuzz_b64(epc_span_t in)
{
	static unsigned char out[8192];
	size_t n;

	if(wwsf_b64url_decode(in, out, sizeof(out), &n) == 0
			&& n > WWSF_B64_DECODED_MAX(in.len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	epc_span_t in;

	if(size < 1 || size > 8192)
		return 0;
	/* exact-size heap copy: ASan catches any read past the end */
	copy = malloc(size - 1 ? size - 1 : 1);
	if(!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	in = (epc_span_t){copy, size - 1};
	switch(data[0]) {
		case 'J':
			fuzz_json(in);
			break;
		case 'I':
			fuzz_ident(in);
			break;
		case 'C':
			fuzz_cred(in);
			break;
		case 'B':
			fuzz_b64(in);
			break;
		default:
			break;
	}
	free(copy);
	return 0;
}
