-- Digest authentication through the script API (auth.check, auth.challenge,
-- auth.consume, auth.is_user) against the client side (moonsip.authorize,
-- which scripts have as auth.authorize), SHA-256 and MD5 (RFC 7616, RFC
-- 8760), with the users in the test's own registrar file (t:user).
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

local REG_URI = "sip:example.com"

describe("digest authentication", function()
  local t
  setup(function()
    t = ms.test.load(here .. "/scripts/auth.lua")
    t:user("alice", "example.com", "w0nder land")
    t:user("bob", "example.com", "builder")
  end)
  teardown(function() t:close() end)

  local n = 0
  local function register(user, headers)
    n = n + 1
    headers = headers or {}
    headers.From = "<sip:" .. user .. "@example.com>;tag=r" .. n
    headers.To = "<sip:" .. user .. "@example.com>"
    headers.Contact = "<sip:" .. user .. "@192.0.2.7:5062>;expires=600"
    headers["Call-ID"] = "auth-spec-" .. user
    headers.CSeq = n .. " REGISTER"
    return t:request{ method = "REGISTER", uri = REG_URI, headers = headers }[1]
  end
  local function creds(user, password, extra)
    local c = { user = user, password = password, method = "REGISTER", uri = REG_URI }
    for k, v in pairs(extra or {}) do c[k] = v end
    return c
  end
  local function challenges(a, name)
    return a.all_headers[name or "www-authenticate"] or {}
  end

  it("challenges with SHA-256, then MD5, qop auth, each with its own nonce", function()
    local a = register("alice")
    assert.equals(401, a.status)
    local ch = challenges(a)
    assert.equals(2, #ch)
    assert.matches('^Digest realm="example%.com", qop="auth", algorithm=SHA%-256, nonce="%x+"$', ch[1])
    assert.matches('^Digest realm="example%.com", qop="auth", algorithm=MD5, nonce="%x+"$', ch[2])
    assert.not_equals(ch[1]:match('nonce="(%x+)"'), ch[2]:match('nonce="(%x+)"'))
  end)

  it("takes the first challenge it can answer: SHA-256", function()
    local ch = challenges(register("alice"))
    local v = assert(ms.authorize(ch, creds("alice", "w0nder land")))
    assert.matches("algorithm=SHA%-256", v)
    assert.matches('username="alice"', v)
    assert.matches("qop=auth, ", v)
    assert.matches("nc=00000001", v)
    local a = register("alice", { Authorization = v })
    assert.equals(200, a.status)
    assert.matches("^<sip:alice@192%.0%.2%.7:5062>;expires=%d+$", a.headers["contact"])
  end)

  it("answers MD5 when that is all it is offered", function()
    local ch = challenges(register("bob", { ["X-Algorithms"] = "MD5" }))
    assert.equals(1, #ch)
    local v = assert(ms.authorize(ch, creds("bob", "builder")))
    assert.matches("algorithm=MD5", v)
    assert.equals(200, register("bob", { Authorization = v }).status)
  end)

  it("refuses a wrong password with another challenge, and logs it", function()
    t:logs()
    local ch = challenges(register("alice"))
    local a = register("alice", { Authorization = assert(ms.authorize(ch, creds("alice", "wrong"))) })
    assert.equals(401, a.status)
    assert.matches("unknown user or wrong password", table.concat(t:logs(), "\n"))
  end)

  it("refuses the same nonce-count twice, takes the next one", function()
    local ch = challenges(register("alice"))
    local v = assert(ms.authorize(ch, creds("alice", "w0nder land")))
    assert.equals(200, register("alice", { Authorization = v }).status)
    t:logs()
    assert.equals(401, register("alice", { Authorization = v }).status)
    assert.matches("replayed nonce%-count", table.concat(t:logs(), "\n"))
    local v2 = assert(ms.authorize(ch, creds("alice", "w0nder land", { nc = 2 })))
    assert.equals(200, register("alice", { Authorization = v2 }).status)
  end)

  it("finds the credentials for its realm among those for other realms, first or not", function()
    local other = 'Digest username="alice", realm="elsewhere.test", nonce="00", uri="sip:example.com",'
      .. ' response="00000000000000000000000000000000", algorithm=MD5'
    local ch = challenges(register("alice"))
    local v = assert(ms.authorize(ch, creds("alice", "w0nder land")))
    assert.equals(200, register("alice", { Authorization = { other, v } }).status)
    v = assert(ms.authorize(ch, creds("alice", "w0nder land", { nc = 2 })))
    assert.equals(200, register("alice", { Authorization = { v, other } }).status)
    t:logs()
    assert.equals(401, register("alice", { Authorization = other }).status)
    assert.matches("no credentials for this realm", table.concat(t:logs(), "\n"))
  end)

  it("refuses credentials made for another Request-URI", function()
    local ch = challenges(register("alice"))
    local v = assert(ms.authorize(ch, creds("alice", "w0nder land", { uri = "sip:other.example.com" })))
    t:logs()
    assert.equals(401, register("alice", { Authorization = v }).status)
    assert.matches("uri", table.concat(t:logs(), "\n"))
  end)

  it("refuses one user's credentials for another user's address", function()
    local ch = challenges(register("alice"))
    local v = assert(ms.authorize(ch, creds("bob", "builder")))
    local a = register("alice", { Authorization = v })
    assert.equals(403, a.status)
    assert.equals("Forbidden: the credentials are not for this address", a.reason)
  end)

  it("challenges a proxy's request with 407 and consumes the credentials", function()
    local function message(headers)
      headers = headers or {}
      headers.From = "<sip:alice@example.com>;tag=m"
      return t:request{ method = "MESSAGE", uri = "sip:bob@example.com", headers = headers, body = "hi" }[1]
    end
    local a = message()
    assert.equals(407, a.status)
    local ch = challenges(a, "proxy-authenticate")
    assert.equals(2, #ch)
    local v = assert(ms.authorize(ch, { user = "alice", password = "w0nder land", method = "MESSAGE",
      uri = "sip:bob@example.com" }))
    a = message({ ["Proxy-Authorization"] = v })
    assert.equals(200, a.status)
    assert.equals("alice", a.headers["x-user"])
    assert.equals("no", a.headers["x-credentials-left"])
  end)

  it("knows its users", function()
    local function is_user(u)
      return t:request{ method = "OPTIONS", uri = REG_URI,
        headers = { From = "<sip:" .. u .. "@example.com>;tag=o" } }[1].headers["x-is-user"]
    end
    assert.equals("true", is_user("alice"))
    assert.equals("false", is_user("carol"))
  end)

  it("says why it cannot answer a challenge", function()
    local v, why = ms.authorize('Basic realm="example.com"', creds("alice", "x"))
    assert.is_nil(v)
    assert.equals("no challenge this client can answer", why)
    v, why = ms.authorize({ 'Digest realm="r", algorithm=SHA-512-256, nonce="n"', 'Digest realm="r", nonce="n"' },
      creds("alice", "x"))
    assert.matches('^Digest username="alice", realm="r"', v)
    assert.is_nil(why)
    assert.has_error(function() ms.authorize(5, creds("a", "b")) end,
      "auth.authorize: the challenges must be a header value or a list of them")
    assert.has_error(function() ms.authorize("Digest", { password = "x" }) end,
      "auth.authorize: credentials.user must be a string")
  end)
end)
