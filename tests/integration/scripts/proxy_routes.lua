-- Test fixture for tests/integration/proxy_test.py: the callee's user part
-- picks how the call is relayed to the SIPp UASs at UAS1 and UAS2 (URIs
-- from the environment).
local UAS1, UAS2 = os.getenv("UAS1"), os.getenv("UAS2")

local routes = {
  -- one target
  bob = function(req) return proxy.relay(req, UAS1, { record_route = true }) end,
  -- both at once
  fork = function(req) return proxy.relay(req, { UAS1, UAS2 }, { record_route = true, parallel = true }) end,
  -- UAS1 first (q 1.0), UAS2 when it fails (q 0.5)
  serial = function(req)
    return proxy.relay(req, { { uri = UAS2, q = 0.5 }, { uri = UAS1, q = 1.0 } }, { record_route = true })
  end,
  -- the branch and the responses edited on their way
  edit = function(req)
    local n = 0
    return proxy.relay(req, UAS1, {
      record_route = true,
      headers = { ["X-Added"] = "by-relay" },
      on_branch = function(b)
        n = n + 1
        b:set_header("X-Branch", tostring(n))
        b:remove_header("Subject")
      end,
      on_reply = function(res) res:add_header("X-Reply", res.status .. " seen") end,
    })
  end,
  -- UAS1 by the name "localhost" (looked up, /etc/hosts only)
  named = function(req)
    return proxy.relay(req, (UAS1:gsub("127%.0%.0%.1", "localhost")), { record_route = true })
  end,
  -- a branch may ring 2 s
  short = function(req) return proxy.relay(req, UAS1, { record_route = true, timeout = 2 }) end,
}

local keep
local function churn()
  collectgarbage("collect")
  keep = {}
  for i = 1, 2000 do keep[i] = string.rep("x", 200 + i % 200) .. i end
end

function on_request(req)
  if req.in_dialog then return proxy.route(req) end
  -- A tail call into proxy.relay leaves no frame of the script holding
  -- req while it waits; a full collection then (from on_reply, on the
  -- 180), and new objects in the memory it freed, must not take the
  -- request away.
  if req.uri.user == "gc" then
    return proxy.relay(req, UAS1, { record_route = true, on_reply = churn })
  end
  if req.method == "ACK" then return end
  if req.method == "CANCEL" then return req:reply(481) end
  local route = routes[req.uri.user or ""]
  if not route then return req:reply(404, "Not Found: no such test route") end
  local res = route(req)
  log.info("%s for %s: %d %s", req.method, req.uri.user, res.status, res.reason)
end
