-- Test fixture for tests/integration/nat_test.py: the nat table. The file
-- named by MS_NAT_MODE says what keep-alives the top level asks for (read
-- again on each reload): CRLF or OPTIONS every second, off
-- (nat.keepalive(false)), or none (no call at all).
local mode = "none"
local path = os.getenv("MS_NAT_MODE")
local f = path and io.open(path)
if f then
  mode = f:read("*l") or "none"
  f:close()
end
if mode == "off" then
  nat.keepalive(false)
elseif mode ~= "none" then
  nat.keepalive({ interval = 1, method = mode })
end
log.info("nat test script: keep-alives %s", mode)

-- X-Nat-Test: detect answers with what nat.detect said; fix relays to
-- X-Target with the Contact of the request, and of its 2xx, fixed.
function on_request(req)
  local test = req:header("X-Nat-Test")
  if test == "detect" then
    local yes, why = nat.detect(req)
    return req:reply(200, "OK", { ["X-Detect"] = tostring(yes) .. (why and " " .. why or "") })
  end
  if req.method == "REGISTER" then return registrar.save(req) end
  if req.method == "ACK" then return end
  if test == "fix" then
    local changed = nat.fix_contact(req)
    log.info("fix_contact on the INVITE: %s", tostring(changed))
    return proxy.relay(req, req:header("X-Target"), {
      on_reply = function(res)
        if res.status == 200 then
          log.info("fix_contact on the 200 from %s: %s", res.source.address, tostring(nat.fix_contact(res)))
        end
      end,
    })
  end
  req:reply(404, "Not Found")
end
