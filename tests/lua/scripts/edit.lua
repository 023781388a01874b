-- Test fixture: the request's edit methods, chosen by X-Case. Answers 200
-- with the edited request as its body (message/sip), and what the case
-- returned as X-Ret; an edit that raised goes back as X-Err instead.
local cases = {}

cases.set_existing = function(req) req:set_header("X-A", "new") end
cases.set_new = function(req) req:set_header("Subject", "hello") end
cases.set_compact = function(req) req:set_header("s", "by compact name") end
cases.set_number = function(req) req:set_header("Max-Forwards", 5) end
cases.add = function(req) req:add_header("X-A", "third") end
cases.add_new = function(req) req:add_header("X-New", "n") end
cases.remove = function(req) return req:remove_header("Supported") end
cases.remove_other = function(req) return req:remove_header("X-A") end
cases.remove_none = function(req) return req:remove_header("X-Nothing") end
cases.set_uri = function(req)
  req:set_uri("sip:carol@example.net;transport=tcp")
  return req.uri.user .. "@" .. req.uri.host
end
cases.set_uri_object = function(req)
  req:set_uri(ms.uri("sip:dave@192.0.2.4:5080"))
  return tostring(req.uri.port)
end
cases.set_body = function(req) req:set_body("v=0\r\n", "application/sdp") end
cases.set_body_keep_type = function(req) req:set_body("other text") end
cases.clear_body = function(req) req:set_body("") end
cases.reads_after = function(req)
  local before = req.from.display
  req:set_header("From", '"New Name" <sip:new@example.com>;tag=nt')
  return before .. "|" .. req.from.display .. "|" .. req.from.tag .. "|" .. req:header("f")
end
cases.many = function(req)
  req:set_header("X-A", "1")
  req:add_header("X-A", "2")
  req:remove_header("Supported")
  req:set_uri("sip:eve@example.org")
  req:set_body("x", "text/plain")
  return #req:headers("X-A")
end
-- Edits before and after a wait: the request's bytes move out of the
-- stack's buffer when the handler yields; the edits stay.
cases.across_sleep = function(req)
  req:set_header("X-A", "before")
  ms.sleep(0.01)
  req:add_header("X-A", "after")
  return table.concat(req:headers("X-A"), ",")
end
-- Answers are built from the request as received.
cases.reply_after_edit = function(req)
  req:set_header("From", "<sip:other@example.com>;tag=other")
  req:set_header("To", "<sip:elsewhere@example.com>")
  return req:reply(200, "OK", { ["X-Edited-From"] = req:header("From") })
end
cases.via = function(req) req:set_header("Via", "SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx") end
cases.via_compact = function(req) req:remove_header("v") end
cases.call_id = function(req) req:set_header("Call-ID", "x") end
cases.cseq = function(req) req:add_header("CSeq", "1 INVITE") end
cases.content_length = function(req) req:set_header("Content-Length", "0") end
cases.content_type = function(req) req:set_header("Content-Type", "text/plain") end
cases.crlf = function(req) req:set_header("X-A", "a\r\nX-Injected: 1") end
cases.bad_name = function(req) req:set_header("X A", "1") end
cases.no_name = function(req) req:set_header(nil, "1") end
cases.no_value = function(req) req:add_header("X-A") end
cases.table_value = function(req) req:set_header("X-A", {}) end
cases.remove_from = function(req) req:remove_header("From") end
cases.bad_from = function(req) req:set_header("From", "not a name-addr <") end
cases.bad_uri = function(req) req:set_uri("not a uri") end
cases.uri_type = function(req) req:set_uri(42) end
cases.body_no_type = function(req) req:set_body("text") end
cases.body_type = function(req) req:set_body(true) end

function on_request(req)
  local case = cases[req:header("X-Case")]
  local ok, ret = pcall(case, req)
  if ok and ret == true then return end -- the case answered
  local h = { ["Content-Type"] = "message/sip" }
  if ok then h["X-Ret"] = tostring(ret) else h["X-Err"] = tostring(ret) end
  return req:reply(200, "OK", h, tostring(req))
end
