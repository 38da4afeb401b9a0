/*
 * Sealed requestState for MCP multi round-trip requests: the server hands the client an
 * opaque string in an input_required result and the client echoes it on its retry. The
 * seal is an HMAC-SHA256 over the whole state: the client can neither forge nor alter one.
 * It is signed, not encrypted: the client can read what is sealed, so no secrets in data.
 * A state opens as often as it is sent until it expires; a caller that needs it used once
 * must remember that it was.
 */
#ifndef CODEX_MCP_SEAL_H
#define CODEX_MCP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Longest state seal_open reads (and seal_make makes), in bytes. */
#define SEAL_STATE_MAX (64 * 1024)

struct seal_key {
	unsigned char bytes[32];
};

/*
 * Reads the key at path, or makes a new random one there (mode 0600, created with
 * O_EXCL|O_NOFOLLOW so a race or a symlink cannot plant one; refuses a key file that is not
 * a regular file of 32 bytes, or is group/other readable or writable, or another user's).
 * So states survive a restart, and servers sharing a state dir share the key. Returns 0, or
 * -errno (-ELOOP a symlink, -EPERM owner or mode, -EINVAL kind or size) with a message in err.
 */
int seal_key_load(const char *path, struct seal_key *key, char *err, size_t err_size);

/* A fresh random key in memory (for tests or when no state dir). Returns 0 or -EIO. */
int seal_key_random(struct seal_key *key);

/*
 * Seals: binds method (e.g. "tools/call"), a binding JSON value (for tools/call:
 * {"name":..., "arguments":...}; digested canonically: json_dumps with
 * JSON_COMPACT|JSON_SORT_KEYS, then SHA-256; NULL binds JSON null), an expiry (ms since the
 * epoch), and optional server data (a JSON object carried inside, may be NULL). Returns a
 * new string "v1.<b64url payload>.<b64url mac>" (caller frees), or NULL (out of memory, a
 * data that is not an object, or a state that would be over SEAL_STATE_MAX).
 */
char *seal_make(const struct seal_key *key, const char *method, const json_t *binding,
                const json_t *data, int64_t expires_ms);

/*
 * Opens: 0 with *data (new reference, or NULL when none was sealed) when the state is
 * authentic, unexpired at now_ms (now_ms < expires_ms), and was sealed for this method and
 * binding. Otherwise: -EBADMSG malformed or tampered (bad MAC), -EINVAL sealed for another
 * method or other arguments, -ETIMEDOUT expired, -ENOMEM; err says which in words a client
 * can read ("requestState: ..."). Checks the MAC (constant time) before parsing anything
 * from the payload. data may be NULL when the caller wants none.
 */
int seal_open(const struct seal_key *key, const char *state, const char *method,
              const json_t *binding, int64_t now_ms, json_t **data, char *err, size_t err_size);

#endif
