#include "codex/fold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int replace(char **slot, const char *value)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int codex_fold_init(struct codex_fold *f, const char *thread_id)
{
	memset(f, 0, sizeof *f);
	return replace(&f->thread_id, thread_id);
}

/* app-server reports the thread's running totals: the turn's share is what they grew by. */
static void fold_totals(struct codex_fold *f, const struct codex_event *ev)
{
	int64_t now[4];

	memcpy(now, ev->usage, sizeof now);
	if (!f->has_base) {
		for (int i = 0; i < 4; i++)
			f->base[i] = now[i] - ev->usage_last[i];
		f->has_base = true;
	}
	f->usage = (struct codex_usage){now[0] - f->base[0], now[1] - f->base[1],
	                                now[2] - f->base[2], now[3] - f->base[3]};
}

int codex_fold_event(struct codex_fold *f, const struct codex_event *ev)
{
	if (ev->has_usage && ev->usage_is_total)
		fold_totals(f, ev);
	switch (ev->type) {
	case CODEX_EVENT_THREAD_STARTED:
		return ev->thread_id ? replace(&f->thread_id, ev->thread_id) : 0;
	case CODEX_EVENT_ITEM_COMPLETED:
		if (ev->item_type == CODEX_ITEM_AGENT_MESSAGE && ev->text)
			return replace(&f->final_message, ev->text);
		return 0;
	case CODEX_EVENT_TURN_COMPLETED:
		f->completed = true;
		if (ev->has_usage && !ev->usage_is_total)
			f->usage = (struct codex_usage){ev->usage[0], ev->usage[1], ev->usage[2],
			                                ev->usage[3]};
		return 0;
	case CODEX_EVENT_TURN_FAILED:
		f->failed = true;
		return replace(&f->turn_error, ev->text ? ev->text : "the turn failed");
	case CODEX_EVENT_ERROR:
		return replace(&f->other_error, ev->text ? ev->text : "unknown error");
	default:
		return 0;
	}
}

void codex_fold_outcome(const struct codex_fold *f, bool cancelled, const char *why,
                        struct codex_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->thread_id = f->thread_id;
	out->final_message = f->final_message ? f->final_message : "";
	out->usage = f->usage;
	if (cancelled) {
		out->status = CODEX_TURN_CANCELLED;
		out->error = "the run was cancelled";
	} else if (f->completed && !f->turn_error) {
		out->status = CODEX_TURN_COMPLETED;
	} else {
		out->status = CODEX_TURN_FAILED;
		out->error = f->turn_error ? f->turn_error : f->other_error ? f->other_error : why;
		if (!out->error)
			out->error = "codex failed";
	}
}

void codex_fold_clear(struct codex_fold *f)
{
	free(f->thread_id);
	free(f->final_message);
	free(f->turn_error);
	free(f->other_error);
	memset(f, 0, sizeof *f);
}
