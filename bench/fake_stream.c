/*
 * A stand-in for `codex exec --json` that streams events as fast as it can, for
 * the fleet and parsing benchmarks. The prompt (stdin) says how much:
 * "stream COUNT SIZE" prints COUNT command_execution items of about SIZE bytes
 * each, then a final message naming the count, then turn.completed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char prompt[256] = {0};
	size_t n = fread(prompt, 1, sizeof prompt - 1, stdin);
	unsigned long count = 0, size = 200;
	char *pad;

	prompt[n] = '\0';
	if (sscanf(prompt, "stream %lu %lu", &count, &size) < 1)
		count = 0;
	if (size < 160)
		size = 160;
	pad = malloc(size);
	if (!pad)
		return 1;
	memset(pad, 'x', size - 150);
	pad[size - 150] = '\0';

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	printf("{\"type\":\"thread.started\",\"thread_id\":\"00000000-0000-7000-8000-%012lx\"}\n",
	       (unsigned long)getpid());
	printf("{\"type\":\"turn.started\"}\n");
	for (unsigned long i = 0; i < count; i++)
		printf("{\"type\":\"item.completed\",\"item\":{\"id\":\"item_%lu\",\"type\":"
		       "\"command_execution\",\"command\":\"echo %s\",\"exit_code\":0,"
		       "\"status\":\"completed\"}}\n",
		       i, pad);
	printf("{\"type\":\"item.completed\",\"item\":{\"id\":\"item_last\",\"type\":"
	       "\"agent_message\",\"text\":\"streamed %lu events\"}}\n",
	       count);
	printf(
	    "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":1,\"cached_input_tokens\":0,"
	    "\"output_tokens\":1,\"reasoning_output_tokens\":0}}\n");
	free(pad);
	return fflush(stdout) == 0 ? 0 : 1;
}
