-- log, ms.now, ms.store, globals, and reloading.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

local function msg(case, extra)
  local h = { ["X-Case"] = case }
  for k, v in pairs(extra or {}) do h[k] = v end
  return { method = "MESSAGE", uri = "sip:bob@example.org", headers = h }
end

describe("script state", function()
  local t
  before_each(function() t = ms.test.load(here .. "/scripts/state.lua") end)
  after_each(function() t:close() end)

  local function one(case, extra)
    local a = t:request(msg(case, extra))
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    return a[1].headers
  end

  describe("log", function()
    it("writes each level, formatted, with the Call-ID", function()
      local h = one("log")
      local l = t:logs()
      local id = h["call-id"]:gsub("%p", "%%%0")
      assert.matches("^debug: %[" .. id .. "%] debug line fmt 42$", l[1])
      assert.matches("^info: %[" .. id .. "%] info line$", l[2])
      assert.matches("^warn: %[" .. id .. "%] warn line  3%.14$", l[3])
      assert.matches('^error: %[' .. id .. '%] err line "quoted"$', l[4])
      assert.matches("^info: %[" .. id .. "%] table: ", l[5])
    end)

    it("raises a Lua error for a bad format (a 500 when uncaught)", function()
      local a = t:request(msg("log_bad_format"))
      assert.equals(500, a[1].status)
      assert.matches("bad argument #2 to 'format'", table.concat(t:logs(), "\n"))
    end)
  end)

  it("ms.now returns the time as a number", function()
    local h = one("now")
    assert.equals("number", h["x-type"])
    assert.is_true(math.abs(tonumber(h["x-now"]) - os.time()) < 5)
  end)

  describe("ms.store", function()
    local function get(key) return one("get", { ["X-Key"] = key })["x-value"] end

    it("sets and gets strings, numbers and booleans", function()
      one("set", { ["X-Key"] = "s", ["X-Value"] = "text" })
      one("set", { ["X-Key"] = "n", ["X-Value"] = "2.5", ["X-Type"] = "number" })
      one("set", { ["X-Key"] = "b", ["X-Value"] = "false", ["X-Type"] = "boolean" })
      assert.equals("string:text", get("s"))
      assert.equals("number:2.5", get("n"))
      assert.equals("boolean:false", get("b"))
      assert.equals("nil:nil", get("missing"))
    end)

    it("overwrites and deletes", function()
      one("set", { ["X-Key"] = "k", ["X-Value"] = "one" })
      one("set", { ["X-Key"] = "k", ["X-Value"] = "two" })
      assert.equals("string:two", get("k"))
      one("delete", { ["X-Key"] = "k" })
      assert.equals("nil:nil", get("k"))
      one("delete", { ["X-Key"] = "never-there" })
    end)

    it("counts with incr", function()
      assert.equals("number:1", one("incr", { ["X-Key"] = "c" })["x-value"])
      assert.equals("number:2", one("incr", { ["X-Key"] = "c" })["x-value"])
      assert.equals("number:12", one("incr", { ["X-Key"] = "c", ["X-By"] = "10" })["x-value"])
      assert.equals("number:12", get("c"))
    end)

    it("lets an entry expire after its time to live", function()
      local h = one("ttl")
      assert.equals("string:lived", h["x-before"])
      assert.equals("nil:nil", h["x-after"])
    end)

    it("starts a counter again once it expired", function()
      local h = one("incr_ttl")
      assert.equals("number:2", h["x-before"])
      assert.equals("number:1", h["x-after"])
    end)

    local bad = {
      set_table = "ms.store holds numbers, strings and booleans, not table",
      set_function = "ms.store holds numbers, strings and booleans, not function",
      key_number = "string key expected, got number",
      get_key_table = "string key expected, got table",
      incr_string = "ms.store.incr: 's' holds a string, not a number",
      bad_ttl = "bad time to live",
      ttl_string = "number expected, got string",
    }
    for name, message in pairs(bad) do
      it("raises an error for " .. name, function()
        local h = one("bad", { ["X-Bad"] = name })
        assert.equals("false", h["x-ok"])
        assert.truthy(h["x-err"]:find(message, 1, true), "'" .. message .. "' not in '" .. h["x-err"] .. "'")
      end)
    end

    it("survives a reload", function()
      one("set", { ["X-Key"] = "kept", ["X-Value"] = "yes" })
      assert.is_true(t:reload())
      assert.equals("string:yes", get("kept"))
    end)
  end)

  describe("ms.sleep misuse", function()
    local bad = {
      sleep_negative = "bad argument #1 to 'sleep' (seconds >= 0 expected, got -1)",
      sleep_string = "bad argument #1 to 'sleep' (seconds >= 0 expected, got 1)",
      sleep_in_coroutine = "ms.sleep can only be called from a request handler",
    }
    for name, message in pairs(bad) do
      it("raises an error for " .. name, function()
        local h = one("bad", { ["X-Bad"] = name })
        assert.equals("false", h["x-ok"])
        assert.truthy(h["x-err"]:find(message, 1, true), "'" .. message .. "' not in '" .. h["x-err"] .. "'")
      end)
    end
  end)

  describe("globals", function()
    it("persist between requests", function()
      assert.equals("1", one("count")["x-count"])
      assert.equals("2", one("count")["x-count"])
      assert.equals("3", one("count")["x-count"])
    end)

    it("start again after a reload", function()
      one("count")
      one("count")
      assert.is_true(t:reload())
      assert.equals("1", one("count")["x-count"])
    end)

    it("may keep a request, but its fields and methods end with its handler", function()
      one("keep")
      local h = one("bad", { ["X-Bad"] = "kept_method" })
      assert.equals("false", h["x-ok"])
      assert.matches("request used after its handler ended", h["x-err"])
      h = one("bad", { ["X-Bad"] = "kept_uri" })
      assert.equals("false", h["x-ok"])
      assert.matches("request used after its handler ended", h["x-err"])
      h = one("bad", { ["X-Bad"] = "kept_request" })
      assert.equals("false", h["x-ok"])
      assert.matches("request used after its handler ended", h["x-err"])
    end)
  end)

  describe("reload", function()
    local path
    local function write(text)
      local f = assert(io.open(path, "w"))
      f:write(text)
      f:close()
    end
    before_each(function() path = os.tmpname() .. ".lua" end)
    after_each(function() os.remove(path) end)

    it("switches to the new script", function()
      write('function on_request(req) return req:reply(200, "Old") end\n')
      local r = ms.test.load(path)
      assert.equals("Old", r:request(msg("x"))[1].reason)
      write('function on_request(req) return req:reply(200, "New") end\n')
      assert.is_true(r:reload())
      assert.equals("New", r:request(msg("x"))[1].reason)
      r:close()
    end)

    it("keeps the old script on a syntax error", function()
      write('function on_request(req) return req:reply(200, "Old") end\n')
      local r = ms.test.load(path)
      write('function on_request(req)\n  return req:reply(200 "Broken")\nend\n')
      local ok, err = r:reload()
      assert.is_nil(ok)
      assert.truthy(err:find(path .. ":2:", 1, true), err)
      assert.equals("Old", r:request(msg("x"))[1].reason)
      write('function on_request(req) return req:reply(200, "Fixed") end\n')
      assert.is_true(r:reload())
      assert.equals("Fixed", r:request(msg("x"))[1].reason)
      r:close()
    end)

    it("keeps the old script when the new one defines no on_request", function()
      write('function on_request(req) return req:reply(200, "Old") end\n')
      local r = ms.test.load(path)
      write('x = 1\n')
      local ok, err = r:reload()
      assert.is_nil(ok)
      assert.matches("defines no function on_request", err)
      assert.equals("Old", r:request(msg("x"))[1].reason)
      r:close()
    end)

    it("lets a running handler finish on the old script", function()
      write('function on_request(req) ms.sleep(0.05) return req:reply(200, "Old") end\n')
      local r = ms.test.load(path)
      r:send(msg("x"))
      write('function on_request(req) return req:reply(200, "New") end\n')
      assert.is_true(r:reload())
      r:send(msg("x"))
      local a = r:run()
      assert.equals(2, #a)
      assert.equals("New", a[1].reason)
      assert.equals("Old", a[2].reason)
      r:close()
    end)
  end)
end)
