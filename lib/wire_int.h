/*
 * wire_int.h: what wire.c (the messages) and wire_field.c (the typed
 * getters and the field-table engine they are written with) share. Only
 * those two files include it (STYLE B3). Pure, any thread.
 *
 * Every decoder below reports the JSON path of a bad field, base/key, in
 * err->path, and returns 0 or -EINVAL; err may be NULL.
 */
#ifndef CLUSTERD_LIB_WIRE_INT_H
#define CLUSTERD_LIB_WIRE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "compat.h"
#include "err.h"

struct resources;

enum wire_field_flags {
	W_REQ = 1 << 0,	  /* must be present */
	W_ID = 1 << 1,	  /* must pass id_valid() (implies non-empty) */
	W_TOKEN = 1 << 2, /* non-empty, <= 255 bytes, no spaces or controls */
	W_EMPTY = 1 << 3, /* absent -> "" (or {} / []) rather than NULL */
};

enum wire_field_kind {
	W_STRMAP, /* object of string -> string */
	W_STRARR, /* array of strings */
	W_IDARR,  /* array of valid ids */
	W_OBJECT, /* any object */
	W_ARRAY,  /* any array */
};

enum wire_field_type {
	W_T_STR,  /* char * */
	W_T_JSON, /* json_t *, checked against kind */
	W_T_I32,  /* int in [min, max] */
	W_T_I64,  /* long long in [min, max] */
	W_T_BOOL, /* int 0/1 as a JSON boolean; absent is 0 */
};

/* One plain member of a message struct: its JSON key and how to check it. */
struct wire_field {
	const char *key;
	size_t off; /* offsetof the member */
	enum wire_field_type type;
	unsigned flags;		   /* enum wire_field_flags */
	enum wire_field_kind kind; /* W_T_JSON */
	long long min, max;	   /* W_T_I32, W_T_I64 */
};

#define W_S(t, f, fl)                                                          \
	{                                                                      \
#f, offsetof(struct t, f), W_T_STR, (fl), 0, 0, 0              \
	}
#define W_J(t, f, k, fl)                                                       \
	{                                                                      \
#f, offsetof(struct t, f), W_T_JSON, (fl), (k), 0, 0           \
	}
#define W_I(t, f, fl, lo, hi)                                                  \
	{                                                                      \
#f, offsetof(struct t, f), W_T_I32, (fl), 0, (lo), (hi)        \
	}
#define W_L(t, f, fl, lo, hi)                                                  \
	{                                                                      \
#f, offsetof(struct t, f), W_T_I64, (fl), 0, (lo), (hi)        \
	}
#define W_B(t, f)                                                              \
	{                                                                      \
#f, offsetof(struct t, f), W_T_BOOL, 0, 0, 0, 0                \
	}
#define W_NF(t) CD_NELEM(t)

/* "base/key" into out, cut at CD_ERR_PATH_LEN. */
void wire_field_path(char out[CD_ERR_PATH_LEN], const char *base,
		     const char *key);
/* Set err (-EINVAL, path base/key) from fmt; returns -EINVAL. */
int CD_PRINTF(4, 5) wire_field_fail(struct cd_err *err, const char *base,
				    const char *key, const char *fmt, ...);
/* Non-empty, at most 255 bytes, no spaces or control characters. */
bool wire_field_token_ok(const char *s);
/* o[key] as a string, checked against flags (enum wire_field_flags);
 * *out owned by the caller (NULL when absent and optional). */
int wire_field_str(const json_t *o, const char *base, const char *key,
		   unsigned flags, char **out, struct cd_err *err);
/* o[key] (or o[alias]) as a resource vector. */
int wire_field_res(const json_t *o, const char *base, const char *key,
		   const char *alias, struct resources *out,
		   struct cd_err *err);
/* j is an object. */
int wire_field_object(const json_t *j, const char *base, struct cd_err *err);
/* Top-level messages: an object with "protocol": WIRE_PROTOCOL. */
int wire_field_top(const json_t *j, struct cd_err *err);
/* Nested object o[key]; returns it borrowed, or NULL with err set. */
const json_t *wire_field_child(const json_t *o, const char *base,
			       const char *key, struct cd_err *err);
/* A new top-level object carrying "protocol". */
json_t *wire_field_new_top(void);

/*
 * The n fields f of the struct at m: decode from j (on failure m holds
 * what was filled; the caller frees it with wire_field_free()), encode
 * into o, free the owned members, or replace the owned members of a
 * bitwise copy with copies of their own.
 */
int wire_field_dec(const json_t *j, const char *base,
		   const struct wire_field *f, size_t n, void *m,
		   struct cd_err *err);
void wire_field_enc(json_t *o, const struct wire_field *f, size_t n,
		    const void *m);
void wire_field_free(const struct wire_field *f, size_t n, void *m);
void wire_field_copy(const struct wire_field *f, size_t n, void *dst);
/* As wire_field_copy, but JSON members take a reference, not a copy. */
void wire_field_share(const struct wire_field *f, size_t n, void *dst);
/* A top-level message made only of table fields: encode (new reference),
 * or decode into m (size bytes, zeroed first; released on failure). */
json_t *wire_field_msg_enc(const struct wire_field *f, size_t n, const void *m);
int wire_field_msg_dec(const json_t *j, const struct wire_field *f, size_t n,
		       void *m, size_t size, struct cd_err *err);

#endif
