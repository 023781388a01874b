-- Test fixture: answers every request 200, and ACKs nothing.
function on_request(req)
  if req.method == "ACK" then return end
  return req:reply(200, "OK", { ["X-Seen"] = req.method })
end
