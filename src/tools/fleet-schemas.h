/*
 * JSON Schemas of what the agent tools answer, for their outputSchema. Clients
 * check every structuredContent that is not isError against them, so each
 * field is as fleet.c and the tools build it: null where iso_time() or a
 * missing string gives null, required only where always present.
 */
#ifndef CODEX_MCP_FLEET_SCHEMAS_H
#define CODEX_MCP_FLEET_SCHEMAS_H

/* Every status a task can be in. */
#define AGENT_STATUS_TYPE                                                                          \
	"{\"type\": \"string\", \"enum\": [\"queued\", \"running\", \"completed\", \"failed\", "   \
	"\"killed\", \"timed_out\", \"cancelled\"]}"

/* iso_time(): ISO 8601 UTC, or null for none. */
#define AGENT_TIME_TYPE                                                                            \
	"{\"anyOf\": [{\"type\": \"string\", \"format\": \"date-time\"}, {\"type\": \"null\"}]}"

#define AGENT_STRING_OR_NULL_TYPE "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}"

/* What a run did, built when it ends. */
#define AGENT_REPORT_TYPE                                                                          \
	"{\"type\": \"object\", \"properties\": {"                                                 \
	"\"status\": " AGENT_STATUS_TYPE ","                                                       \
	"\"duration_seconds\": {\"type\": \"number\"},"                                            \
	"\"usage\": {\"type\": \"object\", \"properties\": {"                                      \
	"\"input_tokens\": {\"type\": \"integer\"}, "                                              \
	"\"cached_input_tokens\": {\"type\": \"integer\"}, "                                       \
	"\"output_tokens\": {\"type\": \"integer\"}, "                                             \
	"\"reasoning_output_tokens\": {\"type\": \"integer\"}}, "                                  \
	"\"required\": [\"input_tokens\", \"cached_input_tokens\", \"output_tokens\", "            \
	"\"reasoning_output_tokens\"]},"                                                           \
	"\"commands\": {\"type\": \"array\", \"description\": \"The first commands run.\", "       \
	"\"items\": {\"type\": \"object\", \"properties\": {"                                      \
	"\"command\": {\"type\": \"string\"}, \"exit_code\": {\"type\": \"integer\"}}, "           \
	"\"required\": [\"command\"]}},"                                                           \
	"\"commands_total\": {\"type\": \"integer\", \"description\": \"All commands run, when "   \
	"more than the list holds.\"},"                                                            \
	"\"files_changed\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"             \
	"\"exit_code\": {\"type\": \"integer\"},"                                                  \
	"\"signal\": {\"type\": \"integer\"}"                                                      \
	"}, \"required\": [\"status\", \"duration_seconds\", \"usage\", \"commands\", "            \
	"\"files_changed\"]}"

/* Why a running agent reads stalled: how long it has been quiet, and its process. */
#define AGENT_STALL_TYPE                                                                           \
	"{\"type\": \"object\", \"properties\": {"                                                 \
	"\"stalled\": {\"type\": \"boolean\"},"                                                    \
	"\"quiet_seconds\": {\"type\": \"integer\"},"                                              \
	"\"process\": {\"anyOf\": [{\"type\": \"object\", \"properties\": {"                       \
	"\"state\": {\"type\": \"string\"}, \"pid\": {\"type\": \"integer\"}, "                    \
	"\"busiest\": {\"type\": \"object\", \"properties\": {\"pid\": {\"type\": \"integer\"}, "  \
	"\"name\": {\"type\": \"string\"}, \"state\": {\"type\": \"string\"}}, "                   \
	"\"required\": [\"pid\", \"name\", \"state\"]}}, \"required\": [\"state\"]}, "             \
	"{\"type\": \"null\"}]},"                                                                  \
	"\"last_command\": " AGENT_STRING_OR_NULL_TYPE                                             \
	"}, \"required\": [\"stalled\", \"quiet_seconds\", \"process\", \"last_command\"]}"

/* The git worktree an agent works in (app/worktree.h); what it left there once it ended. */
#define AGENT_WORKTREE_TYPE                                                                        \
	"{\"type\": \"object\", \"properties\": {"                                                 \
	"\"path\": {\"type\": \"string\"},"                                                        \
	"\"branch\": {\"type\": \"string\"},"                                                      \
	"\"base_commit\": {\"type\": \"string\", \"description\": \"The HEAD it was made "         \
	"from.\"},"                                                                                \
	"\"repository\": {\"type\": \"string\"},"                                                  \
	"\"git_dir\": {\"type\": \"string\", \"description\": \"Its own, in the repository's.\"}," \
	"\"commits\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": "  \
	"\"On its branch since base_commit, newest first: short hash and subject.\"},"             \
	"\"files_changed\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, "             \
	"\"description\": \"Relative to the worktree, committed or not.\"},"                       \
	"\"uncommitted\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"               \
	"\"error\": {\"type\": \"string\", \"description\": \"Why what it left could not be "      \
	"read.\"}"                                                                                 \
	"}, \"required\": [\"path\", \"branch\", \"base_commit\", \"repository\", \"git_dir\"]}"

/* One task as agent_status() shows it. */
#define AGENT_TASK_TYPE                                                                            \
	"{\"type\": \"object\", \"properties\": {"                                                 \
	"\"task_id\": {\"type\": \"string\"},"                                                     \
	"\"status\": " AGENT_STATUS_TYPE ","                                                       \
	"\"tool\": {\"type\": \"string\", \"description\": \"The tool that started it.\"},"        \
	"\"created_at\": " AGENT_TIME_TYPE ","                                                     \
	"\"started_at\": " AGENT_TIME_TYPE ","                                                     \
	"\"completed_at\": " AGENT_TIME_TYPE ","                                                   \
	"\"elapsed_seconds\": {\"type\": \"number\", \"description\": \"From its start (or "       \
	"creation) to its end, or to now.\"},"                                                     \
	"\"last_activity\": " AGENT_TIME_TYPE ","                                                  \
	"\"log_file\": " AGENT_STRING_OR_NULL_TYPE ","                                             \
	"\"thread_id\": " AGENT_STRING_OR_NULL_TYPE ","                                            \
	"\"cwd\": " AGENT_STRING_OR_NULL_TYPE ","                                                  \
	"\"pid\": {\"type\": \"integer\", \"description\": \"While this server runs it.\"},"       \
	"\"stalled\": {\"type\": \"boolean\", \"description\": \"While this server has it queued " \
	"or running.\"},"                                                                          \
	"\"stall\": " AGENT_STALL_TYPE ","                                                         \
	"\"output\": {\"type\": \"string\", \"description\": \"The final agent message, from "     \
	"output_offset.\"},"                                                                       \
	"\"output_chars\": {\"type\": \"integer\"},"                                               \
	"\"output_offset\": {\"type\": \"integer\"},"                                              \
	"\"next_offset\": {\"type\": \"integer\", \"description\": \"Where the rest of the "       \
	"output starts, if it goes on.\"},"                                                        \
	"\"error\": {\"type\": \"string\"},"                                                       \
	"\"report\": " AGENT_REPORT_TYPE ","                                                       \
	"\"worktree\": " AGENT_WORKTREE_TYPE                                                       \
	"}, \"required\": [\"task_id\", \"status\", \"tool\", \"created_at\", \"started_at\", "    \
	"\"elapsed_seconds\", \"last_activity\", \"log_file\", \"thread_id\", \"cwd\"]}"

#endif
