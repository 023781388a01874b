-- The module's user agents: ms.run and tasks, ms.ua, calls both ways,
-- ms.media, over real sockets on 127.0.0.1 (every port picked by the
-- system, so specs run in parallel). Each ms.run is bounded: a guard task
-- fails the spec if it has not finished in time.
local ms = require "moonsip"
local ffi = require "ffi"
ffi.cdef [[ int getpid(void); int kill(int pid, int sig); ]]

-- Runs fn as the main task with a guard: an error after 'limit' seconds.
local function run(fn, limit)
  local done = false
  ms.run(function()
    ms.spawn(function()
      for _ = 1, (limit or 10) * 20 do
        if done then return end
        ms.sleep(0.05)
      end
      error("the spec's tasks did not finish in time")
    end)
    fn()
    done = true
  end)
end

local function port_of(ua)
  return tonumber(ua.contact:match(":(%d+)>$"))
end

local function two_uas()
  local bob = assert(ms.ua { aor = "sip:bob@127.0.0.1" })
  local alice = assert(ms.ua { aor = "sip:alice@127.0.0.1", display = "Alice", user_agent = "spec" })
  return alice, bob, "sip:bob@127.0.0.1:" .. port_of(bob)
end

describe("ms.run", function()
  it("runs tasks until they have finished, in the order they wait", function()
    local order = {}
    ms.run(function()
      ms.spawn(function()
        ms.sleep(0.02)
        order[#order + 1] = "b"
      end)
      order[#order + 1] = "a"
      ms.sleep(0.04)
      order[#order + 1] = "c"
    end)
    assert.same({ "a", "b", "c" }, order)
  end)

  it("returns at ms.stop() and goes on with the tasks left at the next run", function()
    local steps = {}
    ms.run(function()
      ms.spawn(function()
        ms.sleep(0.05)
        steps[#steps + 1] = "late"
      end)
      ms.stop()
    end)
    steps[#steps + 1] = "stopped"
    ms.run()
    assert.same({ "stopped", "late" }, steps)
  end)

  it("raises a task's error with its traceback", function()
    local ok, err = pcall(ms.run, function()
      ms.sleep(0.01)
      error("boom in a task")
    end)
    assert.is_false(ok)
    assert.matches("boom in a task", err)
    assert.matches("stack traceback", err)
  end)

  it("refuses to wait outside a task", function()
    assert.has_error(function() ms.sleep(0) end, "this waits: call it from a task of ms.run or ms.spawn")
  end)

  it("refuses to wait in a coroutine of the user's own", function()
    local ok, err
    ms.run(function()
      local co = coroutine.create(function() ms.sleep(0) end)
      ok, err = coroutine.resume(co)
    end)
    assert.is_false(ok)
    assert.matches("call it from a task", err)
  end)

  it("runs a signal handler as a task", function()
    local got
    run(function()
      local restore = ms.signal("USR1", function(name) got = name end)
      ffi.C.kill(ffi.C.getpid(), 10)
      for _ = 1, 100 do
        if got then break end
        ms.sleep(0.01)
      end
      restore()
    end)
    assert.equals("USR1", got)
  end)
end)

describe("ms.ua", function()
  it("needs an AOR and a listener it can open", function()
    assert.has_error(function() ms.ua {} end)
    local ua, err = ms.ua { aor = "sip:a@127.0.0.1", listen = "udp:192.0.2.1:5060" }
    assert.is_nil(ua)
    assert.matches("could not be made", err)
    local busy = assert(ms.ua { aor = "sip:a@127.0.0.1" })
    ua = ms.ua { aor = "sip:a@127.0.0.1", listen = "udp:127.0.0.1:" .. port_of(busy) }
    assert.is_nil(ua)
    busy:close()
  end)

  it("has a Contact on its listener", function()
    local ua = assert(ms.ua { aor = "sip:carol@127.0.0.1", listen = { "tcp:127.0.0.1:0" } })
    assert.matches("^<sip:carol@127%.0%.0%.1:%d+;transport=tcp>$", ua.contact)
    ua:close()
    ua:close() -- twice is harmless
  end)

  it("sends OPTIONS and MESSAGE and gets MESSAGEs", function()
    local alice, bob, bob_uri = two_uas()
    local got = {}
    bob.on_message = function(from, ctype, body) got = { from = from, ctype = ctype, body = body } end
    run(function()
      local status, resp = alice:request("OPTIONS", bob_uri)
      assert.equals(200, status)
      assert.equals("OK", resp.reason)
      assert.matches("^SIP/2.0 200 OK\r\n", resp.text)
      status = alice:request("MESSAGE", bob_uri, { body = "hello bob" })
      assert.equals(200, status)
      for _ = 1, 100 do
        if got.body then break end
        ms.sleep(0.01)
      end
    end)
    assert.equals("hello bob", got.body)
    assert.equals("text/plain", got.ctype)
    assert.matches("^\"Alice\" <sip:alice@127%.0%.0%.1>;tag=", got.from)
    alice:close()
    bob:close()
  end)

  it("gets 408 from nobody", function()
    local alice = assert(ms.ua { aor = "sip:alice@127.0.0.1" })
    local nobody = assert(ms.ua { aor = "sip:x@127.0.0.1" })
    local uri = "sip:x@127.0.0.1:" .. port_of(nobody)
    nobody:close() -- its port is closed: nothing answers
    local status, resp
    run(function() status, resp = alice:request("OPTIONS", uri) end, 60)
    assert.is_true(status == 408 or status == 503)
    assert.is_nil(resp)
    alice:close()
  end)
end)

describe("calls", function()
  it("go both ways with ringing, answer, ACK, media and BYE", function()
    local alice, bob, bob_uri = two_uas()
    local seen = {}
    run(function()
      ms.spawn(function()
        local call = assert(bob:accept(5))
        seen.invite = call.request
        seen.offer = call.remote_sdp
        call:ring()
        local m = ms.media {}
        m:echo()
        assert.is_true(call:answer(assert(m:answer(call.remote_sdp)), 5))
        seen.bob_end = call:wait(10)
        seen.echoed = m:stats().sent
        m:close()
      end)
      local m = ms.media {}
      local progress = {}
      local call, status = alice:call(bob_uri, {
        sdp = m:offer(),
        on_progress = function(c, code) progress[#progress + 1] = code end,
      })
      assert.equals(200, status)
      assert.equals("up", call.state)
      assert.same({ 180 }, progress)
      assert.is_string(call.id)
      assert.truthy(m:set_answer(call.remote_sdp))
      assert.equals("PCMU", m:codec())
      m:play(nil, true)
      for _ = 1, 200 do
        if m:stats().received >= 10 then break end
        ms.sleep(0.01)
      end
      seen.alice_stats = m:stats()
      seen.alice_end = call:hangup()
      m:close()
      for _ = 1, 100 do
        if seen.bob_end then break end
        ms.sleep(0.01)
      end
    end)
    assert.equals("INVITE", seen.invite.method)
    assert.matches("^m=audio %d+ RTP/AVP 0 8 101\r$", seen.offer:match("m=audio[^\n]*"))
    assert.equals("local", seen.alice_end)
    assert.equals("remote", seen.bob_end)
    assert.is_true(seen.alice_stats.received >= 10)
    assert.is_true(seen.echoed >= 10)
    alice:close()
    bob:close()
  end)

  it("fail with the callee's status", function()
    local alice, bob, bob_uri = two_uas()
    bob.on_call = function(call) call:reject(486, "Busy Here") end
    local call, status
    run(function() call, status = alice:call(bob_uri) end)
    assert.is_nil(call)
    assert.equals(486, status)
    alice:close()
    bob:close()
  end)

  it("are cancelled after the timeout, and the callee sees it", function()
    local alice, bob, bob_uri = two_uas()
    local why
    bob.on_call = function(call)
      call:ring()
      why = call:wait(5)
    end
    local call, status
    run(function()
      call, status = alice:call(bob_uri, { timeout = 0.2 })
      for _ = 1, 100 do
        if why then break end
        ms.sleep(0.01)
      end
    end)
    assert.is_nil(call)
    assert.equals(487, status)
    assert.equals("cancelled", why)
    alice:close()
    bob:close()
  end)

  it("can be cancelled by another task while they ring (ua:invite, call:result)", function()
    local alice, bob, bob_uri = two_uas()
    local why, state, result
    bob.on_call = function(call)
      call:ring()
      why = call:wait(5)
    end
    run(function()
      local call = alice:invite(bob_uri)
      state = call.state
      ms.spawn(function()
        while call.state == "calling" do ms.sleep(0.01) end
        call:cancel()
      end)
      result = call:result()
      for _ = 1, 100 do
        if why then break end
        ms.sleep(0.01)
      end
    end)
    assert.equals("calling", state)
    assert.equals(487, result)
    assert.equals("cancelled", why)
    alice:close()
    bob:close()
  end)

  it("take a re-INVITE with the answer the handler gives", function()
    local alice, bob, bob_uri = two_uas()
    local offers = {}
    bob.on_call = function(call)
      call.on_reinvite = function(_, sdp)
        offers[#offers + 1] = sdp
        return "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\n"
      end
      call:answer("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
      call:wait(10)
    end
    local status, sdp
    run(function()
      local call = assert(alice:call(bob_uri, { sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n" }))
      status, sdp = call:reinvite("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n")
      call:hangup()
    end)
    assert.equals(200, status)
    assert.matches("m=audio 4002 RTP/AVP 0", sdp)
    assert.equals(1, #offers)
    assert.matches("a=sendonly", offers[1])
    alice:close()
    bob:close()
  end)

  it("wait for an incoming call no longer than asked", function()
    local bob = assert(ms.ua { aor = "sip:bob@127.0.0.1" })
    local call, why
    run(function() call, why = bob:accept(0.05) end)
    assert.is_nil(call)
    assert.equals("timeout", why)
    bob:close()
  end)

  it("say so when used after their UA was closed", function()
    local alice, bob, bob_uri = two_uas()
    local incoming
    bob.on_call = function(call) incoming = call end
    run(function()
      alice:invite(bob_uri)
      while not incoming do ms.sleep(0.01) end
    end)
    bob:close()
    assert.equals("ended", incoming.state)
    assert.has_error(function() incoming:ring() end, "the call is over")
    alice:close()
  end)
end)

describe("ms.media", function()
  it("refuses an offer it cannot use, with the reason", function()
    local m = assert(ms.media {})
    local sdp, err = m:answer("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\n")
    assert.is_nil(sdp)
    assert.matches("no usable audio", err)
    assert.equals(0, m:port() % 2)
    m:close()
    assert.has_error(function() m:port() end, "the media endpoint is closed")
  end)

  it("gives a reason for an address it cannot use", function()
    local m, err = ms.media { address = "not an address" }
    assert.is_nil(m)
    assert.matches("^ms.media: not an address: ", err)
  end)
end)
