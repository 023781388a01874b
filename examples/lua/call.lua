-- Places one call, sends audio for a while, hangs up and prints how it went.
--
--   luajit call.lua sip:alice@192.0.2.1 PASSWORD sip:bob@192.0.2.1
--       [--proxy sip:192.0.2.1:5060] [--seconds 5] [--play FILE]
--       [--listen udp:127.0.0.1:0] [--rtp-address 127.0.0.1] [--ring 30]
--
-- The audio is FILE (a WAV of 8 kHz G.711, or raw G.711 bytes), in a loop,
-- or silence. It prints "answered", then "sent N packets, received M"
-- and "hung up" (or "the callee hung up"); a call that fails prints its
-- status. Exits 0 when the call was answered, 1 when not, 2 for bad
-- arguments. With the module built in build/lua:
--   LUA_CPATH='build/lua/?.so;;' luajit examples/lua/call.lua ...
local ms = require "moonsip"
io.stdout:setvbuf("line") -- each line as it happens, also into a pipe

local function usage(why)
  io.stderr:write("call.lua: ", why, "\nusage: luajit call.lua AOR PASSWORD TARGET [--proxy URI] ",
    "[--seconds N] [--play FILE] [--listen SPEC] [--rtp-address A] [--ring N]\n")
  os.exit(2)
end

local function parse(args)
  local o = { seconds = 5, ring = 30, listen = "udp:127.0.0.1:0", rtp_address = "127.0.0.1" }
  o.aor, o.password, o.target = args[1], args[2], args[3]
  if not o.target then usage("AOR, PASSWORD and TARGET are needed") end
  local i = 4
  while args[i] do
    local name, value = args[i]:match("^%-%-([%w-]+)$"), args[i + 1]
    if not name or not value then usage("bad argument " .. args[i]) end
    o[name:gsub("-", "_")] = value
    i = i + 2
  end
  o.seconds, o.ring = tonumber(o.seconds), tonumber(o.ring)
  if not o.seconds or not o.ring then usage("--seconds and --ring take a number") end
  return o
end

-- The G.711 bytes of a file: a WAV's data chunk (format 6 A-law or 7
-- mu-law, 8 kHz, mono), or the whole file when it is no WAV.
local function load_audio(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  if data:sub(1, 4) ~= "RIFF" then return data end
  local fmt, rate, channels = data:byte(21) + 256 * data:byte(22), nil, data:byte(23)
  rate = data:byte(25) + 256 * data:byte(26)
  if (fmt ~= 6 and fmt ~= 7) or rate ~= 8000 or channels ~= 1 then
    error(path .. ": a WAV of 8 kHz mono G.711 (A-law or mu-law) is needed")
  end
  local at = data:find("data", 13, true)
  if not at then error(path .. ": no data chunk") end
  return data:sub(at + 8)
end

local o = parse(arg)
local audio = o.play and load_audio(o.play)
local answered = false

ms.run(function()
  local ua = assert(ms.ua { aor = o.aor, password = o.password, listen = o.listen,
    outbound_proxy = o.proxy, user_agent = "moonsip-example-call" })
  local media = assert(ms.media { address = o.rtp_address })
  local call, status = ua:call(o.target, {
    sdp = media:offer(),
    timeout = o.ring,
    on_progress = function(_, code) print("ringing " .. code) end,
  })
  if not call then
    print("failed: " .. status)
  else
    answered = true
    print("answered")
    local ok, err = media:set_answer(call.remote_sdp or "")
    if ok then
      media:play(audio, true)
    else
      print("no audio: " .. err)
    end
    -- Talk for the time asked, unless the callee hangs up first.
    local why = call:wait(o.seconds)
    local st = media:stats()
    print(string.format("sent %d packets, received %d", st.sent, st.received))
    if why == "remote" then
      print("the callee hung up")
    else
      call:hangup()
      print("hung up")
    end
  end
  media:close()
  ua:close()
end)
os.exit(answered and 0 or 1)
