-- The Lua module's user agents: what `require "moonsip"` gives a LuaJIT
-- program to be a SIP user agent (lua/module_ua.c is the C half).
--
--   local ms = require "moonsip"
--   ms.run(function()
--     local ua = assert(ms.ua{ aor = "sip:alice@127.0.0.1", password = "pw",
--                              listen = "udp:127.0.0.1:5070" })
--     assert(ua:register("sip:127.0.0.1:5060") == 200)
--     local call, status = ua:call("sip:bob@127.0.0.1", { sdp = offer })
--     ...
--   end)
--
-- Tasks. ms.run(fn) runs fn as a task (a coroutine) and the loop until no
-- task is left (or ms.stop()); ms.spawn(fn) starts another. The functions
-- that wait (ua:register, ua:call, call:answer, call:wait, ms.sleep, ...)
-- suspend only the task calling them; they must be called from a task, not
-- from a coroutine of the user's own inside it. An error in a task ends
-- ms.run, which raises it with the task's traceback.
local ms, low = ...

local objects = {} -- id -> the Lua object events go to
local next_id = 0
local queue, qhead, qtail = {}, 1, 0
local tasks = 0 -- tasks not yet finished
local current -- the task running
local running = false
local stopping = false
local failure

local function register(obj)
  next_id = next_id + 1
  objects[next_id] = obj
  return next_id
end

-- Events -------------------------------------------------------------------

-- Called by C from a callback: only queues (nothing may run from there).
local function push(id, kind, ...)
  qtail = qtail + 1
  queue[qtail] = { id, kind, select("#", ...), ... }
end

local function resume(co, ...)
  local prev = current
  current = co
  local ok, err = coroutine.resume(co, ...)
  current = prev
  if not ok then
    failure = failure or debug.traceback(co, tostring(err))
  end
  if coroutine.status(co) == "dead" then
    tasks = tasks - 1
  end
end

-- Called by C from an idle watcher: delivers every event queued, in order.
-- Returns true when ms.run should return.
local function drain()
  while qhead <= qtail and not failure do
    local e = queue[qhead]
    queue[qhead] = nil
    qhead = qhead + 1
    local obj = objects[e[1]]
    local handler = obj and obj["_on_" .. e[2]]
    if handler then
      handler(obj, unpack(e, 4, 3 + e[3]))
    end
  end
  if qhead > qtail then
    queue, qhead, qtail = {}, 1, 0
  end
  return failure ~= nil or stopping or tasks == 0
end

low.init(push, drain)

-- Waiting ------------------------------------------------------------------

local function task(level)
  local co = coroutine.running()
  if not current or co ~= current then
    error("this waits: call it from a task of ms.run or ms.spawn", level or 3)
  end
  return co
end

local function wake(w, ...)
  if not w or w.done then return end
  w.done = true
  if w.timer then
    w.timer:stop()
    objects[w.timer_id] = nil
  end
  resume(w.co, ...)
end

-- A wait of the running task, ended by wake() or after 'timeout' seconds
-- (then the task gets nil, "timeout").
local function waiter(timeout)
  local w = { co = task(4) }
  if timeout then
    local id = register({ _on_timer = function() wake(w, nil, "timeout") end })
    w.timer, w.timer_id = low.timer(id, timeout), id
  end
  return w
end

local function suspend(w)
  return coroutine.yield(w)
end

-- Tasks ----------------------------------------------------------------------

local function start(fn, ...)
  if type(fn) ~= "function" then
    error("a task is a function, not " .. type(fn), 3)
  end
  local co = coroutine.create(fn)
  tasks = tasks + 1
  resume(co, ...)
  return co
end

-- ms.spawn(fn, ...): a new task, started at once (it runs until it first
-- waits, then the caller goes on).
function ms.spawn(fn, ...)
  return start(fn, ...)
end

-- ms.run(fn, ...): runs fn as a task and the loop until every task has
-- finished, ms.stop() is called or a task fails (raised here). Returns
-- nothing. Not from inside a task.
function ms.run(fn, ...)
  if running then error("ms.run: already running (spawn a task instead)", 2) end
  running, stopping, failure = true, false, nil
  local ok, err = pcall(function(...)
    if fn then start(fn, ...) end
    while tasks > 0 and not failure and not stopping do
      low.run()
    end
  end, ...)
  running = false
  local f = failure
  failure = nil
  if not ok then error(err, 2) end
  if f then error(f, 2) end
end

-- ms.stop(): ms.run returns once the running task waits (tasks still
-- waiting stay suspended; a later ms.run goes on with them).
function ms.stop()
  stopping = true
  low.stop()
end

-- ms.sleep(seconds)
function ms.sleep(seconds)
  assert(type(seconds) == "number" and seconds >= 0, "ms.sleep: seconds must be a number >= 0")
  local w = waiter(nil)
  local t = {}
  local id = register(t)
  local timer = low.timer(id, seconds)
  t._on_timer = function()
    objects[id] = nil
    timer:stop()
    wake(w)
  end
  suspend(w)
end

-- ms.now(): the loop's clock, in seconds.
ms.now = low.now

local signals = { INT = 2, HUP = 1, TERM = 15, USR1 = 10, USR2 = 12 }

-- ms.signal(name, fn): fn() runs as a new task each time the signal ("INT",
-- "TERM", "HUP", "USR1", "USR2") comes, instead of its default action.
-- Returns a function that restores it.
function ms.signal(name, fn)
  local signum = signals[name]
  if not signum then error("ms.signal: no signal " .. tostring(name), 2) end
  local t = {}
  local id = register(t)
  local w = low.signal(id, signum)
  t._on_signal = function() start(fn, name) end
  return function()
    w:stop()
    objects[id] = nil
  end
end

-- Calls -----------------------------------------------------------------------

local Call = {}
Call.__index = Call

local function new_call(ua, c, id, outgoing)
  local call = setmetatable({ ua = ua, _c = c, _id = id, outgoing = outgoing, state = "calling" }, Call)
  objects[id] = call
  return call
end

function Call:_on_progress(status, sdp)
  self.state = "early"
  self.status = status
  if sdp ~= "" then self.remote_sdp = sdp end
  if self.on_progress then start(self.on_progress, self, status, sdp) end
end

local function stop_ring_timer(call)
  if call._ring_timer then
    call._ring_timer:stop()
    objects[call._ring_timer_id] = nil
    call._ring_timer = nil
  end
end

function Call:_on_answered(sdp)
  stop_ring_timer(self)
  self.state, self.status = "up", 200
  self.id = self._c:id()
  if sdp ~= "" then self.remote_sdp = sdp end
  wake(self._calling, self)
  self._calling = nil
end

function Call:_on_failed(status)
  stop_ring_timer(self)
  self.state, self.status = "failed", status
  if self.ua then self.ua:_call_ended(self) end
  objects[self._id] = nil
  wake(self._calling, nil, status)
  self._calling = nil
  for _, w in ipairs(self._waiting or {}) do wake(w, "failed") end
  self._waiting = nil
end

function Call:_on_confirmed()
  self.state = "up"
  wake(self._answering, true)
  self._answering = nil
end

function Call:_on_reinvite(sdp)
  if self.on_reinvite then
    start(function()
      local answer = self.on_reinvite(self, sdp)
      if self._c then self._c:answer(answer or self.local_sdp) end
    end)
  else
    self._c:answer(self.local_sdp)
  end
end

function Call:_on_reinvite_done(status, sdp)
  if status < 300 and sdp ~= "" then self.remote_sdp = sdp end
  wake(self._reinviting, status, sdp)
  self._reinviting = nil
end

function Call:_on_ended(why)
  self.state, self.why = "ended", why
  objects[self._id] = nil
  wake(self._answering, nil, why)
  self._answering = nil
  for _, w in ipairs(self._waiting or {}) do wake(w, why) end
  self._waiting = nil
  if self.ua then self.ua:_call_ended(self) end
end

local function check_op(ok, err, what)
  if not ok then error(what .. ": " .. tostring(err), 3) end
end

-- call:result(): outgoing: waits for the INVITE's answer; 200 once the
-- call is up, else the failure's status (487 when it was cancelled).
function Call:result()
  if self.state == "up" or self.state == "ended" and self.status == 200 then return 200 end
  if self.state == "failed" then return self.status end
  assert(self.outgoing, "call:result: not an outgoing call")
  assert(not self._calling, "call:result: another task waits for this call's answer")
  local w = waiter(nil)
  self._calling = w
  local ok, status = suspend(w)
  return ok and 200 or status
end

-- call:ring(): incoming, unanswered: 180 Ringing.
function Call:ring()
  check_op(self._c:ring(), "not an unanswered incoming call", "call:ring")
end

-- call:answer([sdp [, timeout]]): incoming: 200 with sdp; waits for the ACK.
-- true, or nil and "ended"/"timeout"/... when the caller hung up or cancelled
-- first or no ACK came.
function Call:answer(sdp, timeout)
  check_op(self._c:answer(sdp), "nothing to answer", "call:answer")
  self.local_sdp = sdp
  local w = waiter(timeout)
  self._answering = w
  return suspend(w)
end

-- call:reject(code [, reason]): incoming, unanswered: a final 300-699.
function Call:reject(code, reason)
  assert(type(code) == "number" and code >= 300 and code <= 699, "call:reject: code must be 300 to 699")
  check_op(self._c:reject(code, reason), "not an unanswered incoming call", "call:reject")
  self.state, self.status = "ended", code
  objects[self._id] = nil
  if self.ua then self.ua:_call_ended(self) end
end

-- call:cancel(): outgoing, before the answer; ua:call then returns nil, 487.
function Call:cancel()
  if self.state == "calling" or self.state == "early" then
    self._c:cancel()
  end
end

-- call:wait([timeout]): waits until the call has ended; why it ended
-- ("local", "remote", "cancelled", "timeout"; "failed" for an outgoing
-- call that was not answered), or nil, "timeout".
function Call:wait(timeout)
  if self.state == "ended" or self.state == "failed" then return self.why or "failed" end
  local w = waiter(timeout)
  self._waiting = self._waiting or {}
  table.insert(self._waiting, w)
  return suspend(w)
end

-- call:hangup(): BYE; waits until it is answered. Returns how the call
-- ended ("local", or "remote" when the peer's BYE crossed ours).
function Call:hangup()
  if self.state == "ended" or self.state == "failed" then return self.why end
  if self.state ~= "up" then
    if self.outgoing then
      self:cancel()
    elseif self._c then
      self:reject(480)
      return "local"
    end
    return self:wait()
  end
  check_op(self._c:hangup(), "the call is not up", "call:hangup")
  return self:wait()
end

-- call:reinvite(sdp): a re-INVITE with a new offer; the final status and
-- the answer's SDP.
function Call:reinvite(sdp)
  local ok, err = self._c and self._c:reinvite(sdp)
  if not ok then return nil, err or "the call is over" end
  self.local_sdp = sdp
  local w = waiter(nil)
  self._reinviting = w
  return suspend(w)
end

-- User agents -------------------------------------------------------------------

local UA = {}
UA.__index = UA

local function opt_string(cfg, name)
  local v = cfg[name]
  if v ~= nil and type(v) ~= "string" then
    error("ms.ua: " .. name .. " must be a string", 3)
  end
  return v
end

-- ms.ua{ aor =, listen =, user =, password =, display =, user_agent =,
-- outbound_proxy =, log_level = }: a user agent with a SIP stack of its
-- own, listening on 'listen' (a spec or a list of them; default
-- "udp:127.0.0.1:0"). 'user' defaults to the AOR's user. nil and why when
-- it cannot be made (a listener that cannot be opened, a bad AOR).
function ms.ua(cfg)
  assert(type(cfg) == "table", "ms.ua: a table of settings is needed")
  local aor = opt_string(cfg, "aor")
  if not aor then error("ms.ua: aor is needed (\"sip:alice@example.com\")", 2) end
  local listen = cfg.listen or "udp:127.0.0.1:0"
  if type(listen) == "string" then listen = { listen } end
  local c = {
    aor = aor, listen = listen, user = opt_string(cfg, "user"), password = opt_string(cfg, "password"),
    display = opt_string(cfg, "display"), user_agent = opt_string(cfg, "user_agent"),
    outbound_proxy = opt_string(cfg, "outbound_proxy"), log_level = opt_string(cfg, "log_level"),
  }
  if c.password and not c.user then c.user = aor:match("^sips?:([^@;]+)@") end
  local ua = setmetatable({ _incoming = {}, _accepting = {}, _calls = {}, aor = aor }, UA)
  local id = register(ua)
  local ud, err = low.ua(id, c)
  if not ud then
    objects[id] = nil
    return nil, err
  end
  ua._c, ua._id = ud, id
  ua.contact = ud:contact()
  return ua
end

function UA:_c_or_error()
  if not self._c then error("the user agent is closed", 3) end
  return self._c
end

function UA:_on_registered(status, expires)
  self.registration = { status = status, expires = expires }
  wake(self._registering, status, expires)
  self._registering = nil
end

function UA:_on_unregistered(status)
  self.registration = nil
  wake(self._unregistering, status)
  self._unregistering = nil
end

function UA:_on_incoming(c, id, invite)
  local call = new_call(self, c, id, false)
  call.request, call.state = invite, "incoming"
  call.id = invite.headers["call-id"]
  call.from, call.to = invite.headers.from, invite.headers.to
  if invite.body ~= "" then call.remote_sdp = invite.body end
  self._calls[call] = true
  if self.on_call then
    start(self.on_call, call)
  elseif #self._accepting > 0 then
    wake(table.remove(self._accepting, 1), call)
  else
    table.insert(self._incoming, call)
  end
end

function UA:_on_message(from, content_type, body)
  if self.on_message then start(self.on_message, from, content_type, body) end
end

function UA:_call_ended(call)
  self._calls[call] = nil
end

-- ua:register(registrar [, expires]): REGISTERs (answering a challenge
-- with the credentials) and keeps the registration refreshed; waits for
-- the first answer. The final status and the seconds granted.
function UA:register(registrar, expires)
  local ok, err = self:_c_or_error():register(registrar, expires)
  if not ok then error("ua:register: " .. err, 2) end
  local w = waiter(nil)
  self._registering = w
  return suspend(w)
end

-- ua:unregister(): the registration's REGISTER with Expires: 0; its status.
function UA:unregister()
  local ok, err = self:_c_or_error():unregister()
  if not ok then return nil, err end
  local w = waiter(nil)
  self._unregistering = w
  return suspend(w)
end

-- ua:request(method, uri [, { body =, content_type = }]): OPTIONS, MESSAGE,
-- ...; the final status and the response (a table: status, reason,
-- headers, body; nil for 408 without an answer and 503).
function UA:request(method, uri, opts)
  opts = opts or {}
  local r = {}
  local id = register(r)
  local ct = opts.content_type or (opts.body and "text/plain") or nil
  local ok, err = self:_c_or_error():request(id, method, uri, ct, opts.body)
  if not ok then
    objects[id] = nil
    error("ua:request: " .. err, 2)
  end
  local w = waiter(nil)
  r._on_response = function(_, status, resp)
    objects[id] = nil
    wake(w, status, resp)
  end
  return suspend(w)
end

-- ua:invite(uri [, { sdp =, timeout =, on_progress = }]): sends an INVITE
-- and returns its call at once (state "calling", then "early", "up" or
-- "failed"); call:result() waits for its answer. After 'timeout' seconds
-- without an answer the INVITE is cancelled.
function UA:invite(uri, opts)
  opts = opts or {}
  local id = register(false)
  local c, err = self:_c_or_error():call(id, uri, opts.sdp)
  if not c then
    objects[id] = nil
    error("ua:invite: " .. err, 2)
  end
  local call = new_call(self, c, id, true)
  call.local_sdp, call.on_progress, call.uri = opts.sdp, opts.on_progress, uri
  self._calls[call] = true
  if opts.timeout then
    local t = {}
    local tid = register(t)
    call._ring_timer, call._ring_timer_id = low.timer(tid, opts.timeout), tid
    t._on_timer = function()
      objects[tid] = nil
      call._ring_timer = nil
      call:cancel()
    end
  end
  return call
end

-- ua:call(uri [, opts]): ua:invite, then waits for the answer. The call
-- (up) and 200, or nil and the failure's status (487 once opts.timeout
-- seconds passed without an answer).
function UA:call(uri, opts)
  local call = self:invite(uri, opts)
  local status = call:result()
  if status == 200 then return call, 200 end
  return nil, status
end

-- ua:accept([timeout]): waits for the next incoming call (not yet
-- answered: ring, answer or reject it), or nil, "timeout". Not with
-- ua.on_call set, which gets every call as a task of its own instead.
function UA:accept(timeout)
  while #self._incoming > 0 do
    local call = table.remove(self._incoming, 1)
    if call.state == "incoming" then return call end
  end
  local w = waiter(timeout)
  table.insert(self._accepting, w)
  local call, why = suspend(w)
  if not call then
    for i, x in ipairs(self._accepting) do
      if x == w then table.remove(self._accepting, i) break end
    end
  end
  return call, why
end

-- ua:close(): frees the UA and its calls at once, sending nothing (call
-- ua:unregister() and hang up first for a clean exit).
function UA:close()
  if not self._c then return end
  for call in pairs(self._calls) do
    -- its C handle stays: freed with the UA, it answers "the call is over"
    call.state = "ended"
    objects[call._id] = nil
  end
  self._calls = {}
  self._c:close()
  self._c = nil
  objects[self._id] = nil
end

-- Media ---------------------------------------------------------------------------

-- ms.media{ address = "127.0.0.1", port = 0 }: an RTP endpoint (G.711):
-- m:offer(), m:answer(offer), m:set_answer(answer), m:echo(), m:play(bytes
-- or nil for silence, repeat), m:playing(), m:stop(), m:stats(), m:port(),
-- m:codec(), m:close().
function ms.media(opts)
  opts = opts or {}
  return low.media(opts.address or "127.0.0.1", opts.port or 0)
end
