-- Fixture for tests/lua/nat_spec.lua: the nat table without a network.
-- The top level may ask for keep-alives: the harness takes it and sends
-- nothing (a handler that calls nat.keepalive is told it needs a server).
nat.keepalive({ interval = 10, method = "OPTIONS" })
local cases = {
  detect = function(req)
    local yes, why = nat.detect(req)
    return { ["X-Detect"] = tostring(yes) .. (why and " " .. why or "") }
  end,
  fix = function(req)
    local changed = nat.fix_contact(req)
    local again = nat.fix_contact(req) -- already the source: nothing more to do
    local yes, why = nat.detect(req)
    return { ["X-Fixed"] = tostring(changed) .. " " .. tostring(again), ["X-Contact"] = req:header("Contact"),
             ["X-Detect"] = tostring(yes) .. (why and " " .. why or "") }
  end,
}

-- Each a call that must fail; X-Err is its message.
local errors = {
  detect_nil = function() nat.detect(nil) end,
  detect_string = function() nat.detect("INVITE sip:x SIP/2.0") end,
  keepalive_number = function() nat.keepalive(5) end,
  keepalive_zero = function() nat.keepalive({ interval = 0 }) end,
  keepalive_nan = function() nat.keepalive({ interval = 0 / 0 }) end,
  keepalive_text = function() nat.keepalive({ interval = "30" }) end,
  keepalive_method = function() nat.keepalive({ method = "PING" }) end,
  keepalive_typo = function() nat.keepalive({ intervall = 5 }) end,
  keepalive_harness = function() nat.keepalive({ interval = 5, method = "options" }) end,
  keepalive_off = function() nat.keepalive(false) end,
}

function on_request(req)
  local case = req:header("X-Case")
  if cases[case] then return req:reply(200, "OK", cases[case](req)) end
  local ok, err = pcall(errors[case])
  return req:reply(200, "OK", { ["X-Err"] = ok and "no error" or tostring(err) })
end
