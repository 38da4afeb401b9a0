-- wrk script for bench/http-load.mjs: MCP clients on Streamable HTTP alternating tools/list
-- and tools/call get_agent_status.
--
--   wrk ... -s http-load.lua URL -- MODE SESSIONS_FILE CHECK
--
-- MODE "sessions": 2025-11-25; SESSIONS_FILE has one Mcp-Session-Id a line, made beforehand by
--   initialize and notifications/initialized; requests take the sessions in turn.
-- MODE "stateless": 2026-07-28; each request carries the _meta envelope and the
--   MCP-Protocol-Version, Mcp-Method and Mcp-Name headers; SESSIONS_FILE is ignored.
-- CHECK "check": every answer is read, and one that is not a JSON-RPC result counts as bad
--   (used in the warm-up); "fast": answers are not read, only their status counts (the measure).
--
-- Requests are built in init() and taken in turn; each has a request id of its own within the
-- cycle, and the cycle is longer than the number of connections, so no session has two requests
-- with one id in flight.

local requests = {}
local n, i = 0, 0
bad = 0
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

local envelope = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
	'"io.modelcontextprotocol/clientCapabilities":{}}'

local function add(headers, body)
	n = n + 1
	requests[n] = wrk.format("POST", wrk.path, headers, body)
end

function init(args)
	local mode, file, check = args[1], args[2], args[3]
	local base = {
		["Content-Type"] = "application/json",
		["Accept"] = "application/json, text/event-stream",
	}
	local function with(extra)
		local h = {}
		for k, v in pairs(base) do h[k] = v end
		for k, v in pairs(extra) do h[k] = v end
		return h
	end
	local id = 0
	if mode == "sessions" then
		local sessions = {}
		for line in io.lines(file) do
			if #line > 0 then table.insert(sessions, line) end
		end
		-- Four rounds over the sessions, each session's ids distinct.
		for round = 1, 4 do
			for s, sid in ipairs(sessions) do
				local h = with({ ["Mcp-Session-Id"] = sid, ["MCP-Protocol-Version"] = "2025-11-25" })
				id = id + 1
				add(h, string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/list"}', id))
				id = id + 1
				add(h, string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":' ..
					'{"name":"get_agent_status","arguments":{"task_id":"bench-%d-%d"}}}', id, s, round))
			end
		end
	else
		for k = 1, 4000 do
			id = id + 1
			add(with({ ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = "tools/list" }),
				string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/list","params":{%s}}', id, envelope))
			id = id + 1
			add(with({ ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = "tools/call",
					["Mcp-Name"] = "get_agent_status" }),
				string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":' ..
					'"get_agent_status","arguments":{"task_id":"bench-%d"},%s}}', id, k, envelope))
		end
	end
	if check ~= "check" then response = nil end
end

function request()
	i = i % n + 1
	return requests[i]
end

-- A JSON-RPC result, in a JSON body or an SSE data line; anything else is bad.
function response(status, headers, body)
	if status ~= 200 or not body:find('"result":{', 1, true) then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local b = 0
	for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
	local e = summary.errors
	io.write(string.format('WRK_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,' ..
		'"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,' ..
		'"timeouts":%d,"bad":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
		summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
		e.timeout, b, latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency.max, latency.mean))
end
