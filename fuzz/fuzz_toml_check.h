/*
 * Just enough TOML to read back what codex_exec_argv and toml_value write: one value
 * (string, integer, float, boolean, array or inline table) parsed into jansson, so the
 * fuzzer can check that every override is TOML and says what the JSON said.
 */
#ifndef CODEX_MCP_FUZZ_TOML_CHECK_H
#define CODEX_MCP_FUZZ_TOML_CHECK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_util.h"

struct tbuf {
	char *data;
	size_t len, cap;
};

static void tbuf_put(struct tbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		FUZZ_CHECK(b->data, "out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void tbuf_put_utf8(struct tbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	tbuf_put(b, u, n);
}

static const char *toml_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A basic string at p (on its opening quote); NULL when it is not one. */
static const char *toml_string(const char *p, struct tbuf *b)
{
	if (*p++ != '"')
		return NULL;
	b->len = 0;
	tbuf_put(b, "", 0);
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f)
			return NULL; /* control characters must be escaped */
		if (c != '\\') {
			tbuf_put(b, p++, 1);
			continue;
		}
		p++;
		switch (*p) {
		case 'b':
			tbuf_put(b, "\b", 1);
			break;
		case 't':
			tbuf_put(b, "\t", 1);
			break;
		case 'n':
			tbuf_put(b, "\n", 1);
			break;
		case 'f':
			tbuf_put(b, "\f", 1);
			break;
		case 'r':
			tbuf_put(b, "\r", 1);
			break;
		case '"':
			tbuf_put(b, "\"", 1);
			break;
		case '\\':
			tbuf_put(b, "\\", 1);
			break;
		case 'u':
		case 'U': {
			int digits = *p == 'u' ? 4 : 8;
			uint32_t cp = 0;
			for (int i = 1; i <= digits; i++) {
				int h = hexval(p[i]);
				if (h < 0)
					return NULL;
				cp = cp * 16 + (uint32_t)h;
			}
			if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
				return NULL;
			tbuf_put_utf8(b, cp);
			p += digits;
			break;
		}
		default:
			return NULL;
		}
		p++;
	}
	/* A TOML document is UTF-8. */
	if (!fuzz_utf8_valid(b->data, b->len))
		return NULL;
	return p + 1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *toml_number(const char *p, json_t **out)
{
	const char *start = p, *q;
	bool is_float = false;

	if (*p == '+' || *p == '-')
		p++;
	if (!is_digit(*p))
		return NULL;
	if (*p == '0' && is_digit(p[1]))
		return NULL; /* no leading zeros */
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return NULL;
		while (is_digit(*p))
			p++;
		is_float = true;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return NULL;
		while (is_digit(*p))
			p++;
		is_float = true;
	}
	char *text = strndup(start, (size_t)(p - start));
	FUZZ_CHECK(text, "out of memory");
	char *end;
	errno = 0;
	if (is_float) {
		double d = strtod(text, &end);
		*out = json_real(d);
	} else {
		long long v = strtoll(text, &end, 10);
		q = errno == ERANGE ? NULL : p;
		if (!q) {
			free(text);
			return NULL; /* TOML integers are 64-bit */
		}
		*out = json_integer(v);
	}
	FUZZ_CHECK(*end == '\0', "number \"%s\" not read whole", text);
	free(text);
	return p;
}

static bool is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
	       c == '-';
}

/* One value at p; returns the end, or NULL when p holds no TOML value. *out is new. */
static const char *toml_value_parse(const char *p, json_t **out, int depth)
{
	struct tbuf b = {0};
	const char *end = NULL;

	*out = NULL;
	if (depth > 2048)
		return NULL;
	if (*p == '"') {
		end = toml_string(p, &b);
		if (end)
			*out = json_stringn(b.data, b.len);
	} else if (strncmp(p, "true", 4) == 0) {
		*out = json_true();
		end = p + 4;
	} else if (strncmp(p, "false", 5) == 0) {
		*out = json_false();
		end = p + 5;
	} else if (*p == '[') {
		json_t *arr = json_array();
		p = toml_ws(p + 1);
		while (*p != ']') {
			json_t *item;
			p = toml_value_parse(p, &item, depth + 1);
			if (!p)
				break;
			json_array_append_new(arr, item);
			p = toml_ws(p);
			if (*p == ',')
				p = toml_ws(p + 1);
			else if (*p != ']')
				p = NULL;
			if (!p)
				break;
		}
		if (p) {
			*out = arr;
			end = p + 1;
		} else {
			json_decref(arr);
		}
	} else if (*p == '{') {
		json_t *obj = json_object();
		bool first = true;
		p = toml_ws(p + 1);
		while (p && *p != '}') {
			json_t *item;
			char *key;
			if (!first) {
				if (*p != ',') {
					p = NULL;
					break;
				}
				p = toml_ws(p + 1);
			}
			first = false;
			if (*p == '"') {
				p = toml_string(p, &b);
				key = p ? strndup(b.data, b.len) : NULL;
				/* A key with a NUL has no JSON form: refuse it. */
				if (key && strlen(key) != b.len) {
					free(key);
					key = NULL;
					p = NULL;
				}
			} else {
				const char *k = p;
				while (is_bare(*p))
					p++;
				key = p > k ? strndup(k, (size_t)(p - k)) : NULL;
				if (!key)
					p = NULL;
			}
			if (!p)
				break;
			p = toml_ws(p);
			if (*p != '=' || json_object_get(obj, key)) {
				free(key);
				p = NULL; /* no '=', or a key defined twice */
				break;
			}
			p = toml_value_parse(toml_ws(p + 1), &item, depth + 1);
			if (p)
				json_object_set_new(obj, key, item);
			free(key);
			if (p)
				p = toml_ws(p);
		}
		if (p) {
			*out = obj;
			end = p + 1;
		} else {
			json_decref(obj);
		}
	} else {
		end = toml_number(p, out);
	}
	free(b.data);
	if (!end) {
		json_decref(*out);
		*out = NULL;
	}
	return end;
}

/* A whole string that is exactly one TOML value, as JSON; NULL if it is not. */
static json_t *toml_read(const char *text)
{
	json_t *v;
	const char *end = toml_value_parse(text, &v, 0);

	if (!end || *end != '\0') {
		json_decref(v);
		return NULL;
	}
	return v;
}

#endif
