-- wrk script for bench/replicas.mjs: 2026-07-28 stateless requests alternating tasks/get and
-- tools/call get_agent_status on stored tasks, whose ids are in IDS_FILE, one a line.
--
--   wrk ... -s replicas.lua URL -- IDS_FILE
--
-- Every answer is read: one that is not a JSON-RPC result counts as bad.

local requests = {}
local n, i = 0, 0
bad = 0
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

local envelope = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
	'"io.modelcontextprotocol/clientCapabilities":{"extensions":' ..
	'{"io.modelcontextprotocol/tasks":{}}}}'

function init(args)
	local base = {
		["Content-Type"] = "application/json",
		["Accept"] = "application/json, text/event-stream",
		["MCP-Protocol-Version"] = "2026-07-28",
	}
	local id = 0
	for task in io.lines(args[1]) do
		if #task > 0 then
			id = id + 1
			n = n + 1
			requests[n] = wrk.format("POST", wrk.path, {
				["Content-Type"] = base["Content-Type"], ["Accept"] = base["Accept"],
				["MCP-Protocol-Version"] = base["MCP-Protocol-Version"],
				["Mcp-Method"] = "tasks/get", ["Mcp-Name"] = task,
			}, string.format('{"jsonrpc":"2.0","id":%d,"method":"tasks/get","params":' ..
				'{"taskId":"%s",%s}}', id, task, envelope))
			id = id + 1
			n = n + 1
			requests[n] = wrk.format("POST", wrk.path, {
				["Content-Type"] = base["Content-Type"], ["Accept"] = base["Accept"],
				["MCP-Protocol-Version"] = base["MCP-Protocol-Version"],
				["Mcp-Method"] = "tools/call", ["Mcp-Name"] = "get_agent_status",
			}, string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":' ..
				'{"name":"get_agent_status","arguments":{"task_id":"%s"},%s}}', id, task, envelope))
		end
	end
	i = math.random(n) - 1
end

function request()
	i = i % n + 1
	return requests[i]
end

function response(status, headers, body)
	if status ~= 200 or not body:find('"result"', 1, true) or body:find('"isError":true', 1, true) then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local total = 0
	for _, t in ipairs(threads) do total = total + (t:get("bad") or 0) end
	io.write(string.format("RESULT %d %d %.1f %.1f %d\n", summary.requests, summary.duration,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, total))
end
