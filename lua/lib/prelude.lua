-- The Lua half of moonsip's script API, run once in every script's state
-- before the script. It gets the C functions as `core` and makes the
-- globals a script sees: log, ms, proxy, registrar, auth, rtp, nat. Everything also answers to
-- require "moonsip.<area>".
local core = ...

local type, tostring, select = type, tostring, select
local setmetatable, error, format = setmetatable, error, string.format

-- URIs ------------------------------------------------------------------

-- A parsed URI: scheme, user, host, port (number or nil), params (a table,
-- true for a parameter without a value), headers, text; tostring(u) and
-- u:tostring() give the text. Errors name what was wrong. The params of a
-- URI without any are made by the metatable's __index when first read
-- (lua/api_req.c): pairs(u) does not list them before.
local Uri = core.uri_mt
local function uri(s)
  if type(s) ~= "string" then
    error(format("bad argument #1 to 'ms.uri' (string expected, got %s)", type(s)), 2)
  end
  local u, why = core.uri_parse(s)
  if not u then error(format("bad URI '%s': %s", s, why), 2) end
  return setmetatable(u, Uri)
end

-- The request object is a C userdata (lua/api_req.c), with no table made
-- per request. Its methods are found here, in Lua, without a call into C
-- (a handler makes more method calls than field reads); fields are one C
-- call each, through the core's index.
do
  local methods, field = core.req_methods, core.req_field
  core.req_mt.__index = function(r, k)
    local m = methods[k]
    if m ~= nil then return m end
    return field(r, k)
  end
end

-- log -------------------------------------------------------------------

-- Every line carries the Call-ID of the request being handled.
local levels = { debug = 3, info = 2, warn = 1, err = 0 }
local log = {}
for name, level in pairs(levels) do
  log[name] = function(fmt, ...)
    if not core.log_enabled(level) then return end
    local line = select("#", ...) > 0 and format(fmt, ...) or tostring(fmt)
    core.log(level, line)
  end
end

-- ms --------------------------------------------------------------------

local ms = {
  uri = uri,
  now = core.now,
  sleep = function(seconds)
    if type(seconds) ~= "number" or seconds < 0 then
      error(format("bad argument #1 to 'sleep' (seconds >= 0 expected, got %s)", tostring(seconds)), 2)
    end
    return core.sleep(seconds)
  end,
  store = core.store,
  version = core.version,
  spawn = function(fn)
    if type(fn) ~= "function" then
      error(format("bad argument #1 to 'spawn' (function expected, got %s)", type(fn)), 2)
    end
    return core.spawn(fn)
  end,
}

-- rtp ---------------------------------------------------------------------

-- The media relay (lua/api_rtp.c). A call's media is known by its Call-ID
-- and the caller's tag; the caller is leg a, the callee leg b.
local rtp = {}

-- Puts the relay into the SDP of a request (an INVITE's offer; or, late
-- offer, a request without SDP, which only starts the call's media): true,
-- or nil, why and what failed ("noports": answer 503; "badsdp", "family").
-- opts: timeout (seconds without media before it ends; --media-timeout).
function rtp.offer(msg, opts)
  local timeout = opts and opts.timeout
  if timeout ~= nil and (type(timeout) ~= "number" or timeout < 0) then
    error(format("rtp.offer: option timeout must be a number of seconds >= 0, not %s", tostring(timeout)), 2)
  end
  return core.rtp_sdp(msg, true, timeout, "rtp.offer")
end

-- The same for the other SDP of the exchange (the answer in a 18x or 2xx,
-- the ACK's of a late offer, a re-INVITE's): true, or nil, why, and
-- "nocall" when no rtp.offer started the call's media.
function rtp.answer(msg)
  return core.rtp_sdp(msg, false, nil, "rtp.answer")
end

-- Ends the media of a call (a request or response of it, or a Call-ID:
-- every call of it), ports back to the pool; how many calls ended.
function rtp.delete(x)
  if type(x) ~= "string" and type(x) ~= "userdata" then
    error(format("bad argument #1 to 'rtp.delete' (message or Call-ID expected, got %s)", type(x)), 2)
  end
  return core.rtp_delete(x)
end

-- The figures of a call's media: { call_id, tag, duration, streams = { {
-- kind, relayed, a = leg, b = leg } } }, leg a what the caller sent and b
-- the callee: packets, bytes, lost, jitter_ms, rtcp_packets, forwarded,
-- dropped, rejected, last_time, ssrc, latched, peer, port. nil when none.
function rtp.stats(x)
  if type(x) ~= "string" and type(x) ~= "userdata" then
    error(format("bad argument #1 to 'rtp.stats' (message or Call-ID expected, got %s)", type(x)), 2)
  end
  return core.rtp_stats(x)
end

-- The relay's ports: { size, available, calls, address }.
function rtp.pool()
  return core.rtp_pool()
end

-- proxy.relay and proxy.route with { media = "relay" }: the offer before
-- the branches, the answers as responses come up, the media ended when
-- the call fails or ends.
local function media_on(opts)
  local m = opts.media
  if m == nil or m == false then return false end
  if m ~= "relay" then
    error(format("proxy.relay: option media must be \"relay\", not %s", tostring(m)), 4)
  end
  return true
end

-- The request's side: true when the relay is in (made or already there).
local function media_request(req)
  local method = req.method
  if not req.in_dialog then
    if method ~= "INVITE" then return false end
    local ok, why, kind = rtp.offer(req)
    if ok then return true end
    if kind == "noports" then return nil, why end
    log.warn("media not relayed: %s", why)
    return false
  end
  if not core.rtp_has(req) then return false end
  local ok, why = rtp.answer(req)
  if not ok then log.warn("media of %s not updated: %s", method, why) end
  return true
end

local function media_reply(user)
  return function(res)
    local ok, why, kind = rtp.answer(res)
    if not ok and kind ~= "nocall" then log.warn("media of a %d not relayed: %s", res.status, why) end
    if user then return user(res) end
  end
end

-- proxy -----------------------------------------------------------------

-- Targets as given (a URI string, a URI object, a contact table with uri
-- and q, or a list of them) into groups tried one after another: by q,
-- highest first, equal q together; all in one group when parallel.
local function target_groups(targets, parallel)
  local list = {}
  local function add(t, i)
    local text, q, contact = t, 1, nil
    if type(t) == "table" then
      if t.text then text = t.text else text, q, contact = t.uri, t.q or 1, t end
      if type(text) == "table" then text = text.text end
    end
    if type(text) ~= "string" or type(q) ~= "number" then
      error(format("bad target #%d to 'proxy.relay' (URI string, URI object or { uri = ..., q = ... } expected, got %s)",
        i, type(text) ~= "string" and type(text) or type(q)), 4)
    end
    local ok, why = core.uri_check(text)
    if not ok then error(format("bad target '%s' to 'proxy.relay': %s", text, why), 4) end
    list[#list + 1] = { text = text, q = q, i = #list, contact = contact }
  end
  if type(targets) == "table" and not targets.text and not targets.uri then
    for i, t in ipairs(targets) do add(t, i) end
  else
    add(targets, 1)
  end
  if #list == 0 then error("bad argument #2 to 'proxy.relay' (no targets)", 3) end
  if parallel then return { list } end
  table.sort(list, function(a, b) if a.q ~= b.q then return a.q > b.q end return a.i < b.i end)
  local groups, last = {}, nil
  for _, t in ipairs(list) do
    if t.q ~= last then groups[#groups + 1] = {}; last = t.q end
    local g = groups[#groups]
    g[#g + 1] = t
  end
  return groups
end

local NO_OPTS = setmetatable({}, { __newindex = function() error("proxy options are read-only", 2) end })
local FUNCTION_OPTS = { "on_reply", "on_branch" }

local function check_opts(opts)
  if opts == nil then return NO_OPTS end
  if type(opts) ~= "table" then
    error(format("bad argument #3 to 'proxy.relay' (table of options expected, got %s)", type(opts)), 3)
  end
  for _, k in ipairs(FUNCTION_OPTS) do
    if opts[k] ~= nil and type(opts[k]) ~= "function" then
      error(format("proxy.relay: option %s must be a function, not %s", k, type(opts[k])), 3)
    end
  end
  if opts.timeout ~= nil and (type(opts.timeout) ~= "number" or opts.timeout <= 0) then
    error(format("proxy.relay: option timeout must be a number of seconds > 0, not %s", tostring(opts.timeout)), 3)
  end
  if opts.headers ~= nil and type(opts.headers) ~= "table" then
    error(format("proxy.relay: option headers must be a table, not %s", type(opts.headers)), 3)
  end
  return opts
end

-- One branch: the request for it, the script's look, the next hop (looked
-- up when it is a name), the send. The branch's number, or nil and why.
local function start_branch(req, target, opts, contact)
  -- Without headers to add or a look at the branch, the request goes as it
  -- is (with the target as its Request-URI): no copy for the script. A
  -- registered contact brings its Path (as Route, RFC 3327) and the
  -- address its REGISTER came from (the way back through a NAT).
  local path = contact and contact.path ~= "" and contact.path or nil
  local received = contact and contact.nat and contact.received ~= "" and contact.received or nil
  local b = target
  if opts.headers or opts.on_branch or path then b = core.branch_request(req, target) end
  if path then b:add_header("Route", path) end
  if opts.headers then
    for name, v in pairs(opts.headers) do
      if type(v) == "table" then
        for _, x in ipairs(v) do b:add_header(name, x) end
      else
        b:add_header(name, v)
      end
    end
  end
  if opts.on_branch then opts.on_branch(b) end
  local via = not path and received or nil
  local no, name, port = core.branch_send(req, b, opts.record_route, opts.timeout, nil, via, via and contact.socket)
  if no == "lookup" then
    local addr, why = core.resolve(name, port)
    if not addr then return nil, format("%s: %s", name, why) end
    no, name = core.branch_send(req, b, opts.record_route, opts.timeout, addr)
  end
  return no, name
end

local proxy = {}

local relay

function proxy.relay(req, targets, opts)
  opts = check_opts(opts)
  if not media_on(opts) then return relay(req, targets, opts) end
  local anchored, why = media_request(req)
  if anchored == nil then -- no ports for the media: the call cannot be relayed
    req:reply(503, "Service Unavailable (no RTP ports left)")
    return core.relay_none(req, why)
  end
  if not anchored then return relay(req, targets, opts) end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.on_reply = media_reply(opts.on_reply)
  local res = relay(req, targets, o)
  if res.status >= 300 and not req.in_dialog then rtp.delete(req) end
  return res
end

function relay(req, targets, opts)
  if type(targets) == "string" then -- the usual case, without the tables of groups
    local ok, why = core.uri_check(targets)
    if not ok then error(format("bad target '%s' to 'proxy.relay': %s", targets, why), 2) end
    local go = core.relay_start(req, opts.on_reply)
    if go ~= true then return go end
    local no, err = start_branch(req, targets, opts)
    if no then return core.relay_wait(req) end
    log.warn("proxy.relay: %s not tried: %s", targets, err)
    return core.relay_none(req, err)
  end
  local groups = target_groups(targets, opts.parallel)
  local go = core.relay_start(req, opts.on_reply)
  if go ~= true then return go end
  local res, why
  for _, group in ipairs(groups) do
    local started = 0
    for _, t in ipairs(group) do
      local no, err = start_branch(req, t.text, opts, t.contact)
      if no then started = started + 1 else why = err; log.warn("proxy.relay: %s not tried: %s", t.text, err) end
    end
    if started > 0 then
      res = core.relay_wait(req)
      local s = res.status
      if s < 300 or s >= 600 or s == 487 then return res end
    end
  end
  return res or core.relay_none(req, why)
end

function proxy.forward(req, target)
  if type(target) == "table" then target = target.text end
  if type(target) ~= "string" then
    error(format("bad argument #2 to 'proxy.forward' (URI expected, got %s)", type(target)), 2)
  end
  local ok, name, port = core.forward(req, target)
  if ok == "lookup" then
    local addr, why = core.resolve(name, port)
    if not addr then return nil, format("%s: %s", name, why) end
    ok, name = core.forward(req, target, addr)
  end
  return ok, name
end

-- A request of this server's own (an OPTIONS probe, a MESSAGE), outside
-- any dialog: waits for the final response (a 408 after opts.timeout
-- seconds, or Timer F's 32) and returns it.
function proxy.request(method, uri, opts)
  local timeout = opts and opts.timeout
  if timeout ~= nil and (type(timeout) ~= "number" or timeout <= 0) then
    error(format("proxy.request: option timeout must be a number of seconds > 0, not %s", tostring(timeout)), 2)
  end
  if type(method) ~= "string" then
    error(format("bad argument #1 to 'proxy.request' (method expected, got %s)", type(method)), 2)
  end
  if type(uri) == "table" then uri = uri.text end
  if type(uri) ~= "string" then
    error(format("bad argument #2 to 'proxy.request' (URI expected, got %s)", type(uri)), 2)
  end
  local res, name, port = core.request_send(method, uri, timeout)
  if res == "lookup" then
    local addr, why = core.resolve(name, port)
    if not addr then return nil, format("%s: %s", name, why) end
    res, name = core.request_send(method, uri, timeout, addr)
  end
  return res, name
end

-- Whether a URI (a string or a URI object) names this server.
function proxy.is_me(uri)
  if type(uri) == "table" then uri = uri.text end
  if type(uri) ~= "string" then
    error(format("bad argument #1 to 'proxy.is_me' (URI expected, got %s)", type(uri)), 2)
  end
  return core.is_me(uri)
end

-- In-dialog requests: Route processing, then on to the Request-URI (the
-- top Route picks the hop). An ACK goes on without a transaction.
function proxy.route(req, opts)
  local media = opts ~= nil and type(opts) == "table" and media_on(opts)
  local target = core.route_prepare(req)
  local method = req.method
  if method == "ACK" then
    if not target then return nil, "no route for the ACK" end
    if media and core.rtp_has(req) then
      local ok, why = rtp.answer(req)
      if not ok then log.warn("media of the ACK not relayed: %s", why) end
    end
    return proxy.forward(req, target)
  end
  if not target then
    if media and method == "BYE" then rtp.delete(req) end
    return req:reply(404, "Not Found (nothing to route this in-dialog request on)")
  end
  local res = proxy.relay(req, target, opts)
  if media and method == "BYE" then rtp.delete(req) end
  return res
end

-- registrar ---------------------------------------------------------------

local registrar = {}

-- Answers the REGISTER (200 with every binding, 423, 400, 403 or 500 with a
-- reason) after its bindings are stored; returns the status.
function registrar.save(req)
  return core.reg_save(req)
end

local function aor_text(aor, fn)
  if type(aor) == "table" then aor = aor.text end
  if type(aor) ~= "string" then
    error(format("bad argument #1 to '%s' (address-of-record URI expected, got %s)", fn, type(aor)), 3)
  end
  return aor
end

-- The contacts of an address-of-record, highest q first: each { uri, q,
-- expires (seconds left), path, received, socket, nat, instance,
-- user_agent }, which proxy.relay takes as targets as they are (through
-- the Path, and to 'received' when the REGISTER came through a NAT).
function registrar.lookup(aor)
  return core.reg_lookup(aor_text(aor, "registrar.lookup"))
end

function registrar.remove(aor, contact)
  if type(contact) == "table" then contact = contact.text or contact.uri end
  return core.reg_remove(aor_text(aor, "registrar.remove"), contact)
end

-- auth --------------------------------------------------------------------

local auth = {}

-- A REGISTER is a registrar's (401, Authorization); anything else a
-- proxy's (407, Proxy-Authorization), unless opts.proxy says otherwise.
local function as_proxy(req, opts)
  if opts and opts.proxy ~= nil then return opts.proxy end
  return req.method ~= "REGISTER"
end

local function realm_arg(realm, fn)
  if type(realm) ~= "string" or realm == "" then
    error(format("bad argument #2 to '%s' (realm expected, got %s)", fn, type(realm)), 3)
  end
  return realm
end

-- The authenticated user name, or nil and why (no credentials, unknown user
-- or wrong password, stale nonce, replayed nonce-count, too many failures
-- from the address...). opts: proxy, max_age (seconds a nonce lives, 300).
function auth.check(req, realm, opts)
  return core.auth_check(req, realm_arg(realm, "auth.check"), as_proxy(req, opts), opts and opts.max_age)
end

-- Answers 401 (407 for a proxy) with a SHA-256 and an MD5 challenge
-- (stale=true after a stale nonce), or 403 to an address over its limit of
-- failures; returns the status. opts: proxy, algorithms (the challenges in
-- order, e.g. { "MD5" } for clients that stop at a SHA-256 one).
function auth.challenge(req, realm, opts)
  local algs = opts and opts.algorithms
  if algs ~= nil and type(algs) ~= "table" then
    error(format("auth.challenge: option algorithms must be a list, not %s", type(algs)), 2)
  end
  return core.auth_challenge(req, realm_arg(realm, "auth.challenge"), as_proxy(req, opts), algs)
end

-- Whether 'user' is in the users' table for 'realm' (moonsip user add).
function auth.is_user(user, realm)
  if type(user) ~= "string" then
    error(format("bad argument #1 to 'auth.is_user' (user name expected, got %s)", type(user)), 2)
  end
  return core.auth_is_user(user, realm_arg(realm, "auth.is_user"))
end

-- The client side: the value of an Authorization (answering a
-- WWW-Authenticate) or Proxy-Authorization (a Proxy-Authenticate) header,
-- for the first of 'challenges' (a header value, or a list of them in the
-- order received) that can be answered, or nil and why. creds: user,
-- password (or ha1), method, uri (the Request-URI of the request to send),
-- nc (1 for a new nonce, one up for each request on it), cnonce, body
-- (qop=auth-int).
function auth.authorize(challenges, creds)
  return core.auth_authorize(challenges, creds)
end

-- Removes the credentials before the request is relayed, so that they do
-- not go downstream.
function auth.consume(req, opts)
  return req:remove_header(as_proxy(req, opts) and "Proxy-Authorization" or "Authorization")
end

local api = {
  log = log,
  ms = ms,
  proxy = proxy,
  registrar = registrar,
  auth = auth,
  rtp = rtp,
  nat = core.nat_api,
}
for name, t in pairs(api) do
  _G[name] = t
  package.loaded["moonsip." .. name] = t
end

-- What would block the loop or end the process is not there (README).
os.exit, os.execute, io.popen, io.read, io.lines, debug.sethook = nil, nil, nil, nil, nil, nil

