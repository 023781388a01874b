-- Test fixture for tests/integration/auth_test.py: REGISTERs must carry
-- the credentials of the user they register (realm example.com).
local MAX_AGE = tonumber(os.getenv("AUTH_MAX_AGE") or "300")

function on_request(req)
  if req.method ~= "REGISTER" then return req:reply(405, "Method Not Allowed") end
  local user, why = auth.check(req, "example.com", { max_age = MAX_AGE })
  if not user then
    log.info("REGISTER not authenticated: %s", why)
    return auth.challenge(req, "example.com")
  end
  if user ~= req.to.uri.user then
    return req:reply(403, "Forbidden: these credentials are for another user")
  end
  auth.consume(req)
  return registrar.save(req)
end
