-- Test fixture: the URI objects of a request, chosen by X-Case. Answers
-- 200 with what the case returned as X-Ret (an error as X-Err).
local function params(p)
  local out = {}
  for k, v in pairs(p) do out[#out + 1] = k .. "=" .. tostring(v) end
  table.sort(out)
  return table.concat(out, ",")
end

local cases = {}

-- The params of the Request-URI, From and To, as "name=value,...".
cases.params = function(req)
  return params(req.uri.params) .. "|" .. params(req.from.uri.params) .. "|" .. params(req.to.uri.params)
end

-- A second read gives the same params table, for each URI of the request.
cases.same = function(req)
  local out = {}
  for _, u in ipairs({ req.uri, req.from.uri, req.to.uri }) do
    local p = u.params
    out[#out + 1] = tostring(type(p) == "table" and rawequal(p, u.params))
  end
  return table.concat(out, ",")
end

-- A script's own param stays, on a URI with params and on one without.
cases.set = function(req)
  req.uri.params.x = "1"
  req.to.uri.params.y = true
  return params(req.uri.params) .. "|" .. params(req.to.uri.params)
end

-- A script's own params table replaces the one it would get.
cases.replace = function(req)
  req.to.uri.params = { z = "2" }
  return params(req.to.uri.params)
end

-- Reading params changes nothing else: text, tostring, the other fields.
cases.rest = function(req)
  local u = req.to.uri
  local before = tostring(u) .. " " .. u:tostring() .. " " .. tostring(u.user) .. "@" .. tostring(u.host)
  local _ = u.params
  local after = tostring(u) .. " " .. u:tostring() .. " " .. tostring(u.user) .. "@" .. tostring(u.host)
  return before == after and after or (before .. " ~= " .. after)
end

-- After params were read, pairs() finds the fields of the URI.
cases.pairs = function(req)
  local u = req.to.uri
  local _ = u.params
  local keys = {}
  for k in pairs(u) do keys[#keys + 1] = k end
  table.sort(keys)
  return table.concat(keys, ",")
end

-- URIs made by the script: the same.
cases.ms_uri = function()
  local a, b = ms.uri("sip:a@example.com;lr"), ms.uri("sip:b@example.com")
  b.params.q = "x"
  return params(a.params) .. "|" .. params(b.params) .. "|" .. tostring(rawequal(b.params, b.params)) ..
    "|" .. tostring(b)
end

-- URIs whose params were read go back to C as before.
cases.to_c = function(req)
  local _, _ = req.uri.params, req.to.uri.params
  return tostring(proxy.is_me(req.uri)) .. "|" .. #registrar.lookup(req.to.uri)
end

-- After an edit the URI is read again, params too.
cases.after_edit = function(req)
  local _ = req.uri.params
  req:set_uri("sip:carol@example.net;transport=udp")
  return params(req.uri.params)
end

function on_request(req)
  local ok, ret = pcall(cases[req:header("X-Case")], req)
  if not ok then return req:reply(200, "Error", { ["X-Err"] = tostring(ret) }) end
  return req:reply(200, "OK", { ["X-Ret"] = tostring(ret) })
end
