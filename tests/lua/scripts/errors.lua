-- Test fixture: handlers that fail, run away or do not answer, by X-Case.
local cases = {}

cases.error = function() error("boom from the script") end
cases.error_table = function() error({ code = 1 }) end
cases.nil_index = function(req) return req.nothing.here end
cases.no_answer = function() end
cases.ack_reply = function(req)
  local _, err = pcall(req.reply, req, 200)
  log.info("ack reply: %s", tostring(err))
end
cases.runaway_now = function() while true do ms.now() end end
cases.runaway_header = function(req) while true do req:header("Via") end end
cases.runaway_store = function() while true do ms.store.get("k") end end
-- Interpreted code: the instruction hook stops it. jit.off keeps LuaJIT
-- from compiling this one loop (a compiled loop that calls nothing is not
-- stoppable: the watchdog ends the process, see the README).
cases.runaway_interpreted = function()
  local n = 0
  while true do n = n + 1 end
end
jit.off(cases.runaway_interpreted)
cases.busy_ok = function(req)
  -- Work under the limit, with API calls in it, then an answer.
  local t0 = ms.now()
  while ms.now() - t0 < 0.02 do end
  return req:reply(200)
end

function on_request(req)
  local case = cases[req:header("X-Case") or ""]
  if not case then return req:reply(400, "Unknown X-Case") end
  if req:header("X-Pcall") then
    local _, err = pcall(case, req)
    return req:reply(200, "Caught", { ["X-Err"] = tostring(err) })
  end
  return case(req)
end
