/*
 * sched_api_label.c: Marathon's label selector, the label= query of
 * GET /v2/apps ("k", "!k", "k==v", "k!=v", "k in (a, b)", "k notin
 * (a, b)", terms joined by commas, a backslash escaping any character).
 * Owns nothing. Design: the selector is walked in place, items split at
 * unescaped delimiters outside parentheses; only a key or value about to
 * be compared is copied out, unescaped. Pure: no I/O, no globals; any
 * thread.
 */
#include "scheduler/api/sched_api_label.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* s[0..n) with "\x" unescaped and outer spaces trimmed. Caller frees. */
static char *
label_unescape(const char *p, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t i, m = 0, last = 0;

	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			out[m++] = p[++i];
			last = m;
		} else {
			out[m++] = p[i];
			if (p[i] != ' ')
				last = m;
		}
	}
	out[last] = '\0';
	return out;
}

/* Length of the next item of p[0..n) up to an unescaped delim at
 * parenthesis depth 0. */
static size_t
label_item(const char *p, size_t n, char delim)
{
	size_t i;
	int depth = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		else if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && depth > 0)
			depth--;
		else if (p[i] == delim && depth == 0)
			break;
	}
	return i;
}

/* Whether v is in the set "(a, b, c)" at p[0..n). */
static bool
label_in(const char *p, size_t n, const char *v)
{
	size_t len;
	bool found = false;

	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n < 2 || p[0] != '(' || p[n - 1] != ')')
		return false;
	p++;
	n -= 2;
	while (!found) {
		char *item;

		len = label_item(p, n, ',');
		item = label_unescape(p, len);
		found = v != NULL && strcmp(item, v) == 0;
		free(item);
		if (len >= n)
			break;
		p += len + 1;
		n -= len + 1;
	}
	return found;
}

/*
 * One label selector term against labels: "k" (exists), "!k" (absent),
 * "k==v", "k!=v", "k in (a,b)", "k notin (a,b)"; "\" escapes a character.
 */
static bool
label_term(const json_t *labels, const char *t, size_t len)
{
	size_t i = 0, ks;
	bool neg = false, ok;
	const char *have;
	char *key, *v;

	while (i < len && t[i] == ' ')
		i++;
	if (i < len && t[i] == '!' && (i + 1 >= len || t[i + 1] != '=')) {
		neg = true;
		i++;
	}
	for (ks = i; i < len && strchr(" =!(", t[i]) == NULL; i++)
		if (t[i] == '\\' && i + 1 < len)
			i++;
	key = label_unescape(t + ks, i - ks);
	have = json_string_value(json_object_get(labels, key));
	free(key);
	while (i < len && t[i] == ' ')
		i++;
	if (i == len)
		return neg ? have == NULL : have != NULL;
	if (neg)
		return false;
	if (len - i >= 2 && (t[i] == '=' || t[i] == '!') && t[i + 1] == '=') {
		v = label_unescape(t + i + 2, len - i - 2);
		ok = have != NULL && (strcmp(have, v) == 0) == (t[i] == '=');
		free(v);
		return ok;
	}
	if (len - i > 2 && strncmp(t + i, "in", 2) == 0 &&
	    (t[i + 2] == ' ' || t[i + 2] == '('))
		return have != NULL && label_in(t + i + 2, len - i - 2, have);
	if (len - i > 5 && strncmp(t + i, "notin", 5) == 0 &&
	    (t[i + 5] == ' ' || t[i + 5] == '('))
		return have != NULL && !label_in(t + i + 5, len - i - 5, have);
	return false;
}

bool
sched_api_label_match(const json_t *labels, const char *sel)
{
	size_t n = strlen(sel);

	while (n > 0) {
		size_t len = label_item(sel, n, ',');

		if (!label_term(labels, sel, len))
			return false;
		if (len >= n)
			break;
		sel += len + 1;
		n -= len + 1;
	}
	return true;
}
