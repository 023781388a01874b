-- What becomes of a handler that fails, does not answer, or runs away.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("a failing handler", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/errors.lua", { max_run_ms = 100 }) end)
  teardown(function() t:close() end)
  before_each(function() t:logs() end)

  local function run(case, method)
    return t:request{ method = method or "MESSAGE", uri = "sip:bob@example.org", headers = { ["X-Case"] = case } }
  end
  local function logs() return table.concat(t:logs(), "\n") end

  it("gets a 500 for a runtime error, logged with file:line and a traceback", function()
    local a = run("error")
    assert.equals(1, #a)
    assert.equals(500, a[1].status)
    local l = logs()
    assert.matches("script error in on_request %([^)]*%): [^\n]*errors%.lua:4: boom from the script", l)
    assert.matches("stack traceback:", l)
    assert.matches("answered 500", l)
  end)

  it("gets a 500 for an error that is not a string", function()
    assert.equals(500, run("error_table")[1].status)
    assert.matches("%(error object is a table value%)", logs())
  end)

  it("gets a 500 for indexing nil", function()
    assert.equals(500, run("nil_index")[1].status)
    assert.matches("attempt to index field 'nothing'", logs())
  end)

  it("gets a 500 when it returns without answering, logged with on_request's place", function()
    local a = run("no_answer")
    assert.equals(1, #a)
    assert.equals(500, a[1].status)
    assert.matches("on_request %([^)]*errors%.lua:%d+%) returned without answering", logs())
  end)

  it("does not answer an ACK, even when it fails", function()
    assert.same({}, run("no_answer", "ACK"))
    assert.same({}, run("error", "ACK"))
    assert.matches("boom from the script", logs())
    assert.same({}, run("ack_reply", "ACK"))
    assert.matches("ack reply: .*an ACK is not answered", logs())
  end)

  it("goes on serving after errors", function()
    run("error")
    assert.equals(200, run("busy_ok")[1].status)
  end)

  describe("that runs away", function()
    -- Only loops that come back to moonsip (an API call) or to the
    -- interpreter can be stopped; a compiled loop that calls nothing is
    -- ended by the watchdog with the process (not tested: see README).
    for _, case in ipairs{ "runaway_now", "runaway_header", "runaway_store", "runaway_interpreted" } do
      it("is stopped with a 500: " .. case, function()
        local t0 = os.clock()
        local a = run(case)
        assert.equals(1, #a)
        assert.equals(500, a[1].status)
        assert.matches("script ran over 100 ms without yielding: stopped", logs())
        assert.is_true(os.clock() - t0 < 2)
      end)
    end

    it("is stopped by the error even inside a pcall of its own", function()
      local a = run("runaway_now")
      assert.equals(500, a[1].status)
      -- pcall catches the first error, but every API call after it raises
      -- again, so the handler still cannot answer.
      a = t:request{ method = "MESSAGE", uri = "sip:b@c", headers = { ["X-Case"] = "runaway_now", ["X-Pcall"] = "1" } }
      assert.equals(1, #a)
      assert.equals(500, a[1].status)
    end)

    it("does not touch a handler that works under the limit", function()
      assert.equals(200, run("busy_ok")[1].status)
    end)
  end)
end)
