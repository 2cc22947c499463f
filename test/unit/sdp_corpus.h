/*
 * Helpers for tests over the SDP corpus (test/sdp/): list and read files.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef EPC_TEST_SDP_CORPUS_H
#define EPC_TEST_SDP_CORPUS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EPC_TOP
#define EPC_TOP "../.."
#endif
#define SDP_CORPUS EPC_TOP "/test/sdp"

/* Whole file into a malloc'd buffer of exactly its size (ASan sees any
 * read past the end); NULL if missing. */
static inline char *corpus_read(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	long n;
	char *b;

	snprintf(path, sizeof(path), "%s/%s", SDP_CORPUS, rel);
	f = fopen(path, "rb");
	if(!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc(n > 0 ? (size_t)n : 1);
	if(b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Calls fn(rel_path, ctx) for every *.sdp file in the corpus; returns the
 * number of files. */
static inline int corpus_each(void (*fn)(const char *rel, void *ctx), void *ctx)
{
	static const char *dirs[] = {"chromium", "firefox", "ims"};
	char dpath[1024], rel[512];
	struct dirent *e;
	size_t i, l;
	int n = 0;
	DIR *d;

	for(i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(dpath, sizeof(dpath), "%s/%s", SDP_CORPUS, dirs[i]);
		d = opendir(dpath);
		if(!d)
			continue;
		while((e = readdir(d)) != NULL) {
			l = strlen(e->d_name);
			if(l < 5 || strcmp(e->d_name + l - 4, ".sdp") != 0)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[i], e->d_name);
			fn(rel, ctx);
			n++;
		}
		closedir(d);
	}
	return n;
}

#endif
