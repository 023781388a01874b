-- Fixture for auth_spec.lua: digest authentication in the realm
-- example.com. REGISTER: 401 until the credentials are right and the
-- user's own, then saved; the algorithms challenged with come from
-- X-Algorithms when the spec sets it. MESSAGE: 407, then 200 naming the
-- user and whether the credentials were still there after auth.consume.
-- OPTIONS: whether the From user is a user here.
local REALM = "example.com"

local function algorithms(req)
  local list = req:header("X-Algorithms")
  if not list then return nil end
  local out = {}
  for a in list:gmatch("[^,%s]+") do out[#out + 1] = a end
  return { algorithms = out }
end

function on_request(req)
  if req.method == "OPTIONS" then
    return req:reply(200, "OK", { ["X-Is-User"] = tostring(auth.is_user(req.from.uri.user, REALM)) })
  end
  local user, why = auth.check(req, REALM)
  if not user then
    log.info("%s refused: %s", req.method, why)
    return auth.challenge(req, REALM, algorithms(req))
  end
  if req.method == "REGISTER" then
    if user ~= req.to.uri.user then
      return req:reply(403, "Forbidden: the credentials are not for this address")
    end
    return registrar.save(req)
  end
  auth.consume(req)
  return req:reply(200, "OK", { ["X-User"] = user,
    ["X-Credentials-Left"] = req:header("Proxy-Authorization") and "yes" or "no" })
end
