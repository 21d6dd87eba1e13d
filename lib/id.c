/*
 * id.c: ids. UUIDs are v4 from getrandom(2); task ids follow Marathon's
 * "<app path without the leading '/', '/' as '_'>.<uuid>" form, so the app
 * id is recovered by splitting at the last '.' (Marathon app path segments
 * may contain '.' but never '_'). No globals; any thread.
 */
#include "id.h"

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

#define LOG_MOD "id"
#include "log.h"

#define ID_MAX_LEN 200

static void
id_random(uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom(p + got, n - got, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		got += (size_t)r;
	}
}

void
id_uuid(char out[ID_UUID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	size_t i, o = 0;

	id_random(b, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (i = 0; i < sizeof b; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
}

char *
id_task_new(const char *app_id)
{
	char uuid[ID_UUID_LEN];
	size_t i, n;
	char *s;

	while (*app_id == '/')
		app_id++;
	id_uuid(uuid);
	s = xasprintf("%s.%s", app_id, uuid);
	for (i = 0, n = strlen(app_id); i < n; i++)
		if (s[i] == '/')
			s[i] = '_';
	return s;
}

char *
id_task_app(const char *task_id)
{
	const char *dot = strrchr(task_id, '.');
	size_t n, i;
	char *s;

	if (dot == NULL || dot == task_id)
		return NULL;
	n = (size_t)(dot - task_id);
	s = xmalloc(n + 2);
	s[0] = '/';
	for (i = 0; i < n; i++)
		s[i + 1] = task_id[i] == '_' ? '/' : task_id[i];
	s[n + 1] = '\0';
	return s;
}

bool
id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= ID_MAX_LEN)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return n > 0;
}

uint64_t
id_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

bool
id_secret_equal(const char *expected, const char *got)
{
	size_t i, n = strlen(expected), m;
	unsigned char d = 0;

	if (got == NULL)
		return false;
	m = strlen(got);
	for (i = 0; i < n; i++)
		d |= (unsigned char)(expected[i] ^ (i < m ? got[i] : 0));
	return d == 0 && m == n;
}
