-- Test fixture: req:reply and req:reply_stateless, chosen by X-Case.
-- With X-Pcall the case runs in a pcall and the error goes back as X-Err.
local cases = {}

cases.reason = function(req) return req:reply(486, "Busy Here Now") end
cases.standard = function(req) return req:reply(404) end
cases.headers = function(req)
  return req:reply(200, "OK", { ["X-One"] = "1", ["X-Many"] = { "a", "b", "c" }, ["X-Num"] = 7 })
end
cases.headers_no_reason = function(req) return req:reply(202, { ["X-A"] = "1" }) end
cases.redirect = function(req)
  return req:reply(302, nil, { contacts = { "sip:alice@192.0.2.1", "<sip:alice@192.0.2.2>;q=0.5" } })
end
cases.body = function(req)
  return req:reply(200, "OK", { ["Content-Type"] = "text/plain" }, "hello body")
end
cases.body_compact = function(req)
  return req:reply(200, "OK", { c = "text/plain" }, "compact")
end
cases.provisional = function(req)
  req:reply(180)
  req:reply(183, "Session Progress")
  return req:reply(200)
end
cases.twice = function(req)
  req:reply(200)
  return req:reply(486)
end
cases.twice_pcall = function(req)
  req:reply(200)
  local ok, err = pcall(req.reply, req, 486)
  log.info("second reply: %s %s", tostring(ok), tostring(err))
end
cases.returns = function(req)
  local r = req:reply(200)
  log.info("reply returned %s", tostring(r))
end
cases.stateless = function(req) return req:reply_stateless(403, "Go Away", { ["X-S"] = "1" }) end
cases.bad_code = function(req) return req:reply(99) end
cases.bad_code_high = function(req) return req:reply(700) end
cases.bad_code_string = function(req) return req:reply("x") end
cases.bad_code_missing = function(req) return req:reply() end
cases.bad_reason = function(req) return req:reply(200, 5, {}) end
cases.bad_headers = function(req) return req:reply(200, "OK", "X-A: 1") end
cases.bad_header_value = function(req) return req:reply(200, "OK", { ["X-A"] = true }) end
cases.bad_header_crlf = function(req) return req:reply(200, "OK", { ["X-A"] = "1\r\nX-B: 2" }) end
cases.bad_body = function(req) return req:reply(200, "OK", {}, { "not a string" }) end
cases.body_no_type = function(req) return req:reply(200, "OK", {}, "a body") end
cases.bad_stateless = function(req) return req:reply_stateless(1000) end

function on_request(req)
  local case = cases[req:header("X-Case")]
  if not case then return req:reply(400, "Unknown X-Case") end
  if req:header("X-Pcall") then
    local ok, err = pcall(case, req)
    if ok then return end -- answered by the case
    return req:reply(200, "Caught", { ["X-Err"] = tostring(err) })
  end
  return case(req)
end
