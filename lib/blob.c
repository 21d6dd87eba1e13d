/*
 * blob.c: immutable reference-counted bytes (see blob.h). The header and
 * the bytes are two allocations, so that a buffer built with lib/buf is
 * taken as it is, without a copy.
 */
#include "blob.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define BLOB_MAGIC 0x426c6f62u

struct blob {
	unsigned magic;
	unsigned long refs;
	char *data; /* owned */
	size_t len;
};

struct blob *
blob_new_take(char *data, size_t len)
{
	struct blob *b;

	CD_ALLOC_OBJ(b, BLOB_MAGIC);
	b->refs = 1;
	b->data = data;
	b->len = len;
	return b;
}

struct blob *
blob_new_copy(const void *data, size_t len)
{
	char *p = xmalloc(len + 1);

	if (len > 0)
		memcpy(p, data, len);
	p[len] = '\0';
	return blob_new_take(p, len);
}

struct blob *
blob_ref(struct blob *b)
{
	CD_CHECK_OBJ(b, BLOB_MAGIC);
	CD_ASSERT(b->refs > 0);
	b->refs++;
	return b;
}

void
blob_unref(struct blob *b)
{
	if (b == NULL)
		return;
	CD_CHECK_OBJ(b, BLOB_MAGIC);
	CD_ASSERT(b->refs > 0);
	if (--b->refs > 0)
		return;
	free(b->data);
	b->data = NULL;
	CD_FREE_OBJ(b);
}

const char *
blob_data(const struct blob *b)
{
	CD_CHECK_OBJ(b, BLOB_MAGIC);
	return b->data;
}

size_t
blob_len(const struct blob *b)
{
	CD_CHECK_OBJ(b, BLOB_MAGIC);
	return b->len;
}

unsigned long
blob_refs(const struct blob *b)
{
	CD_CHECK_OBJ(b, BLOB_MAGIC);
	return b->refs;
}
