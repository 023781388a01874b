-- Test fixture: sleeps X-Sleep seconds, then answers with how long it slept.
function on_request(req)
  local s = tonumber(req:header("X-Sleep") or "0")
  local t0, c0 = ms.now(), os.clock()
  ms.sleep(s)
  local slept = ms.now() - t0
  return req:reply(200, "Slept", {
    ["X-Name"] = req:header("X-Name") or "",
    ["X-Slept"] = string.format("%.4f", slept),
    ["X-Method"] = req.method, -- the request is still readable after a wait
    ["X-Call-Id"] = req.call_id,
  })
end
