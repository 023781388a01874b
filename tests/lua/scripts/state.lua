-- Test fixture: log, ms.now, ms.store and globals, by X-Case.
local cases = {}

count = count or 0 -- a global: kept between requests, reset by a reload
loaded_at = ms.now()

cases.log = function(req)
  log.debug("debug line %s %d", "fmt", 42)
  log.info("info line")
  log.warn("warn line %5.2f", 3.14159)
  log.err("err line %q", "quoted")
  log.info({}) -- not a string: written with tostring
  return req:reply(200)
end
cases.log_bad_format = function(req)
  log.info("%d", "not a number")
  return req:reply(200)
end
cases.now = function(req)
  local now = ms.now()
  return req:reply(200, "OK", { ["X-Type"] = type(now), ["X-Now"] = string.format("%.6f", now) })
end
cases.count = function(req)
  count = count + 1
  return req:reply(200, "OK", { ["X-Count"] = tostring(count) })
end
local function value(v)
  return type(v) .. ":" .. tostring(v)
end
cases.set = function(req)
  local v = req:header("X-Value")
  local kind = req:header("X-Type")
  if kind == "number" then v = tonumber(v) elseif kind == "boolean" then v = v == "true" end
  ms.store.set(req:header("X-Key"), v, tonumber(req:header("X-Ttl") or ""))
  return req:reply(200)
end
cases.get = function(req)
  return req:reply(200, "OK", { ["X-Value"] = value(ms.store.get(req:header("X-Key"))) })
end
cases.incr = function(req)
  local by = tonumber(req:header("X-By") or "")
  local ttl = tonumber(req:header("X-Ttl") or "")
  return req:reply(200, "OK", { ["X-Value"] = value(ms.store.incr(req:header("X-Key"), by, ttl)) })
end
cases.delete = function(req)
  ms.store.delete(req:header("X-Key"))
  return req:reply(200)
end
cases.ttl = function(req)
  ms.store.set("short", "lived", 0.1)
  local before = value(ms.store.get("short"))
  ms.sleep(0.2)
  return req:reply(200, "OK", { ["X-Before"] = before, ["X-After"] = value(ms.store.get("short")) })
end
cases.incr_ttl = function(req)
  ms.store.incr("hits", 1, 0.1)
  local before = value(ms.store.incr("hits", 1, 0.1))
  ms.sleep(0.2)
  return req:reply(200, "OK", { ["X-Before"] = before, ["X-After"] = value(ms.store.incr("hits")) })
end
local bad = {
  set_table = function() ms.store.set("k", {}) end,
  set_function = function() ms.store.set("k", print) end,
  key_number = function() ms.store.set(1, "v") end,
  get_key_table = function() ms.store.get({}) end,
  incr_string = function() ms.store.set("s", "text"); ms.store.incr("s") end,
  bad_ttl = function() ms.store.set("k", "v", -1) end,
  ttl_string = function() ms.store.set("k", "v", "soon") end,
  sleep_negative = function() ms.sleep(-1) end,
  sleep_string = function() ms.sleep("1") end,
  sleep_in_coroutine = function() coroutine.wrap(function() ms.sleep(0) end)() end,
  kept_request = function() return kept:header("Via") end,
  kept_method = function() return kept.method end,
  kept_uri = function() return kept.uri end,
}
cases.keep = function(req)
  kept = req -- a request kept past its handler: usable while it runs only
  local _ = req.method .. tostring(req.uri)
  return req:reply(200)
end
cases.bad = function(req)
  local ok, err = pcall(bad[req:header("X-Bad")])
  return req:reply(200, "OK", { ["X-Ok"] = tostring(ok), ["X-Err"] = tostring(err) })
end

function on_request(req)
  local case = cases[req:header("X-Case") or ""]
  if not case then return req:reply(400, "Unknown X-Case") end
  return case(req)
end
