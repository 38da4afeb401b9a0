#include "proc/nesting.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/procfs.h"
#include "util/log.h"

/* Deeper than any real chain; keeps depth + 1 and the messages in range. */
enum { DEPTH_CAP = 1000 };

static int parse_depth(const char *s, unsigned *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > DEPTH_CAP)
			v = DEPTH_CAP;
	}
	*out = (unsigned)v;
	return 0;
}

unsigned nesting_depth_from(unsigned servers_above, const char *env_value)
{
	unsigned depth = servers_above < DEPTH_CAP ? servers_above : DEPTH_CAP, from_env;

	if (parse_depth(env_value, &from_env) == 0 && from_env > depth)
		depth = from_env;
	return depth;
}

unsigned nesting_depth(void)
{
	static bool known;
	static unsigned depth;
	unsigned above = 0, from_env;
	const char *env = getenv(NESTING_ENV);
	char env_note[24];
	int rc;

	if (known)
		return depth;
	rc = proc_servers_above("/proc", getpid(), &above);
	depth = nesting_depth_from(above, env);
	known = true;
	if (!env)
		snprintf(env_note, sizeof env_note, "unset");
	else if (parse_depth(env, &from_env) != 0)
		snprintf(env_note, sizeof env_note, "invalid");
	else
		snprintf(env_note, sizeof env_note, "%u", from_env);
	if (rc != 0)
		log_debug("nesting depth %u (/proc unreadable: %s; %s=%s)", depth, strerror(-rc),
		          NESTING_ENV, env_note);
	else
		log_debug("nesting depth %u (%u codex-mcp server%s above in /proc; %s=%s)", depth,
		          above, above == 1 ? "" : "s", NESTING_ENV, env_note);
	return depth;
}

int nesting_check(unsigned depth, unsigned max, char *err, size_t err_size)
{
	if (max == 0 || depth < max)
		return 0;
	snprintf(err, err_size,
	         "codex-mcp is nested %u deep (a Codex run started by codex-mcp started this "
	         "server), and --max-depth %u allows no deeper Codex runs, so this tool starts "
	         "none here. Do the work yourself instead of handing it to another agent.",
	         depth, max);
	return -EPERM;
}
