-- A tiny back-to-back user agent: every call it gets, it places again to
-- one target and bridges the two dialogs. The SDP goes through as it is
-- (media flows between the ends), a failure of the second leg is the
-- first leg's answer, and a BYE on either side ends both.
--
--   luajit b2bua.lua --to sip:service@192.0.2.9:5060 [--listen SPEC]
--       [--register sip:192.0.2.1:5060 --aor sip:bob@192.0.2.1 --password PW]
--       [--calls N]
--
-- With --register it registers the AOR (answering the registrar's
-- challenge) so a proxy sends it that user's calls. It prints a line per
-- event and exits 0 after N calls (un-registering), or on SIGINT/SIGTERM.
local ms = require "moonsip"
io.stdout:setvbuf("line") -- each line as it happens, also into a pipe

local function usage(why)
  io.stderr:write("b2bua.lua: ", why, "\nusage: luajit b2bua.lua --to URI [--listen SPEC] ",
    "[--register URI --aor AOR --password PW] [--calls N]\n")
  os.exit(2)
end

local o = { listen = "udp:127.0.0.1:5080", aor = "sip:b2bua@127.0.0.1" }
for i = 1, #arg, 2 do
  local name = arg[i]:match("^%-%-(%w+)$")
  if not name or not arg[i + 1] then usage("bad argument " .. arg[i]) end
  o[name] = arg[i + 1]
end
if not o.to then usage("--to is needed") end
local calls_left = tonumber(o.calls or "0")

-- One bridged call: 'a' came in, 'b' goes out.
local function bridge(ua, a)
  print("call from " .. a.from)
  local b = ua:invite(o.to, {
    sdp = a.remote_sdp,
    on_progress = function() if a.state == "incoming" then a:ring() end end,
  })
  -- The caller's side: a CANCEL or a BYE from it ends the other leg.
  ms.spawn(function()
    a:wait()
    if b.state == "calling" or b.state == "early" then
      b:cancel()
    elseif b.state == "up" then
      b:hangup()
      print("ended by the caller")
    end
  end)
  local status = b:result()
  if status ~= 200 then
    print("to " .. o.to .. ": " .. status)
    if a.state == "incoming" then a:reject(status) end
    return
  end
  if a.state ~= "incoming" or not a:answer(b.remote_sdp) then
    print("the caller left before the answer")
    if b.state == "up" then b:hangup() end
    return
  end
  print("bridged")
  if b:wait() == "remote" and a.state == "up" then
    a:hangup()
    print("ended by the callee")
  end
end

ms.run(function()
  local ua = assert(ms.ua { aor = o.aor, password = o.password, listen = o.listen,
    user_agent = "moonsip-example-b2bua" })
  local function leave()
    if o.register then ua:unregister() print("unregistered") end
    ua:close()
    os.exit(0)
  end
  ms.signal("INT", leave)
  ms.signal("TERM", leave)
  if o.register then
    local status, expires = ua:register(o.register, 300)
    if status ~= 200 then print("registration failed: " .. status) os.exit(1) end
    print("registered for " .. expires .. " s")
  end
  local finished = 0
  while true do
    local a = ua:accept()
    ms.spawn(function()
      bridge(ua, a)
      finished = finished + 1
      if finished == calls_left then leave() end
    end)
  end
end)
