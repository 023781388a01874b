-- Test fixture for tests/integration/registrar_test.py: REGISTERs are saved
-- (no authentication here), other requests go to the callee's bindings.
function on_request(req)
  if req.method == "REGISTER" then
    local status = registrar.save(req)
    log.info("REGISTER %s: %d", tostring(req.to.uri), status)
    return
  end
  if req.in_dialog then return proxy.route(req) end
  if req.method == "ACK" then return end
  local contacts = registrar.lookup(req.uri)
  if #contacts == 0 then return req:reply(480, "Temporarily Unavailable: not registered") end
  proxy.relay(req, contacts, { record_route = true })
end
