#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if ((s[0] & 0xE0) == 0xC0) {
		need = 2;
		cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		need = 3;
		cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

/* Each byte of b, in every byte of a word. */
#define BYTES(b) (0x0101010101010101ull * (b))

bool text_json_plain(const char *s, size_t len)
{
	size_t i = 0;

	/*
	 * A progress message goes out for nearly every event: eight bytes at a time. A byte
	 * from 0x80 has its high bit already; below it, each term sets a byte's high bit only
	 * where that byte is below 0x20, 0x7F, a quote or a backslash, and a borrow or a carry
	 * only spreads from such a byte.
	 */
	for (; len - i >= 8; i += 8) {
		uint64_t w, q, b;
		memcpy(&w, s + i, 8);
		q = w ^ BYTES(0x22);
		b = w ^ BYTES(0x5C);
		if (((w - BYTES(0x20)) | w | (w + BYTES(1)) | (q - BYTES(1)) | (b - BYTES(1))) &
		    BYTES(0x80))
			return false;
	}
	for (; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

bool text_utf8_printable(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		/* Runs of printable ASCII, the common case, eight bytes at a time: no byte with
		 * its high bit set, none below 0x20. */
		while (len - i >= 8) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if (((w | ((w - 0x2020202020202020ull) & ~w)) & 0x8080808080808080ull) != 0)
				break;
			i += 8;
		}
		if (i == len)
			break;
		if (u[i] < 0x20)
			return false;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_char_len(u + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

size_t text_utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			n = 1;
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

char *text_sanitize(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			out[o++] = s[i + k];
		i += n;
	}
	out[o] = '\0';
	return out;
}

void text_sanitize_inplace(char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
		if (n == 0) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
}
