/*
 * --backend auto: which backend runs turns is decided when the first turn starts, by
 * asking the Codex found then whether it has app-server; so the server starts without
 * running Codex, and a Codex installed after it started is the one asked. The choice
 * then takes this backend's place: the runner reads the ops it holds on every call.
 */
#include <stdlib.h>
#include <string.h>

#include "codex/backend.h"
#include "codex/launch.h"
#include "util/log.h"

struct auto_backend {
	struct codex_exec_config cfg;
	struct codex_backend *self;
};

static int choose(struct auto_backend *a, struct codex_backend *out)
{
	struct codex_launch probe;
	char err[512];
	int has = -1;

	if (codex_launch_init(&probe, a->cfg.codex_path, NULL) == 0)
		has = codex_launch_has_app_server(&probe, err, sizeof err);
	codex_launch_clear(&probe);
	if (has == 0) {
		log_info("backend: a codex exec process per turn (this Codex has no app-server)");
		return codex_exec_backend_new(&a->cfg, out);
	}
	log_info("backend: codex app-server");
	return codex_app_server_backend_new(&a->cfg, out);
}

static int auto_start(void *impl, const struct codex_turn_request *req,
                      const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error)
{
	struct auto_backend *a = impl;
	struct codex_backend *self = a->self;
	struct codex_backend chosen;

	if (choose(a, &chosen) != 0) {
		*error = strdup("out of memory");
		return -1;
	}
	*self = chosen;
	free(a);
	return codex_turn_start(self, req, hooks, out, error);
}

static void auto_free(void *impl, void (*done)(void *data), void *data)
{
	free(impl);
	if (done)
		done(data);
}

/* Until the first turn there is no turn: start and free are all it is asked. */
static const struct codex_backend_ops auto_ops = {
    .start = auto_start,
    .free = auto_free,
};

int codex_auto_backend_new(const struct codex_exec_config *cfg, struct codex_backend *out)
{
	struct auto_backend *a = calloc(1, sizeof *a);

	if (!a)
		return -1;
	a->cfg = *cfg;
	a->self = out;
	out->ops = &auto_ops;
	out->impl = a;
	return 0;
}
