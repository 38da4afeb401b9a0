// A scripted Responses-API model on 127.0.0.1 for driving the real Codex CLI offline.
//
//   const model = await startMockModel(script);   // script defaults to smartScript
//   model.url        -> "http://127.0.0.1:PORT/v1" (put it in config.toml as base_url)
//   model.requests   -> every parsed POST /v1/responses body, in arrival order
//   await model.waitForRequests(n)   -> resolves once n requests have arrived
//   model.active     -> number of responses currently being streamed/held open
//   await model.close()
//
// A script is `(body, index, ctx) => reply` (may be async). `index` is the 0-based number of the
// request; `ctx.signal` aborts when Codex drops the connection or the model is closed. A reply is:
//   - an array of output items (see message() / execCommand()), streamed as SSE;
//   - { items, delayMs }  hold the response open for delayMs (Infinity: until Codex disconnects
//                         or model.close()) after `response.created`, then stream the items;
//   - { status, error }   a plain HTTP error (e.g. 500) with an OpenAI-style error body;
//   - { failed: message } a stream that ends with `response.failed`.
// Build them with the helpers below. Codex must run with request_max_retries = 0 and
// stream_max_retries = 0 (the harness's config.toml does) so that errors fail the turn at once.
//
// smartScript reads the last real user prompt (see userPrompts()):
//   "WRITE <file> <text...>" -> exec_command `printf '%s' '<text>' > '<file>'`; once the
//                               function_call_output comes back, the message "wrote <file>"
//                               (or "failed to write <file>: <output>" if the command failed)
//   "SLEEP <ms> ..."         -> waits <ms> (or until disconnected) and then behaves as for the rest
//   "ESCALATE <file> <text...>" -> as WRITE, but the command asks to run outside the sandbox
//                               (sandbox_permissions "require_escalated", with a justification),
//                               so that an approval policy that asks sends an approval request
//   "RUN <command...>"       -> exec_command <command>; then the message "ran: <output>" where
//                               <output> is the command's output as Codex reports it
//   "FAIL [status]"          -> HTTP <status> (default 500), error message "mock model failure"
//                               (Codex 0.169 reports a 500 as "We’re currently experiencing high
//                               demand..."; e.g. a 503 keeps the message: "unexpected status 503 ...")
//   anything else            -> "echo: <prompt> [user messages: N]" where N = userPrompts(body).length,
//                               so a test can see that a reply continued an earlier thread.
// Words may be combined: "SLEEP 300 WRITE a.txt hi".

import http from 'node:http';

const USAGE = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };

let idCounter = 0;
const nextId = (prefix) => `${prefix}_${++idCounter}`;

/** An assistant message item. */
export function message(text) {
  return { type: 'message', role: 'assistant', id: nextId('msg'),
    content: [{ type: 'output_text', text, annotations: [] }] };
}

/** An exec_command function call item (Codex runs `cmd` with its shell and calls back). */
export function execCommand(cmd, extra = {}) {
  return { type: 'function_call', id: nextId('fc'), call_id: nextId('call'), name: 'exec_command',
    arguments: JSON.stringify({ cmd, ...extra }) };
}

/** An HTTP error reply. */
export function httpError(status = 500, error = 'mock model failure') {
  return { status, error };
}

/** Delay `reply` by `ms` (Infinity: until the connection is dropped or the model closed). */
export function slow(ms, reply) {
  return Array.isArray(reply) ? { items: reply, delayMs: ms } : { ...reply, delayMs: ms };
}

/** Plain text of one input item's content (message items only). */
export function itemText(item) {
  if (!item || item.type !== 'message') return '';
  if (typeof item.content === 'string') return item.content;
  return (item.content || []).map((c) => c.text ?? '').join('');
}

// Codex adds user-role messages of its own (environment context, AGENTS.md, ...); they begin
// with a tag or a markdown heading. Everything else with role "user" is a prompt.
const INJECTED = /^\s*(<[a-z_]+>|<[a-z_]+ |# AGENTS\.md|# Instructions)/;

/** The texts of the real user prompts in a request's input, oldest first. */
export function userPrompts(body) {
  return (body?.input || [])
    .filter((it) => it.type === 'message' && it.role === 'user')
    .map(itemText)
    .filter((t) => !INJECTED.test(t));
}

/** The last real user prompt of a request ('' if none). */
export function lastUserPrompt(body) {
  const p = userPrompts(body);
  return p.length ? p[p.length - 1] : '';
}

/** The command's own output inside a function_call_output (Codex prefixes a header). */
export function commandOutput(output) {
  const text = typeof output === 'string' ? output
    : Array.isArray(output) ? output.map((c) => c.text ?? '').join('') : JSON.stringify(output);
  const i = text.indexOf('Output:\n');
  return (i >= 0 ? text.slice(i + 8) : text).trim();
}

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** The default script; see the header comment. */
export function smartScript(body) {
  const prompt = lastUserPrompt(body);
  const input = body?.input || [];
  const last = input[input.length - 1];
  let words = prompt.trim().split(/\s+/);
  let delayMs = 0;
  if (words[0] === 'SLEEP') {
    delayMs = Number(words[1]);
    words = words.slice(2);
  }
  const answeringTool = last && last.type === 'function_call_output';
  let reply;
  if (words[0] === 'FAIL') {
    reply = httpError(Number(words[1]) || 500, 'mock model failure');
  } else if (words[0] === 'RUN' && words.length >= 2) {
    reply = answeringTool
      ? [message(`ran: ${commandOutput(last.output)}`)]
      : [execCommand(words.slice(1).join(' '))];
  } else if ((words[0] === 'WRITE' || words[0] === 'ESCALATE') && words.length >= 2) {
    const file = words[1];
    const failed = answeringTool && !/exited with code 0\b/.test(JSON.stringify(last.output));
    const escalate = words[0] === 'ESCALATE'
      ? { sandbox_permissions: 'require_escalated', justification: `to write ${file}, outside the workspace` } : {};
    reply = !answeringTool ? [execCommand(`printf '%s' ${shq(words.slice(2).join(' '))} > ${shq(file)}`, escalate)]
      : failed ? [message(`failed to write ${file}: ${commandOutput(last.output)}`)]
      : [message(`wrote ${file}`)];
  } else {
    reply = [message(`echo: ${prompt} [user messages: ${userPrompts(body).length}]`)];
  }
  // Only delay the first request of a turn, not the follow-up after a tool call.
  return delayMs && !answeringTool ? slow(delayMs, reply) : reply;
}

function sse(res, type, data) {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = Number.isFinite(ms) ? setTimeout(done, ms) : null;
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done);
  });
}

export async function startMockModel(script = smartScript) {
  const requests = [];
  const waiters = [];
  let active = 0;
  const sockets = new Set();
  const closing = new AbortController();
  const notify = () => {
    for (const w of [...waiters]) {
      if (requests.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    }
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const path = req.url.split('?')[0];
    if (req.method !== 'POST' || !path.endsWith('/responses')) {
      // Codex may probe other endpoints (e.g. /models); answer something harmless.
      res.writeHead(path.endsWith('/models') ? 200 : 404, { 'content-type': 'application/json' });
      res.end(path.endsWith('/models') ? '{"object":"list","data":[]}' : '{}');
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = { unparsable: Buffer.concat(chunks).toString('utf8') };
    }
    const index = requests.length;
    requests.push(body);
    notify();

    const gone = new AbortController();
    active++;
    const onClosing = () => gone.abort();
    closing.signal.addEventListener('abort', onClosing, { once: true });
    res.on('close', () => {
      active--;
      gone.abort();
      closing.signal.removeEventListener('abort', onClosing);
    });

    let reply;
    try {
      reply = await script(body, index, { signal: gone.signal });
    } catch (e) {
      reply = httpError(500, `mock script threw: ${e.message}`);
    }
    if (Array.isArray(reply)) reply = { items: reply };
    const delayMs = reply.delayMs || 0;
    const respId = `resp_${index + 1}`;

    if (reply.status) {
      if (delayMs) await sleep(delayMs, gone.signal);
      if (gone.signal.aborted) return res.destroy();
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: reply.error, type: 'server_error', code: 'server_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    sse(res, 'response.created', { response: { id: respId } });
    if (delayMs) {
      await sleep(delayMs, gone.signal);
      if (gone.signal.aborted) return res.destroy();
    }
    if (reply.failed) {
      sse(res, 'response.failed', { response: { id: respId, error: { code: 'server_error', message: reply.failed } } });
      return res.end();
    }
    for (const item of reply.items || []) sse(res, 'response.output_item.done', { item });
    sse(res, 'response.completed', { response: { id: respId, usage: USAGE } });
    res.end();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;

  return {
    port,
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get active() { return active; },
    /** Resolves when at least n requests have arrived; rejects after timeoutMs. */
    waitForRequests(n, timeoutMs = 30000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { n, resolve: () => { clearTimeout(t); resolve(); } };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`mock model: wanted ${n} request(s), got ${requests.length} in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    async close() {
      closing.abort();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
