-- Test fixture: does not compile (line 3).
function on_request(req)
  return req:reply(200 "OK")
end
